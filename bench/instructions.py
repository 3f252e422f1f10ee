"""CPU instructions per W1 request (or W3 event), counted by valgrind: a comparison that
host noise cannot move.

    python -m bench.instructions [--competitors aiohttp-orjson,synerise-async] [--concurrency 16]
    python -m bench.instructions --workload W3 --batch 100   # per event, vs the salted sender
    python -m bench.instructions --workload W2 --batch 100   # per listed item, page size 100

Client CPU time on this shared 2-core VM moves by 10-20% between runs of the same code, more
than the 5% W1 target. Instructions executed barely move: the client process runs under
``valgrind --tool=cachegrind --cache-sim=no`` (the bench server runs natively in its own
process), once with a short and once with a long run of the same loop, and the
difference divided by the extra requests is the cost of one request, start-up and warm-up
excluded (W3: the events of the long run are built in both runs, so building them cancels
out; W2: the server holds that many workflows and one listing pages through them). Repeated runs agree within about 1% (the hand-written W1 loop: 336-340k
over seven runs). The count depends a little on timing (how many responses each event-loop
turn handles), so compare competitors measured in one invocation. Instructions are
not time (cache misses and branch mispredictions are not counted), so this complements
the timed tables of ``make bench``; it does not replace them.

Needs valgrind on the PATH; exits with status 2 when it is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable

from . import payloads
from .clients import COMPETITORS, run_workers
from .harness import ServerProcess

DEFAULTS = {
    "W1": "aiohttp-orjson,synerise-async,aiohttp-orjson-models",
    "W2": "aiohttp-json,synerise-async,aiohttp-orjson,synerise-async-raw",
    "W3": "aiohttp-orjson-salted,synerise-async",
}
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def _child(spec: str, units: int, concurrency: int, base_url: str) -> None:
    name, workload, batch, most = spec.split(":")
    events = payloads.events(int(most)) if workload == "W3" else []

    async def run() -> None:
        competitor = COMPETITORS[name]()
        await competitor.open(base_url, concurrency)
        try:
            await competitor.warm_up()
            if workload == "W2":
                listed = await competitor.list_workflows(int(batch))
                if listed != units:
                    raise SystemExit(f"{name} listed {listed} of {units} workflows")
            elif workload == "W3":
                sent = await competitor.send_events(events[:units], int(batch), concurrency)
                if sent != units:
                    raise SystemExit(f"{name} confirmed {sent} of {units} events")
            else:
                await run_workers(units, concurrency, competitor.get_small)
        finally:
            await competitor.close()

    asyncio.run(run())


def cachegrind(module_args: list[str], *, cache_sim: bool, out: str, label: str) -> str:
    """``python -m <module_args>`` under cachegrind (its report in ``out``); valgrind's
    stderr. Hash randomisation is off, so dict layouts (and counts) repeat between runs."""
    command = [
        "valgrind",
        "--tool=cachegrind",
        f"--cache-sim={'yes' if cache_sim else 'no'}",
        f"--cachegrind-out-file={out}",
        sys.executable,
        "-m",
        *module_args,
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{label}: valgrind run failed:\n{proc.stderr[-2000:]}")
    return proc.stderr


def run_child(
    spec: str, units: int, concurrency: int, base_url: str, *, cache_sim: bool, out: str
) -> str:
    """One loop of ``spec`` under cachegrind (its report in ``out``); valgrind's stderr."""
    child = ["bench.instructions", "--child", spec, str(units), str(concurrency), base_url]
    return cachegrind(child, cache_sim=cache_sim, out=out, label=spec)


def _instructions(spec: str, units: int, concurrency: int, base_url: str) -> int:
    stderr = run_child(spec, units, concurrency, base_url, cache_sim=False, out="/dev/null")
    found = _REFS.search(stderr)
    if found is None:
        raise SystemExit(f"{spec}: no instruction count in valgrind's output:\n{stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


UNITS = {"W1": "request", "W2": "item", "W3": "event"}
SIZES = {"W1": (300, 1300), "W2": (2000, 12000), "W3": (2000, 12000)}
"""Units in the short and the long run, by workload."""


def count(
    names: list[str],
    workload: str,
    concurrency: int,
    batch: int,
    short: int,
    long: int,
    *,
    fail_every: int = 0,
    log: Callable[[str], None] = lambda line: None,
) -> dict[str, float]:
    """Instructions per unit of ``workload`` for each competitor, against a bench server of
    its own: the long run's count minus the short run's, over the extra units."""
    per_unit: dict[str, float] = {}
    with ServerProcess() as server:
        if fail_every:
            server.configure(fail_every=fail_every, retry_after="0")
        for name in names:
            spec = f"{name}:{workload}:{batch}:{long}"
            counts = []
            for units in (short, long):
                if workload == "W2":
                    server.configure(workflows_total=units)
                counts.append(_instructions(spec, units, concurrency, server.base_url))
            per_unit[name] = (counts[1] - counts[0]) / (long - short)
            log(f"{name:32s} {per_unit[name] / 1000:7.2f}k instructions/{UNITS[workload]}")
    return per_unit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("--workload", choices=sorted(DEFAULTS), default="W1")
    parser.add_argument(
        "--competitors", help="default: " + "; ".join(f"{k}: {v}" for k, v in DEFAULTS.items())
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100, help="W3 batch size, W2 page size")
    parser.add_argument(
        "--short", type=int, help="W1 requests (300), W2 items or W3 events (2000) in the short run"
    )
    parser.add_argument("--long", type=int, help="the same in the long run (1300 / 12000)")
    parser.add_argument(
        "--fail-every",
        type=int,
        default=0,
        help="W3: the server answers every n-th batch 429 with Retry-After: 0 (10 = W3's 10%% 429s)",
    )
    parser.add_argument(
        "--child", nargs=4, metavar=("SPEC", "N", "C", "URL"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        spec, units, concurrency, url = args.child
        _child(spec, int(units), int(concurrency), url)
        return 0
    short = args.short or SIZES[args.workload][0]
    long = args.long or SIZES[args.workload][1]
    if shutil.which("valgrind") is None:
        print("valgrind is not installed; nothing measured", file=sys.stderr)
        return 2
    names = [
        n.strip() for n in (args.competitors or DEFAULTS[args.workload]).split(",") if n.strip()
    ]
    unknown = set(names) - set(COMPETITORS)
    if unknown:
        parser.error(f"unknown competitors: {', '.join(sorted(unknown))}")
    per_unit = count(names, args.workload, args.concurrency, args.batch, short, long,
                     fail_every=args.fail_every, log=lambda line: print(line, flush=True))  # fmt: skip
    base = per_unit[names[0]]
    for name in names[1:]:
        print(f"{name:32s} {per_unit[name] / base:.3f}x {names[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
