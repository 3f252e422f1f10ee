"""Instructions and simulated cache misses per event of W3's stamping loop alone: the
salted sender's by hand against ``send_many``'s ``Batcher``, no network, no event loop.

    python -m bench.batcher_cost [--batch 100] [--variant path/to/_event_batch.py ...]

Each loop runs under ``valgrind --tool=cachegrind --cache-sim=yes`` twice (2,000 and
22,000 events) and the difference is divided by 20,000, as in ``bench.instructions``.
A ``--variant`` is a copy of ``synerise_async/_event_batch.py`` with an experiment in it
(its relative imports made absolute): the way to try a change to the per-event path
before the slower whole-W3 counts (``bench.cache_misses --workload W3``) and timed runs.
I1 misses move by up to ±10% between runs of the same code (where the code lands in the
simulated cache), so repeat a comparison before trusting a difference smaller than that.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import payloads
from .clients import JOB_TIME, MAX_BATCH_BYTES, salted_batches
from .instructions import cachegrind

BY_HAND = "by-hand"
BATCHER = "batcher"
SHORT, LONG = 2_000, 22_000
_EVENTS = ("Ir", "I1mr", "D1mr")


def _batcher_loop(batcher_class: Any, batch_size: int) -> Callable[[Sequence[Any]], int]:
    def run(events: Sequence[Any]) -> int:
        batcher = batcher_class(
            batch_size=batch_size, max_bytes=MAX_BATCH_BYTES, namespace="bench", time=JOB_TIME
        )
        pending, sent = iter(events), 0
        while (taken := batcher.take(pending)) is not None:
            if isinstance(taken, tuple):
                raise SystemExit(f"refused: {taken[0]}")
            sent += len(taken.body())
        rest = batcher.rest()
        return sent + (len(rest.body()) if rest is not None else 0)

    return run


def _loop(name: str, batch_size: int) -> Callable[[Sequence[Any]], int]:
    if name == BY_HAND:
        return lambda events: sum(len(body) for _, body in salted_batches(events, batch_size))
    if name == BATCHER:
        from synerise_async._event_batch import Batcher

        return _batcher_loop(Batcher, batch_size)
    spec = importlib.util.spec_from_file_location("batcher_variant", name)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {name}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return _batcher_loop(module.Batcher, batch_size)


def _child(name: str, batch_size: int, count: int) -> None:
    events = payloads.events(LONG)
    loop = _loop(name, batch_size)
    loop(events[:200])  # warm-up: imports and first-call caches
    loop(events[:count])


def _count(name: str, batch_size: int, count: int) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "cachegrind.out"
        child = ["bench.batcher_cost", "--child", name, "--batch", str(batch_size)]
        cachegrind([*child, "--count", str(count)], cache_sim=True, out=str(out), label=name)
        names: list[str] = []
        for line in out.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("events:"):
                names = line.split()[1:]
            elif line.startswith("summary:"):
                return dict(zip(names, map(int, line.split()[1:]), strict=True))
    raise SystemExit(f"{name}: no summary line in cachegrind's output")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.batcher_cost", description=__doc__)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--variant", action="append", default=[], help="an _event_batch.py copy")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.batch, args.count)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed; nothing measured", file=sys.stderr)
        return 2
    for name in [BY_HAND, BATCHER, *args.variant]:
        short, long = _count(name, args.batch, SHORT), _count(name, args.batch, LONG)
        per = {e: (long[e] - short[e]) / (LONG - SHORT) for e in _EVENTS}
        print(
            f"{name:32s} {per['Ir'] / 1000:6.2f}k instructions, {per['I1mr']:6.1f} I1 misses, "
            f"{per['D1mr']:6.1f} D1 misses per event",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
