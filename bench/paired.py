"""Paired short slices: timed ratios precise enough for issue 13's 5% and 10% bounds.

    python -m bench.paired [--workload W1] [--concurrency 16,128] [--rounds 200]
    python -m bench.paired --workload W3 --batch 100 --rounds 100

The timed tables of ``make bench`` run each competitor for a whole repetition (W1: 5,000
requests, about half a second) with a fresh client and compare medians of five
repetitions. On the shared 2-core VM the host's speed drifts: the same hand-written W1
loop measured 107 µs of client CPU per request at 12:58 and 165-170 µs at 13:20 on
2026-12-03, and single slices of 1,000 requests spread 124-187 µs (deciles) within
minutes. A ratio of medians of five then moves by about 0.1 between runs of the same code.

Here every competitor opens its client once and is warmed up (one slice, not measured);
then the competitors take turns on short slices (W1: ``--slice`` requests; W3: that
many events, in batches of ``--batch``), forward in even rounds and reversed in odd ones
so that neither always goes first. Each round gives one ratio per competitor over the
baseline, of client CPU per unit and of throughput, measured within a second of each
other, so a slow spell of the host mostly hits both sides of a ratio. The estimate is the
median of those ratios with a distribution-free 95% confidence interval (binomial order
statistics). A second instance of the baseline runs as a control (``... (again)``): its
ratio should come out at 1.00 inside its interval, and the interval's width shows what
the method resolves on the host during that run.

Garbage collection stays on (allocating more is part of what a client costs); a full
collection runs before each slice, outside the measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import attrs

from . import payloads
from .clients import COMPETITORS, JOB_TIME, Competitor, run_workers
from .harness import ServerProcess

__all__ = ["PairedCase", "median_interval", "paired_w1", "paired_w3", "run_paired"]

CONTROL_SUFFIX = " (again)"
"""Appended to the baseline's key for its second instance, the A/A control."""

Body = Callable[[Competitor], Awaitable[int]]
Log = Callable[[str], None]


def median_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """A distribution-free confidence interval of the median: the order statistics
    ``x(j)`` and ``x(n + 1 - j)`` with the largest ``j`` whose binomial tail
    ``P(Bin(n, 1/2) < j)`` stays within half of ``1 - confidence`` (with too few values
    for that, the whole range)."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("no values")
    alpha = (1.0 - confidence) / 2.0
    tail = 0.0
    j = 0
    while j < n // 2:
        nxt = tail + math.comb(n, j) / 2.0**n
        if nxt > alpha:
            break
        tail = nxt
        j += 1
    if j == 0:
        return ordered[0], ordered[-1]
    return ordered[j - 1], ordered[n - j]


def _interval(ratios: list[float]) -> dict[str, float]:
    low, high = median_interval(ratios)
    return {"median": statistics.median(ratios), "low": low, "high": high}


@attrs.frozen
class PairedCase:
    """One workload at one concurrency: per competitor its client CPU and wall time per
    unit in each round (the first key is the baseline)."""

    workload: str
    name: str
    unit: str
    params: dict[str, Any]
    cpu_us: dict[str, list[float]]
    wall_us: dict[str, list[float]]

    @property
    def baseline(self) -> str:
        return next(iter(self.cpu_us))

    def cpu_ratios(self, key: str) -> list[float]:
        """Per round: ``key``'s CPU per unit over the baseline's."""
        base = self.cpu_us[self.baseline]
        return [other / b for other, b in zip(self.cpu_us[key], base, strict=True)]

    def rate_ratios(self, key: str) -> list[float]:
        """Per round: ``key``'s throughput over the baseline's (wall time, inverted)."""
        base = self.wall_us[self.baseline]
        return [b / other for other, b in zip(self.wall_us[key], base, strict=True)]

    def summary(self, key: str) -> dict[str, dict[str, float]]:
        return {"cpu": _interval(self.cpu_ratios(key)), "rate": _interval(self.rate_ratios(key))}

    def to_dict(self) -> dict[str, Any]:
        base = self.baseline
        return {
            "workload": self.workload,
            "name": self.name,
            "unit": self.unit,
            "params": self.params,
            "cpu_us": self.cpu_us,
            "wall_us": self.wall_us,
            "summary": {key: self.summary(key) for key in self.cpu_us if key != base},
        }


async def _slice(competitor: Competitor, body: Body, units: int) -> tuple[float, float]:
    gc.collect()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    done = await body(competitor)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    if done != units:
        raise RuntimeError(f"{competitor.key}: {done} of {units} units done in a slice")
    return cpu / units * 1e6, wall / units * 1e6


async def run_paired(
    server: ServerProcess,
    keys: Sequence[str],
    what: tuple[str, str, str],
    params: dict[str, Any],
    *,
    body: Body,
    units: int,
    rounds: int,
    log: Log = lambda line: None,
) -> PairedCase:
    """Open ``keys`` (the first is the baseline; its control twin is added after it) once
    each, warm each up with one slice, then alternate measured slices for ``rounds``.
    ``what`` is the case's (workload, name, unit); ``params`` has its ``concurrency``."""
    concurrency = params["concurrency"]
    if rounds < 1:
        raise ValueError("rounds must be >= 1")
    baseline, *others = keys
    names = [baseline, baseline + CONTROL_SUFFIX, *others]
    opened: dict[str, Competitor] = {}
    cpu_us: dict[str, list[float]] = {name: [] for name in names}
    wall_us: dict[str, list[float]] = {name: [] for name in names}
    try:
        for name in names:
            competitor = COMPETITORS[name.removesuffix(CONTROL_SUFFIX)]()
            await competitor.open(server.base_url, concurrency)
            opened[name] = competitor
            await competitor.warm_up()
            await _slice(competitor, body, units)
        for round_ in range(rounds):
            for name in names if round_ % 2 == 0 else names[::-1]:
                cpu, wall = await _slice(opened[name], body, units)
                cpu_us[name].append(cpu)
                wall_us[name].append(wall)
            if (round_ + 1) % 50 == 0:
                log(f"  paired: round {round_ + 1}/{rounds}")
    finally:
        for competitor in opened.values():
            await competitor.close()
    workload, name, unit = what
    return PairedCase(workload, name, unit, {**params, "rounds": rounds}, cpu_us, wall_us)


