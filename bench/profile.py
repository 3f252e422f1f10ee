"""Profile one competitor on one workload (cProfile), against the bench server.

    python -m bench.profile W1 synerise-async [--concurrency 16] [--n 5000] [--top 40]
    python -m bench.profile W2 synerise-async --limit 1000
    python -m bench.profile W3 synerise-async --batch 1000

Prints the top functions by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from . import payloads, stock
from .clients import COMPETITORS, run_workers
from .harness import ServerProcess


async def _run(server: ServerProcess, args: argparse.Namespace, profiler: cProfile.Profile) -> None:
    competitor = COMPETITORS[args.competitor]()
    events = payloads.events(args.n) if args.workload == "W3" else []
    if args.workload == "W2":
        server.configure(workflows_total=args.n)
    await competitor.open(server.base_url, args.concurrency)
    try:
        await competitor.warm_up()
        t0 = time.perf_counter()
        profiler.enable()
        if args.workload == "W1":
            await run_workers(args.n, args.concurrency, competitor.get_small)
        elif args.workload == "W2":
            await competitor.list_workflows(args.limit)
        elif args.workload == "W3":
            await competitor.send_events(events, args.batch, args.concurrency)
        profiler.disable()
        print(f"{args.workload} {args.competitor}: {time.perf_counter() - t0:.3f} s (profiled)")
    finally:
        await competitor.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=("W1", "W2", "W3"))
    parser.add_argument("competitor", choices=sorted(COMPETITORS))
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--dump", type=Path, help="write the raw pstats here")
    args = parser.parse_args()
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory() as tmp, ServerProcess() as server:
        if args.competitor == "stock-opc":
            import sys

            stock.normalise()
            path, _ = stock.generate_stock_client(Path(tmp))
            sys.path.insert(0, str(path))
        asyncio.run(_run(server, args, profiler))
    if args.dump:
        profiler.dump_stats(args.dump)
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
