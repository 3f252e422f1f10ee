"""Generate the stock openapi-python-client (httpx) client from our spec, into a temp dir.

Exactly what a user of the stock generator would run on the same document:

    python -m codegen normalise          # writes openapi/build/synerise.json
    openapi-python-client generate --path openapi/build/synerise.json \
        --meta none --output-path <tmp>/stock_client

No custom templates, no config. The result is imported from the temp dir as
``stock_client`` and never lands in the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .harness import ROOT

__all__ = ["NORMALISED_SPEC", "generate_stock_client", "normalise_commands", "stock_command"]

NORMALISED_SPEC = ROOT / "openapi" / "build" / "synerise.json"


_NORMALISE_FALLBACK = (
    "from codegen.normalise import normalise, write_build; write_build(*normalise())"
)


def normalise_commands() -> list[str]:
    return [f"{Path(sys.executable).name} -m codegen normalise"]


def stock_command(out: Path) -> list[str]:
    return [
        str(Path(sys.executable).parent / "openapi-python-client"),
        "generate",
        "--path",
        str(NORMALISED_SPEC),
        "--meta",
        "none",
        "--output-path",
        str(out),
    ]


def _tool_env() -> dict[str, str]:
    """The venv's bin first on PATH, so the generator's post-hooks find the pinned ruff."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def normalise() -> float:
    """Run ``python -m codegen normalise``; return the seconds it took."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", "normalise"],
        cwd=ROOT,
        env=_tool_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 and "codegen.__main__" in proc.stderr:
        # The codegen CLI is not there yet: the same functions it wraps, in a fresh process.
        proc = subprocess.run(
            [sys.executable, "-c", _NORMALISE_FALLBACK],
            cwd=ROOT,
            env=_tool_env(),
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"python -m codegen normalise failed:\n{proc.stderr[-3000:]}")
    if not NORMALISED_SPEC.is_file():
        raise RuntimeError(f"python -m codegen normalise did not write {NORMALISED_SPEC}")
    return time.perf_counter() - t0


def generate_stock_client(temp_dir: Path) -> tuple[Path, float]:
    """Generate ``<temp_dir>/stock_client``; return the directory to put on sys.path and
    the generator's wall time."""
    out = temp_dir / "stock_client"
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    proc = subprocess.run(
        stock_command(out),
        cwd=temp_dir,
        env=_tool_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0 or not (out / "client.py").is_file():
        raise RuntimeError(
            f"stock openapi-python-client generation failed:\n{proc.stdout[-2000:]}"
            f"\n{proc.stderr[-2000:]}"
        )
    return temp_dir, elapsed
