"""Side-by-side cost of parsing list items into models: lazy (this tree) vs eager (a baseline).

The baseline is the ``synerise_async`` package of a git revision (``--baseline``, default
``main``), extracted into a temporary directory as ``synerise_async_baseline`` so both
versions import in one process. Each repetition times every case once, in a rotating
order, with ``time.process_time`` (CPU time: the machine is shared); the table shows the
median over the repetitions in microseconds per item.

    .venv/bin/python bench/models_micro.py --items 2000 --reps 7 --baseline main
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.payloads import workflow  # noqa: E402

MODEL = "models.workflow_list_item"


def baseline_package(revision: str, into: Path, repo: Path) -> str:
    """Extract ``synerise_async`` at ``revision`` as ``synerise_async_baseline`` under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", revision, "synerise_async"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / "synerise_async").rename(into / "synerise_async_baseline")
    sys.path.insert(0, str(into))
    return "synerise_async_baseline"


def touch_all(obj: Any, names: dict[type, tuple[str, ...]]) -> None:
    """Read every attrs field of ``obj`` and, recursively, of the models it holds."""
    cls = type(obj)
    fields = names.get(cls)
    if fields is None:
        fields = names[cls] = tuple(f.name for f in attrs.fields(cls))
    for name in fields:
        value = getattr(obj, name)
        if attrs.has(type(value)):
            touch_all(value, names)
        elif value.__class__ is list:
            for item in value:
                if attrs.has(type(item)):
                    touch_all(item, names)


def cases(lazy: type[Any], eager: type[Any], raw: bytes) -> dict[str, Callable[[], object]]:
    """The timed callables; each parses (or walks) every item of ``raw`` once."""
    data = orjson.loads(raw)
    names: dict[type, tuple[str, ...]] = {}
    lazy_items = list(map(lazy.from_dict, data))
    eager_items = list(map(eager.from_dict, data))

    def iterate(cls: type[Any], source: list[Any]) -> Callable[[], object]:
        def run() -> object:
            for _ in map(cls.from_dict, source):
                pass
            return None

        return run

    def touch(cls: type[Any]) -> Callable[[], object]:
        def run() -> object:
            for item in map(cls.from_dict, data):
                touch_all(item, names)
            return None

        return run

    def to_dict(cls: type[Any]) -> Callable[[], object]:
        def run() -> object:
            return [item.to_dict() for item in map(cls.from_dict, data)]

        return run

    return {
        "orjson.loads (bytes -> dicts)": lambda: orjson.loads(raw),
        "json.loads (bytes -> dicts)": lambda: json.loads(raw),
        "eager from_dict (dicts)": iterate(eager, data),
        "lazy from_dict + iterate (dicts)": iterate(lazy, data),
        "eager from_dict + touch every field": touch(eager),
        "lazy from_dict + touch every field": touch(lazy),
        "eager from_dict + to_dict": to_dict(eager),
        "lazy from_dict + to_dict": to_dict(lazy),
        "orjson.loads + eager from_dict (bytes)": lambda: list(
            map(eager.from_dict, orjson.loads(raw))
        ),
        "orjson.loads + lazy from_dict (bytes)": lambda: list(
            map(lazy.from_dict, orjson.loads(raw))
        ),
        "json.loads + lazy from_dict (bytes)": lambda: list(map(lazy.from_dict, json.loads(raw))),
        # Sanity: the two parsed lists compare equal (and so exercise __eq__ across versions'
        # field values, not instances).
        "_check": lambda: (
            [attrs.asdict(a) for a in lazy_items] == [attrs.asdict(e) for e in eager_items]
        ),
    }


def main() -> None:
    """Print a Markdown table: median µs per item of each case, lazy and eager side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--baseline", default="main", help="git revision of the eager models")
    parser.add_argument("--repo", type=Path, default=ROOT, help="git checkout holding --baseline")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="models-micro-") as tmp:
        base = baseline_package(args.baseline, Path(tmp), args.repo)
        eager = importlib.import_module(f"{base}.{MODEL}").WorkflowListItem
        lazy = importlib.import_module(f"synerise_async.{MODEL}").WorkflowListItem
        raw = orjson.dumps([workflow(i) for i in range(args.items)])
        timed = cases(lazy, eager, raw)
        if not timed.pop("_check")():
            raise SystemExit("lazy and eager models disagree on the payload")
        for run in timed.values():  # warm-up (module binding, enum maps, allocator)
            run()
        samples: dict[str, list[float]] = {name: [] for name in timed}
        order = list(timed)
        for rep in range(args.reps):
            shift = rep % len(order)
            for name in order[shift:] + order[:shift]:
                start = time.process_time()
                timed[name]()
                samples[name].append(time.process_time() - start)

    print(f"{args.items} WorkflowListItem per run, {args.reps} reps, baseline {args.baseline}\n")
    print("| case | µs/item (median) | min |")
    print("|---|---:|---:|")
    for name, values in samples.items():
        med = statistics.median(values) / args.items * 1e6
        low = min(values) / args.items * 1e6
        print(f"| {name} | {med:.2f} | {low:.2f} |")


if __name__ == "__main__":
    main()