async def paired_w1(
    server: ServerProcess,
    keys: Sequence[str],
    *,
    concurrency: int,
    slice_requests: int,
    rounds: int,
    log: Log = lambda line: None,
) -> PairedCase:
    """W1's small GETs in slices of ``slice_requests``."""

    async def body(competitor: Competitor) -> int:
        return await run_workers(slice_requests, concurrency, competitor.get_small)

    log(f"  W1 paired, concurrency {concurrency}: {rounds} rounds of {slice_requests} requests")
    return await run_paired(
        server,
        keys,
        ("W1", f"small GETs, concurrency {concurrency}", "request"),
        {"concurrency": concurrency, "slice": slice_requests},
        body=body,
        units=slice_requests,
        rounds=rounds,
        log=log,
    )


async def paired_w3(
    server: ServerProcess,
    keys: Sequence[str],
    *,
    concurrency: int,
    batch: int,
    slice_events: int,
    rounds: int,
    log: Log = lambda line: None,
) -> PairedCase:
    """W3's ``send_many`` (clean: no 429s) of the same ``slice_events`` events per slice."""
    events = payloads.events(slice_events)

    async def body(competitor: Competitor) -> int:
        return await competitor.send_events(events, batch, concurrency)

    server.configure(fail_every=0)
    log(f"  W3 paired, batches of {batch}: {rounds} rounds of {slice_events} events")
    return await run_paired(
        server,
        keys,
        ("W3", f"send_many, batches of {batch}, clean", "event"),
        {
            "concurrency": concurrency,
            "batch": batch,
            "slice": slice_events,
            "default_time": JOB_TIME,
        },
        body=body,
        units=slice_events,
        rounds=rounds,
        log=log,
    )


def describe(case: PairedCase) -> list[str]:
    """Plain-text lines for the command line."""
    base = case.baseline
    lines = [f"{case.workload} {case.name} ({case.params['rounds']} rounds):"]
    for key, per_unit in case.cpu_us.items():
        line = f"  {key}: {statistics.median(per_unit):.2f} us CPU per {case.unit}"
        if key != base:
            s = case.summary(key)
            line += (
                f"; CPU {s['cpu']['median']:.3f}x ({s['cpu']['low']:.3f}-{s['cpu']['high']:.3f}),"
                f" rate {s['rate']['median']:.3f}x ({s['rate']['low']:.3f}-{s['rate']['high']:.3f})"
            )
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.paired", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--workload", choices=("W1", "W3"), default="W1")
    parser.add_argument("--concurrency", default="", help="W1: 16,128; W3: 16")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--slice", type=int, default=0, help="W1: 1000 requests; W3: 10000 events")
    parser.add_argument("--batch", type=int, default=100, help="W3 batch size")
    parser.add_argument("--competitors", default="", help="the first is the baseline")
    args = parser.parse_args(argv)
    w1 = args.workload == "W1"
    default_keys = "aiohttp-orjson,synerise-async" if w1 else "aiohttp-orjson-salted,synerise-async"
    keys = [c.strip() for c in (args.competitors or default_keys).split(",") if c.strip()]
    unknown = set(keys) - set(COMPETITORS)
    if unknown:
        parser.error(f"unknown competitors: {', '.join(sorted(unknown))}")
    levels = [int(c) for c in (args.concurrency or ("16,128" if w1 else "16")).split(",")]
    size = args.slice or (1000 if w1 else 10_000)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    async def run() -> None:
        with ServerProcess() as server:
            for concurrency in levels:
                if w1:
                    case = await paired_w1(server, keys, concurrency=concurrency,
                                           slice_requests=size, rounds=args.rounds, log=log)  # fmt: skip
                else:
                    case = await paired_w3(server, keys, concurrency=concurrency, batch=args.batch,
                                           slice_events=size, rounds=args.rounds, log=log)  # fmt: skip
                print("\n".join(describe(case)), flush=True)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
