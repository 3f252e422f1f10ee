"""W5 child process: stream records through one competitor and report peak RSS growth.

Run by the harness as ``python -m bench.w5 --competitor KEY --base-url URL ...``; prints
one JSON line. RSS is read in this process: the baseline is ``VmRSS`` after imports, the
client's set-up and one warm-up call; the peak is ``VmHWM`` after resetting it to the
baseline through ``/proc/self/clear_refs`` (where the kernel allows), else the highest
``VmRSS`` sampled every 20 ms during the stream.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time

import orjson

from .clients import COMPETITORS
from .harness import proc_status_kb, reset_peak_rss


async def _stream(key: str, base_url: str, items: int, limit: int) -> dict[str, object]:
    competitor = COMPETITORS[key]()
    await competitor.open(base_url, 4)
    sampled_peak = 0
    try:
        await competitor.warm_up()
        gc.collect()
        before = proc_status_kb().get("VmRSS", 0)
        hwm_reset = reset_peak_rss()
        sampled_peak = before
        done = False

        async def sampler() -> None:
            nonlocal sampled_peak
            while not done:
                sampled_peak = max(sampled_peak, proc_status_kb().get("VmRSS", 0))
                await asyncio.sleep(0.02)

        task = asyncio.get_running_loop().create_task(sampler())
        t0 = time.perf_counter()
        count = await competitor.stream_records(limit)
        wall = time.perf_counter() - t0
        done = True
        await task
        status = proc_status_kb()
    finally:
        await competitor.close()
    if count != items:
        raise SystemExit(f"{key} streamed {count} of {items} items")
    peak = status.get("VmHWM", 0) if hwm_reset else sampled_peak
    return {
        "competitor": key,
        "items": count,
        "seconds": wall,
        "items_per_s": count / wall,
        "rss_before_mb": before / 1024,
        "peak_mb": peak / 1024,
        "growth_mb": max(0, peak - before) / 1024,
        "sampled_growth_mb": max(0, sampled_peak - before) / 1024,
        "method": "VmHWM after clear_refs" if hwm_reset else "sampled VmRSS",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--competitor", required=True, choices=sorted(COMPETITORS))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()
    result = asyncio.run(_stream(args.competitor, args.base_url, args.items, args.limit))
    print(orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    main()
