"""W6 scale: does a client's cost grow with the number of operations in the spec?

For each size (synthetic specs of :mod:`bench.synthspec`, e.g. ~100, ~300 and ~730
operations, plus the real package) a fresh interpreter measures, with byte-code caches
(as after installing a wheel):

- ``import``: ``from synerise_async import SyneriseClient, TokenAuth`` (the client, its
  resource namespaces, aiohttp; no operation module);
- first call: constructing ``SyneriseClient(TokenAuth(...))`` against a loopback server,
  entering it and awaiting the first ``client.<tag>.<operation>(...)`` (session set-up,
  the tag's resource module, the operation module and its models). ``TokenAuth`` takes a
  ready token, so no login is made: login is excluded, for every size alike;
- ``VmRSS`` after the import and after the first call, and ``len(sys.modules)``;
- in another fresh process, each generated package ``__init__`` whose size follows the
  spec's (``api``: the operation registry, ``models``: the lazy name map, ``resources``:
  the namespaces and ``paginate`` overloads) imported alone: CPU and RSS.

Two first calls are made, in this order: one of the ``Features`` tag, whose size is the
same in every synthetic spec (what a call pays for the spec's total size), then one of
``Area00``, whose tag grows with the spec (what a call pays for a bigger tag). Sizes run
alternating (100, 300, 730, real, 100, ...) so the machine's drifting load hits each
alike; tables show medians of the fresh processes.

A synthetic package is the hand-written part of ``synerise_async`` copied next to the
generated parts of the synthetic spec, in a temporary directory that is the child's
working directory (first on ``sys.path``); the child checks it imported that copy.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import payloads
from .harness import ROOT, run_json_child

__all__ = ["FLAT_TOLERANCE", "assemble_package", "loopback_server", "measure_scale"]

FLAT_TOLERANCE = 1.2
"""A measure is "flat" when its value at the largest size is within this factor of the
smallest size's (medians of fresh processes; the noise between processes is reported)."""

PACKAGE = "synerise_async"
GENERATED_PARTS = ("api", "models", "resources", "types.py")
"""What ``make generate`` owns in the package (``codegen.paths.GENERATED_PARTS``)."""

REAL_CALL = ("workspaces", "get_current_business_profile_using_get", {})
FEATURE_CALL = ("features", "get_feature_item", {"item_id": "item-1"})
"""``GET /features/items/{itemId}`` of the synthetic ``features.yaml`` (same in every size)."""
AREA_TAG = "area_00"
AREA_OPERATION_PREFIX = "get_area_00_item_"
"""The ``get<Tag>Item<k>`` operations of ``Area00`` (the first one found is called)."""

_TOKEN = payloads.jwt("bench-scale", int(time.time()), int(time.time()) + 10 * 86400, 1)

_CHILD = r"""
import json, os, re, sys, time  # all loaded at start-up anyway

GENERATED = ("synerise_async.api", "synerise_async.models", "synerise_async.resources",
             "synerise_async.types")

def generated_loaded():  # the generated modules loaded so far, their source bytes
    names = [m for m in sys.modules if m.startswith(GENERATED)]
    size = sum(os.path.getsize(f) for m in names if (f := getattr(sys.modules[m], "__file__", None)))
    return len(names), size

def rss_mb():
    text = open("/proc/self/status").read()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024

base_url, token, expected_dir, calls = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
t0, c0 = time.perf_counter(), time.process_time()
from synerise_async import SyneriseClient, TokenAuth
import_s, import_cpu_s = time.perf_counter() - t0, time.process_time() - c0
import synerise_async
if not synerise_async.__file__.startswith(expected_dir):
    raise SystemExit(f"imported {synerise_async.__file__}, not the copy in {expected_dir}")
out = {"import_s": import_s, "import_cpu_s": import_cpu_s, "import_modules": len(sys.modules),
       "import_rss_mb": rss_mb()}
out["import_generated_modules"], out["import_generated_bytes"] = generated_loaded()
import asyncio

async def first_calls():
    t, c = time.perf_counter(), time.process_time()
    async with SyneriseClient(TokenAuth(token=token), base_url=base_url) as client:
        for i, (tag, operation, kwargs) in enumerate(calls):
            result = await getattr(getattr(client, tag), operation)(**kwargs)
            if result is None:
                raise SystemExit(f"{tag}.{operation} returned None")
            out[f"call{i}_s"] = time.perf_counter() - t
            out[f"call{i}_cpu_s"] = time.process_time() - c
            out[f"call{i}_modules"] = len(sys.modules)
            t, c = time.perf_counter(), time.process_time()
        out["rss_mb"] = rss_mb()

asyncio.run(first_calls())
out["modules"] = len(sys.modules)
out["generated_modules"], out["generated_bytes"] = generated_loaded()
largest = sorted(
    ((os.path.getsize(m.__file__), name) for name, m in list(sys.modules.items())
     if name.startswith(GENERATED) and getattr(m, "__file__", None)),
    reverse=True,
)
out["generated_largest"] = [[name, size] for size, name in largest[:4]]
print(json.dumps(out))
"""


