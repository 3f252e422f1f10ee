"""W1 of two revisions of synerise-async side by side, alternating, against one bench server.

    git worktree add /tmp/w1-before 90f512c
    python -m bench.compare_revisions /tmp/w1-before . --rounds 5

Each round runs every tree once, the order flipping each round (A B, B A, ...), each in a fresh interpreter that imports
``synerise_async`` from that tree (printed, so a wrong import is visible) and the harness
(``bench/``) from this checkout, so only the SDK differs. One server process serves every run.
Prints median (min to max) of req/s and of client CPU us per request for each concurrency,
and with ``--json`` writes the raw samples.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _child(tree: Path, base_url: str, requests: int, concurrencies: list[int]) -> None:
    """Import synerise_async from ``tree`` before anything else can, then time W1 once each."""
    sys.path.insert(0, str(tree))
    import synerise_async

    sys.path.remove(str(tree))
    here = Path(synerise_async.__file__).resolve()
    if not here.is_relative_to(tree.resolve()):
        raise SystemExit(f"imported {here}, not from {tree}")

    from .clients import COMPETITORS, run_workers
    from .harness import ServerProcess, timed

    server = ServerProcess()
    server.base_url = base_url  # attach to the parent's server; stats() only needs the URL

    async def run() -> list[dict[str, Any]]:
        out = []
        for concurrency in concurrencies:
            competitor = COMPETITORS["synerise-async"]()
            await competitor.open(base_url, concurrency)
            try:
                await competitor.warm_up()

                async def body(c: Any = competitor, n: int = concurrency) -> int:
                    return await run_workers(requests, n, c.get_small)

                sample = await timed(server, "synerise-async", body)
            finally:
                await competitor.close()
            out.append(
                {
                    "concurrency": concurrency,
                    "rate": sample.rate,
                    "cpu_us": sample.cpu_us_per_request,
                    "requests": sample.requests,
                    "server_cpu": sample.server_cpu,
                }
            )
        return out

    print(json.dumps({"module": str(here), "samples": asyncio.run(run())}))


def _label(tree: Path) -> str:
    """The tree's commit (and path), so the table says what was measured."""
    proc = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return f"{proc.stdout.strip() or '?'} ({tree.resolve()})"


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f} to {max(values):,.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare_revisions")
    parser.add_argument("trees", nargs="+", type=Path, help="checkouts to compare (2 or more)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 128])
    parser.add_argument("--json", type=Path, help="write the raw samples here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.trees[0], args.base_url, args.requests, args.concurrency)
        return 0

    from .harness import ServerProcess

    samples: dict[str, list[dict[str, Any]]] = {str(t): [] for t in args.trees}
    with ServerProcess() as server:
        for round_no in range(args.rounds):
            # A B, B A, A B, ...: neither tree always runs first after the other's run.
            order = args.trees if round_no % 2 == 0 else args.trees[::-1]
            for tree in order:
                cmd = [sys.executable, "-m", "bench.compare_revisions", str(tree), "--child"]
                cmd += ["--base-url", server.base_url, "--requests", str(args.requests)]
                cmd += ["--concurrency", *map(str, args.concurrency)]
                env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
                proc = subprocess.run(
                    cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False
                )
                if proc.returncode != 0:
                    raise SystemExit(f"{tree}: {proc.stderr[-3000:]}")
                result = json.loads(proc.stdout.strip().splitlines()[-1])
                samples[str(tree)].extend(result["samples"])
                line = ", ".join(
                    f"c={s['concurrency']}: {s['rate']:,.0f} req/s {s['cpu_us']:,.0f} us"
                    for s in result["samples"]
                )
                print(f"round {round_no + 1} {result['module']}: {line}", file=sys.stderr)
    print(
        "| tree | concurrency | req/s median (min to max) | client CPU us/req median (min to max) |"
    )
    print("|---|---:|---:|---:|")
    for concurrency in args.concurrency:
        for tree, runs in samples.items():
            mine = [s for s in runs if s["concurrency"] == concurrency]
            rates = [s["rate"] for s in mine]
            cpus = [s["cpu_us"] for s in mine]
            print(
                f"| {_label(Path(tree))} | {concurrency} | {_summary(rates)} | {_summary(cpus)} |"
            )
    if args.json:
        args.json.write_text(json.dumps(samples, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
