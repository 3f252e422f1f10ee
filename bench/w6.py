"""W6: cold import of one generated operation, and regeneration time of a 730-op spec.

Import: a fresh interpreter per run imports one operation module; the child reports the
import's own time (``perf_counter`` around ``import_module``), the modules loaded and its
peak RSS; the parent also records the whole process's wall time (interpreter start-up
included). Measured with byte-code caches (as after installing a wheel) and, for
reference, compiled from source.

Regeneration: the synthetic documents of :mod:`bench.synthspec` go through the same
pipeline as ``make generate`` (load, merge, overlays, pre-flight, openapi-python-client
with our templates, ruff post-hooks) into a temporary directory, in a fresh process; wall
clock and the child's CPU time are recorded.

Scale (:func:`scale`): one synthetic spec per size (e.g. 100, 300 and 730 operations, the
largest being the timed regeneration target); each result becomes an importable package
whose import, first call and memory :mod:`bench.w6_scale` measures in fresh processes.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import w6_scale
from .harness import ROOT, run_json_child
from .synthspec import write_documents

__all__ = ["import_times", "regenerate", "scale"]

OUR_OPERATION = "synerise_async.api.automation.get_paginated_diagrams"
OUR_CLIENT = "synerise_async._client"
"""Imported after the operation for the "operation + client" row (what a script needs)."""
STOCK_OPERATION = "stock_client.api.automation.get_paginated_diagrams"

_CHILD = """
import json, re, sys, time, importlib
t = time.perf_counter()
for name in sys.argv[1:]:
    importlib.import_module(name)
elapsed = time.perf_counter() - t
try:  # VmHWM of this process image (ru_maxrss would include the parent's pages from fork)
    hwm = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
except (OSError, AttributeError):
    hwm = 0.0
