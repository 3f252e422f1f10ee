"""Real servers for the scale-out tests: a redis-server and a FakeSynerise process.

Both run as child processes on free 127.0.0.1 ports and are stopped by the caller. The
redis-server binary is installed by the project (``make redis-server``; ``.ci/run`` runs
it), so a missing binary is a failure with instructions, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_binary() -> str:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if found is None:
        raise RuntimeError(
            "redis-server is not installed; run `make redis-server` (Debian: "
            "apt-get install redis-server), which `.ci/run` and `make test` do"
        )
    return found


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A throwaway redis-server (no persistence) on a free port; yields its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            redis_binary(),
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(workdir),
            "--save", "",
            "--appendonly", "no",
            "--protected-mode", "yes",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start (exit {proc.poll()})")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@attrs.frozen
class FakeProcess:
    """A ``python -m synerise_async.testing`` child process and how to reach it."""

    url: str
    api_key: str

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/__fake__/stats", timeout=10) as resp:
            data: dict[str, Any] = json.loads(resp.read())
        return data


@contextmanager
def fake_process(*args: str) -> Iterator[FakeProcess]:
    """Run the fake Synerise in its own process (workers in other processes can reach it)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "synerise_async.testing", "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        found: dict[str, str] = {}
        while "SYNERISE_API_KEY" not in found:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the fake exited before serving (exit {proc.wait()})")
            name, _, value = line.strip().partition("=")
            found[name] = value
        yield FakeProcess(found["SYNERISE_BASE_URL"], found["SYNERISE_API_KEY"])
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def spawn_workers(module: str, count: int, *args: str) -> list[subprocess.Popen[str]]:
    """Start ``count`` ``python -m <module> <args>`` processes that wait for "go" on stdin."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(count)
    ]
    for proc in procs:
        assert proc.stdout is not None
        ready = proc.stdout.readline().strip()
        if ready != "ready":
            raise RuntimeError(f"worker did not get ready: {ready!r} (exit {proc.poll()})")
    return procs


def release(procs: list[subprocess.Popen[str]]) -> None:
    """Tell every worker to go (as close to at once as writes allow)."""
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()


def release_and_collect(procs: list[subprocess.Popen[str]], timeout: float) -> list[Any]:
    """Tell every worker to go at once; return each one's JSON result line."""
    release(procs)
    return collect(procs, timeout)


def collect(procs: list[subprocess.Popen[str]], timeout: float) -> list[Any]:
    """Each worker's JSON result line, once it has finished."""
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"worker failed (exit {proc.returncode}): {out[-2000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results
