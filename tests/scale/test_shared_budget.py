"""A rate budget shared through a real Redis by real worker processes."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from synerise_async import RateLimit, RedisRateLimiter
from tests.localserver import serve
from tests.scale.servers import collect, free_port, release, spawn_workers

WORKERS = 4
BUDGET = 80.0


class PingServer:
    """Counts ``GET /ping`` arrivals by time; answers 429 while ``throttling`` is set."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.throttling = False
        self.started = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_get("/ping", self.ping)

    async def ping(self, request: web.Request) -> web.Response:
        self.arrivals.append(time.monotonic())
        self.started.set()
        if self.throttling:
            return web.Response(status=429, headers={"Retry-After": "0"})
        return web.Response(status=204)

    @property
    def first(self) -> float:
        """When the fleet's first request arrived (workers take a moment to start)."""
        return self.arrivals[0]

    def rate(self, start: float, end: float) -> float:
        """Requests per second that arrived in ``[start, end)`` (monotonic seconds)."""
        return sum(start <= t < end for t in self.arrivals) / (end - start)


@asynccontextmanager
async def fleet(
    redis_url: str, url: str, *, duration: float, recovery: float = 10.0
) -> AsyncIterator[list[object]]:
    args = (
        *("--redis", redis_url, "--url", url, "--budget", f"ws-{uuid.uuid4()}"),
        *("--per-second", str(BUDGET), "--duration", str(duration), "--recovery", str(recovery)),
    )
    procs = await asyncio.to_thread(spawn_workers, "tests.scale.budget_worker", WORKERS, *args)
    results: list[object] = []
    release(procs)
    yield results
    results.extend(await asyncio.to_thread(collect, procs, 120))


async def test_fleet_rate_stays_within_ten_percent_of_the_shared_budget(redis_url: str) -> None:
    """4 processes x 16 tasks sharing an 80/s Redis budget send 80/s together (+-10%)."""
    server = PingServer()
    duration = 4.0
    async with serve(server.app) as url:
        async with fleet(redis_url, url, duration=duration) as results:
            pass
        # The steady state: from the first arrival (process start-up skew excluded) for
        # the run's duration less a second for the workers' staggered starts and stops.
        rate = server.rate(server.first, server.first + duration - 1.0)
    assert len(results) == WORKERS
    assert BUDGET * 0.9 <= rate <= BUDGET * 1.1, rate


async def test_a_throttle_slows_the_whole_fleet_which_then_recovers(redis_url: str) -> None:
    """429s seen by any worker cut the shared rate for all; it then climbs back to the budget."""
    server = PingServer()
    recovery = 2.5
    async with serve(server.app) as url:
        async with fleet(redis_url, url, duration=6.0, recovery=recovery) as results:
            await server.started.wait()
            go = server.first
            await asyncio.sleep(1.5)
            server.throttling = True
            await asyncio.sleep(0.6)
            server.throttling = False
            cut_end = time.monotonic()
        before = server.rate(go + 0.3, go + 1.5)
        after_cut = server.rate(cut_end, cut_end + 0.7)
        recovered = server.rate(cut_end + recovery + 0.3, go + 6.0)
    assert sum(r["cuts"] for r in results) >= 1  # type: ignore[index]
    assert before >= BUDGET * 0.85, before
    assert after_cut <= BUDGET * 0.7, after_cut
    assert recovered >= BUDGET * 0.85, recovered


async def test_unreachable_redis_budget_falls_back_to_a_local_bucket(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With Redis down the limiter still limits (locally) and warns once."""
    caplog.set_level(logging.WARNING, logger="synerise_async.redis")
    dead = f"redis://127.0.0.1:{free_port()}/0"
    limit = RateLimit(per_second=1000, burst=5)
    async with RedisRateLimiter(dead, limit=limit, budget="ws", timeout=0.2) as limiter:
        for _ in range(5):
            await limiter.acquire()
        await limiter.on_response(429)
        assert limiter.degraded
        assert limiter._local.stats.acquired == 5 and limiter._local.stats.cuts == 1
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1