print(json.dumps({"seconds": elapsed, "modules": len(sys.modules), "maxrss_mb": hwm}))
"""


def _env(extra_path: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [extra_path, env.get("PYTHONPATH")]))
    return env


def import_times(
    module: str, runs: int, extra_path: str | None = None, also: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Import ``module`` in ``runs`` fresh interpreters, twice over: with byte-code caches
    (as a pip-installed wheel has them; the target is judged on this) and compiled from
    source (no caches at all). Caches go to a temporary ``PYTHONPYCACHEPREFIX``, never
    into the source tree."""
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as prefix:
        cached_env = _env(extra_path)
        cached_env.pop("PYTHONDONTWRITEBYTECODE", None)
        cached_env["PYTHONPYCACHEPREFIX"] = prefix
        _import_child(module, cached_env, also)  # writes the caches
        cached = [_import_child(module, cached_env, also) for _ in range(runs)]
    with tempfile.TemporaryDirectory(prefix="bench-nopyc-") as empty:
        source_env = _env(extra_path)
        source_env["PYTHONDONTWRITEBYTECODE"] = "1"
        source_env["PYTHONPYCACHEPREFIX"] = empty
        source = [_import_child(module, source_env, also) for _ in range(max(1, runs // 3))]
    return {
        "module": " + ".join((module, *also)),
        "runs": cached,
        "median_seconds": statistics.median(r["seconds"] for r in cached),
        "median_process_wall": statistics.median(r["process_wall"] for r in cached),
        "modules": cached[-1]["modules"],
        "maxrss_mb": cached[-1]["maxrss_mb"],
        "source_median_seconds": statistics.median(r["seconds"] for r in source),
    }


def _import_child(module: str, env: dict[str, str], also: tuple[str, ...] = ()) -> dict[str, Any]:
    return run_json_child([_CHILD, module, *also], cwd=ROOT, env=env, what=f"importing {module}")


def codegen_cli_options() -> str:
    """``python -m codegen generate --help`` (empty when the CLI does not exist yet)."""
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", "generate", "--help"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout if proc.returncode == 0 else ""


def generate_command(documents: Path, overlays: Path, out: Path) -> list[str]:
    """The regeneration command for another spec: the codegen CLI when it takes the
    options, else this module's in-process equivalent of the same pipeline."""
    help_text = codegen_cli_options()
    if all(opt in help_text for opt in ("--documents", "--overlays", "--output")):
        return [
            sys.executable,
            "-m",
            "codegen",
            "generate",
            "--documents",
            str(documents),
            "--overlays",
            str(overlays),
            "--output",
            str(out),
        ]
    return [
        sys.executable,
        "-m",
        "bench.w6",
        "generate",
        "--documents",
        str(documents),
        "--overlays",
        str(overlays),
        "--out",
        str(out),
    ]


def synthetic_schemas(operations: int, target_operations: int, target_schemas: int) -> int:
    """Schemas for a synthetic spec of ``operations``, in the target spec's proportion."""
    return max(20, round(operations * target_schemas / target_operations))


def regenerate(root: Path, operations: int, schemas: int) -> dict[str, Any]:
    """Write the synthetic spec under ``root`` and time one regeneration of it (fresh
    process: wall and the child's CPU); the generated parts stay in ``package``."""
    counts = write_documents(root / "documents", operations, schemas)
    (root / "overlays").mkdir()
    out = root / "out"
    out.mkdir()
    command = generate_command(root / "documents", root / "overlays", out)
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(
        command, cwd=ROOT, env=_env(), capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t0
    cpu = _children_cpu() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"regeneration failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    files = list(out.rglob("*.py"))
    tmp = str(root)
    return {
        **counts,
        "seconds": wall,
        "cpu_seconds": cpu,
        "files": len(files),
        "package": str(out / "package"),
        "command": " ".join(
            "<synthetic>/" + Path(part).name if part.startswith(tmp) else part for part in command
        ).replace(sys.executable, "python"),
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def scale(
    sizes: Sequence[int],
    target_operations: int,
    target_schemas: int,
    runs: int,
    log: Callable[[str], None],
    *,
    real: bool = True,
) -> dict[str, Any]:
    """Regenerate a synthetic spec per size (the largest is the timed target), assemble an
    importable package of each, and measure import, first call and memory per size in
    fresh processes (:func:`bench.w6_scale.measure_scale`), the real package alongside."""
    generations: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-w6-scale-") as tmp:
        rows: list[dict[str, Any]] = []
        for operations in sizes:
            schemas = (
                target_schemas
                if operations == target_operations
                else synthetic_schemas(operations, target_operations, target_schemas)
            )
            log(f"  regenerating a {operations}-operation synthetic spec ...")
            root = Path(tmp) / f"ops{operations}"
            gen = regenerate(root, operations, schemas)
            generations.append({k: v for k, v in gen.items() if k != "package"})
            site = w6_scale.assemble_package(Path(gen["package"]), root / "site")
            rows.append(
                {
                    "label": f"synthetic {gen['operations']} ops",
                    "site": str(site),
                    "calls": w6_scale.synthetic_calls(site),
                    "operations": gen["operations"],
                    "schemas": gen["schemas"],
                }
            )
        if real:
            rows.append(
                {
                    "label": "real package",
                    "site": str(ROOT),
                    "calls": [w6_scale.REAL_CALL],
                    "operations": _real_operations(),
                    "schemas": _real_schemas(),
                }
            )
        measured = w6_scale.measure_scale(rows, runs, log)
    return {
        "generations": generations,
        "sizes": measured,
        "runs": runs,
        "tolerance": w6_scale.FLAT_TOLERANCE,
    }


def _real_operations() -> int:
    api = ROOT / "synerise_async" / "api"
    return sum(
        1 for p in api.glob("*/*.py") if p.name != "__init__.py" and not p.name.startswith("_")
    )


def _real_schemas() -> int:
    return sum(
        1 for p in (ROOT / "synerise_async" / "models").glob("*.py") if p.name != "__init__.py"
    )


def _generate_in_process(documents: Path, overlays: Path, out: Path) -> None:
    """What ``python -m codegen generate`` does, pointed at other documents and output."""
    from codegen.generate import generate_package, install, temporary_directory
    from codegen.normalise import normalise, write_build

    doc, report = normalise(documents, overlays)
    write_build(doc, report, out / "build")
    package = out / "package"
    package.mkdir(parents=True, exist_ok=True)
    with temporary_directory() as scratch:
        install(generate_package(doc, scratch), package)


def main() -> None:
    parser = argparse.ArgumentParser(description="W6 helpers")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="normalise + generate another spec (no install)")
    gen.add_argument("--documents", type=Path, required=True)
    gen.add_argument("--overlays", type=Path, required=True)
    gen.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "generate":
        _generate_in_process(args.documents, args.overlays, args.out)


if __name__ == "__main__":
    main()
