"""W7: what the scale-out options cost per request, side by side with none of them.

The W1 request (a small GET) through synerise-async four ways, alternating: no limiter;
a local ``RateLimit``; a ``RedisRateLimiter`` (one Lua round trip to a local redis-server
per lease of permits); a ``RedisTokenCache``. The budgets are set far above what the run can
reach, so nothing ever waits and the difference is the limiter's own cost. The token
cache is only read and written when a token is obtained or refreshed, so its row shows
what it adds to a run whose token stays valid (nothing, it should be). Redis's own CPU
is not the client's and is not counted.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

import attrs

from .clients import API_KEY, run_workers
from .harness import ServerProcess, timed

__all__ = ["CONTENDERS", "run_w7"]

CONTENDERS = {
    "none": "no limiter, memory token cache (the W1 configuration)",
    "local": "`RateLimit` (local adaptive bucket)",
    "redis-limiter": "`RedisRateLimiter` (shared budget, one Redis round trip per lease of up to 16)",
    "redis-cache": "`RedisTokenCache` (no limiter)",
}
CONCURRENCY = 16
NEVER_WAIT = 1e9
"""Requests per second (and burst) no run reaches: the limiter is consulted, never waits."""


@contextlib.contextmanager
def redis_server() -> Iterator[str | None]:
    """A throwaway redis-server on a free port, or ``None`` if the binary is missing."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as workdir:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir, "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


async def _one_run(server: ServerProcess, kind: str, redis_url: str | None, n: int) -> Any:
    from synerise_async import (
        RateLimit,
        RedisRateLimiter,
        RedisTokenCache,
        SyneriseClient,
        WorkspaceAuth,
    )
    from synerise_async.api.workspaces import get_current_business_profile_using_get as op

    options: dict[str, Any] = {}
    closers: list[Any] = []
    tag = f"bench-{uuid.uuid4().hex[:8]}"
    if kind == "local":
        options["rate_limit"] = RateLimit(per_second=NEVER_WAIT, burst=NEVER_WAIT)
    elif kind == "redis-limiter":
        limiter = RedisRateLimiter(
            redis_url, limit=RateLimit(per_second=NEVER_WAIT, burst=NEVER_WAIT), budget=tag
        )
        options["rate_limit"] = limiter
        closers.append(limiter.aclose)
    elif kind == "redis-cache":
        cache = RedisTokenCache(redis_url, prefix=tag)
        options["token_cache"] = cache
        closers.append(cache.aclose)
    try:
        async with SyneriseClient(
            WorkspaceAuth(api_key=API_KEY),
            base_url=server.base_url,
            max_concurrency=CONCURRENCY,
            connection_limit=CONCURRENCY,
            **options,
        ) as client:
            for _ in range(20):  # warm-up: log in, open connections, load the scripts
                await op.asyncio(client=client)

            async def call() -> Any:
                return await op.asyncio(client=client)

            async def body() -> int:
                return await run_workers(n, CONCURRENCY, call)

            return await timed(server, kind, body)
    finally:
        for close in closers:
            await close()


async def run_w7(server: ServerProcess, requests: int, reps: int, log: Any) -> dict[str, Any]:
    """Every contender ``reps`` times, alternating; the raw samples by contender."""
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key in CONTENDERS}
    notes: list[str] = []
    with redis_server() as redis_url:
        kinds = list(CONTENDERS)
        if redis_url is None:
            kinds = ["none", "local"]
            notes.append("redis-server is not installed (`make redis-server`): Redis rows skipped")
            for key in ("redis-limiter", "redis-cache"):
                runs.pop(key)
        for rep in range(reps):
            for kind in kinds:
                sample = await _one_run(server, kind, redis_url, requests)
                runs[kind].append(attrs.asdict(sample))
                log(
                    f"  W7 rep {rep + 1}/{reps} {kind}: {sample.rate:,.0f} req/s, "
                    f"cpu {sample.cpu_us_per_request:,.0f} us/req"
                )
    return {
        "requests": requests,
        "concurrency": CONCURRENCY,
        "contenders": CONTENDERS,
        "runs": runs,
        "notes": notes,
    }