_PROBE = r"""
import importlib, json, re, sys, time

def rss_kb():
    return int(re.search(r"VmRSS:\s+(\d+)", open("/proc/self/status").read()).group(1))

import synerise_async.types  # what every generated module needs first: not what is probed
out = {}
for name in sys.argv[1:]:
    kb, c = rss_kb(), time.process_time()
    importlib.import_module(name)
    out[name] = {"cpu_s": time.process_time() - c, "rss_kb": rss_kb() - kb}
print(json.dumps(out))
"""
PROBED = ("synerise_async.api", "synerise_async.models", "synerise_async.resources")
"""Package ``__init__`` modules whose size follows the spec's: the first call loads the
first two (every operation module imports them), the client import the third."""


class _Handler(BaseHTTPRequestHandler):
    """Answers every GET: the workspace for the real W1 path, ``{"id": ...}`` otherwise
    (what every synthetic ``get...Item`` operation parses)."""

    protocol_version = "HTTP/1.1"
    _WORKSPACE = json.dumps(payloads.current_workspace()).encode()
    _ITEM = json.dumps({"id": "item-1", "created": "2026-01-01T00:00:00Z"}).encode()

    def do_GET(self) -> None:
        body = self._WORKSPACE if self.path.startswith("/uauth/business-profile") else self._ITEM
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the bench's stderr is its progress log."""


@contextmanager
def loopback_server() -> Iterator[str]:
    """A threaded HTTP/1.1 server on 127.0.0.1 for the first calls; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="w6-loopback", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def assemble_package(generated: Path, site: Path) -> Path:
    """``site/synerise_async``: the hand-written modules of this checkout plus the generated
    parts under ``generated``; returns ``site``."""
    source = ROOT / PACKAGE

    def ignore(directory: str, names: list[str]) -> list[str]:
        top = Path(directory) == source
        return [n for n in names if n == "__pycache__" or (top and n in GENERATED_PARTS)]

    target = site / PACKAGE
    shutil.copytree(source, target, ignore=ignore)
    for part in GENERATED_PARTS:
        if (generated / part).is_dir():
            shutil.copytree(generated / part, target / part)
        elif (generated / part).is_file():
            shutil.copy2(generated / part, target / part)
    return site


def synthetic_calls(site: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """The first calls for a synthetic package: Features, then Area00 when it has a get."""
    calls: list[tuple[str, str, dict[str, Any]]] = [FEATURE_CALL]
    area = site / PACKAGE / "api" / AREA_TAG
    found = sorted(p.stem for p in area.glob(AREA_OPERATION_PREFIX + "*.py"))
    if found:
        calls.append((AREA_TAG, found[0], {"item_id": "item-1"}))
    return calls


def _env(pycache: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPATH", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def _child(site: Path, base_url: str, calls: Sequence[Any], env: dict[str, str]) -> dict[str, Any]:
    expected = str(site / PACKAGE)
    return run_json_child(
        [_CHILD, base_url, _TOKEN, expected, json.dumps(list(calls))],
        cwd=site,
        env=env,
        what=f"W6 scale child in {site}",
    )


def _probe(site: Path, env: dict[str, str]) -> dict[str, dict[str, float]]:
    """CPU and RSS of importing each of ``PROBED`` alone, in one fresh process."""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *PROBED],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"W6 package probe in {site} failed:\n{proc.stderr[-3000:]}")
    data: dict[str, dict[str, float]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


def _packages(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per probed package: median CPU seconds and RSS kB of its import."""
    return {
        name: {
            key: statistics.median(r["packages"][name][key] for r in runs)
            for key in ("cpu_s", "rss_kb")
        }
        for name in PROBED
    }


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [k for k in runs[0] if isinstance(runs[0][k], (int, float))]
    out: dict[str, Any] = {}
    for key in keys:
        values = [r[key] for r in runs if key in r]
        out[key] = statistics.median(values)
        out[key + "_min"] = min(values)
        out[key + "_max"] = max(values)
    return out


def measure_scale(
    sizes: Sequence[dict[str, Any]], runs: int, log: Any = None
) -> dict[str, dict[str, Any]]:
    """``sizes``: dicts with ``label``, ``site`` (a directory holding ``synerise_async``)
    and ``calls``. Runs ``runs`` fresh processes per size, sizes alternating, after one
    unmeasured run each that writes the byte-code caches; returns medians per label."""
    samples: dict[str, list[dict[str, Any]]] = {s["label"]: [] for s in sizes}
    with tempfile.TemporaryDirectory(prefix="bench-w6-pyc-") as pycache, loopback_server() as url:
        envs = {s["label"]: _env(os.path.join(pycache, s["label"])) for s in sizes}
        for size in sizes:
            _child(Path(size["site"]), url, size["calls"], envs[size["label"]])
        for rep in range(runs):
            for size in sizes:
                run = _child(Path(size["site"]), url, size["calls"], envs[size["label"]])
                run["packages"] = _probe(Path(size["site"]), envs[size["label"]])
                samples[size["label"]].append(run)
                if log is not None:
                    log(
                        f"  W6 scale rep {rep + 1}/{runs} {size['label']}: import "
                        f"{run['import_cpu_s'] * 1000:.0f} ms CPU, first call "
                        f"{run['call0_cpu_s'] * 1000:.0f} ms CPU, {run['rss_mb']:.1f} MB"
                    )
    return {
        size["label"]: {
            "operations": size.get("operations"),
            "schemas": size.get("schemas"),
            "calls": [f"{tag}.{op}" for tag, op, _ in size["calls"]],
            "runs": samples[size["label"]],
            "generated_largest": samples[size["label"]][-1].get("generated_largest", []),
            "packages": _packages(samples[size["label"]]),
            **_summary(samples[size["label"]]),
        }
        for size in sizes
    }
