"""Server process control, measurement of one run, and summary statistics."""

from __future__ import annotations

import gc
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
import orjson

__all__ = [
    "Sample",
    "ServerProcess",
    "proc_status_kb",
    "run_json_child",
    "summarise",
    "timed",
]

ROOT = Path(__file__).resolve().parent.parent


class ServerProcess:
    """``python -m bench.server`` in a child process on 127.0.0.1 (its own CPU core)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"bench server did not start: {line!r}")
        self.base_url = f"http://127.0.0.1:{int(line.split()[1])}"
        self.pinned = pin_cores(self._proc.pid)

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def stop(self) -> None:
        proc = self._proc
        if proc is None:
            return
        self._proc = None
        unpin()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def control(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else orjson.dumps(payload)
        request = urllib.request.Request(
            self.base_url + path, data=data, method="GET" if data is None else "POST"
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            return orjson.loads(resp.read())

    def configure(self, **config: Any) -> None:
        self.control("/__config", config)

    def reset(self) -> None:
        self.control("/__reset", {})

    def stats(self) -> dict[str, Any]:
        return dict(self.control("/__stats"))


@attrs.define
class Sample:
    """One timed run of one competitor."""

    competitor: str
    wall: float
    cpu: float
    """Client process CPU seconds (``time.process_time``)."""
    ops: int
    """Units of work done (requests, items or events, per workload)."""
    requests: int
    """HTTP requests the server answered during the run (retries included)."""
    server_cpu: float
    extra: dict[str, Any] = attrs.field(factory=dict)

    @property
    def rate(self) -> float:
        return self.ops / self.wall if self.wall > 0 else 0.0

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu / self.requests * 1e6 if self.requests else 0.0


async def timed(
    server: ServerProcess, competitor: str, body: Callable[[], Awaitable[int]]
) -> Sample:
    """Run ``body`` once and measure wall time, client CPU and the server's side of it."""
    gc.collect()
    before = server.stats()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    ops = await body()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    after = server.stats()
    return Sample(
        competitor=competitor,
        wall=wall,
        cpu=cpu,
        ops=ops,
        requests=after["requests"] - before["requests"],
        server_cpu=after["cpu"] - before["cpu"],
        extra={
            "too_many": after["too_many"] - before["too_many"],
            "unauthorized": after["unauthorized"] - before["unauthorized"],
            "events_accepted": after["events_accepted"] - before["events_accepted"],
        },
    )


def summarise(values: list[float]) -> dict[str, float]:
    """Median with min and max (the tables show ``median (min to max)``)."""
    if not values:
        return {"median": 0.0, "min": 0.0, "max": 0.0}
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


_STATUS_FIELD = re.compile(r"^(Vm\w+):\s+(\d+) kB", re.MULTILINE)


def proc_status_kb(pid: int | str = "self") -> dict[str, int]:
    """``VmRSS``, ``VmHWM`` and friends from ``/proc/<pid>/status`` in kB (Linux only)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {name: int(value) for name, value in _STATUS_FIELD.findall(text)}


def reset_peak_rss() -> bool:
    """Reset ``VmHWM`` to the current RSS (``echo 5 > /proc/self/clear_refs``) if allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def pin_cores(server_pid: int) -> str:
    """With ``BENCH_PIN=1`` on >= 2 cores, give the server the last core and this (client)
    process the first; returns a description for the report. Off by default: on the 2-core
    VM it measured no steadier, and slower whenever a third process needs a core."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    if os.environ.get("BENCH_PIN", "0") != "1":
        return "not pinned (set BENCH_PIN=1 to pin)"
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return "not pinned (one core)"
    try:
        os.sched_setaffinity(server_pid, {cores[-1]})
        os.sched_setaffinity(0, {cores[0]})
    except OSError as exc:
        return f"not pinned ({exc})"
    return f"server on core {cores[-1]}, client on core {cores[0]}"


def unpin() -> None:
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, range(os.cpu_count() or 1))
        except OSError:
            pass


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_json_child(argv: list[str], *, cwd: Path, env: dict[str, str], what: str) -> dict[str, Any]:
    """Run a measuring child (``python -c ...``); its last stdout line is a JSON object, to
    which the child's wall time as seen from here is added (``process_wall``)."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{proc.stderr[-3000:]}")
    data: dict[str, Any] = orjson.loads(proc.stdout.strip().splitlines()[-1])
    data["process_wall"] = wall
    return data
