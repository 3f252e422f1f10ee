"""Simulated cache misses per W1 request, W2 item or W3 event, and the C functions that
take them: where timed CPU and instruction counts part ways.

    python -m bench.cache_misses --workload W3 --batch 100 [--competitors a,b] [--top 15]
        [--by I1mr|D1mr|Ir]

Runs the loops of ``bench.instructions`` under ``valgrind --tool=cachegrind --cache-sim=yes``
(short and long run, the difference divided by the extra units, as there) and prints, per
unit, instructions, first-level instruction-cache misses (I1) and data-cache misses (D1),
then the functions whose I1 misses differ most from the first competitor's. Valgrind
simulates a generic cache, not this CPU's, so read the differences, not the absolutes.
On this machine's first W3 run (issue 13) the SDK executed 1.3% more instructions per event
than the salted sender by hand but took 21% more I1 misses: more distinct C functions and
bytecode paths per event, which no instruction count shows.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import sys
from pathlib import Path

from .harness import ServerProcess
from .instructions import DEFAULTS, run_child

WORK = Path(__file__).resolve().parent / ".work"
_EVENTS = ("Ir", "I1mr", "D1mr")
Counts = dict[tuple[str, str], dict[str, int]]


def _run(spec: str, units: int, concurrency: int, base_url: str, out: Path) -> Counts:
    run_child(spec, units, concurrency, base_url, cache_sim=True, out=str(out))
    return _per_function(out)


def _per_function(path: Path) -> Counts:
    """Cachegrind's output summed per (file, function)."""
    events: list[str] = []
    where = ("?", "?")
    totals: Counts = collections.defaultdict(lambda: dict.fromkeys(_EVENTS, 0))
    source = "?"
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("fl="):
                source = line[3:].strip().rsplit("/", 1)[-1]
            elif line.startswith("fn="):
                where = (source, line[3:].strip())
            elif line[:1].isdigit():
                values = line.split()[1:]
                row = totals[where]
                for name, value in zip(events, values, strict=False):
                    if name in row:
                        row[name] += int(value)
    return totals


def _difference(long: Counts, short: Counts, units: int) -> Counts:
    zero = dict.fromkeys(_EVENTS, 0)
    return {
        key: {e: (row[e] - short.get(key, zero)[e]) / units for e in _EVENTS}
        for key, row in long.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cache_misses", description=__doc__)
    parser.add_argument("--workload", choices=sorted(DEFAULTS), default="W3")
    parser.add_argument("--competitors", help="default: the first two of bench.instructions'")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100, help="W3 batch size, W2 page size")
    parser.add_argument("--top", type=int, default=15, help="functions to list")
    parser.add_argument(
        "--by",
        choices=("I1mr", "D1mr", "Ir"),
        default="I1mr",
        help="what to rank functions by (Ir: instructions)",
    )
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed; nothing measured", file=sys.stderr)
        return 2
    names = (args.competitors or ",".join(DEFAULTS[args.workload].split(",")[:2])).split(",")
    w1 = args.workload == "W1"
    short, long = (300, 1300) if w1 else (2000, 12000)
    WORK.mkdir(exist_ok=True)
    per_unit: dict[str, Counts] = {}
    with ServerProcess() as server:
        for name in names:
            spec = f"{name}:{args.workload}:{args.batch}:{long}"
            runs = []
            for units in (short, long):
                if args.workload == "W2":
                    server.configure(workflows_total=units)
                out = WORK / f"cachegrind.{name}.{units}"
                runs.append(_run(spec, units, args.concurrency, server.base_url, out))
            per_unit[name] = _difference(runs[1], runs[0], long - short)
            sums = {e: sum(row[e] for row in per_unit[name].values()) for e in _EVENTS}
            print(
                f"{name:32s} {sums['Ir'] / 1000:7.2f}k instructions, {sums['I1mr']:7.1f} I1 "
                f"misses, {sums['D1mr']:7.1f} D1 misses per unit",
                flush=True,
            )
    base = per_unit[names[0]]
    zero = dict.fromkeys(_EVENTS, 0.0)
    for name in names[1:]:
        other = per_unit[name]
        keys = set(base) | set(other)
        event = args.by
        ranked = sorted(keys, key=lambda k: other.get(k, zero)[event] - base.get(k, zero)[event])
        print(f"\n{event} per unit, {name} minus {names[0]} (largest first):")
        for key in reversed(ranked[-args.top :]):
            mine, theirs = other.get(key, zero)[event], base.get(key, zero)[event]
            print(f"  {mine - theirs:+8.2f}  ({theirs:7.2f} -> {mine:7.2f})  {key[0]}:{key[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
