"""The local adaptive token bucket: fixed rate, cut on 429, gradual recovery, fail fast."""

from __future__ import annotations

import pytest

from synerise_async import (
    AdaptiveRateLimiter,
    ClientRateLimited,
    ConfigurationError,
    RateLimit,
    RateLimitError,
    SyneriseClient,
    WorkspaceAuth,
)
from synerise_async.testing import FakeSynerise


class VirtualTime:
    """A clock that only moves when the limiter sleeps, recording every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(limit: RateLimit) -> tuple[AdaptiveRateLimiter, VirtualTime]:
    vt = VirtualTime()
    return AdaptiveRateLimiter(limit, clock=vt.clock, sleep=vt.sleep), vt


async def test_fixed_rate_spaces_requests_after_the_burst() -> None:
    """At 10/s with a burst of 2, 12 back-to-back acquisitions take 1 s of (virtual) waiting."""
    rl, vt = limiter(RateLimit(per_second=10, burst=2))
    for _ in range(12):
        await rl.acquire()
    assert vt.now == pytest.approx(1.0)
    assert rl.stats.acquired == 12 and rl.stats.waited == 10


async def test_a_throttle_cuts_the_rate_once_per_cooldown_then_it_recovers() -> None:
    """A 429 multiplies the rate by backoff; a burst of 429s cuts once; it climbs back linearly."""
    rl, vt = limiter(RateLimit(per_second=100, backoff=0.5, recovery_seconds=10))
    for _ in range(20):
        await rl.on_response(429)
    assert rl.rate() == pytest.approx(50)
    assert (rl.stats.throttles, rl.stats.cuts) == (20, 1)
    vt.now += 5
    assert rl.rate() == pytest.approx(75)
    vt.now += 5
    assert rl.rate() == pytest.approx(100)


async def test_repeated_throttles_stop_at_the_floor() -> None:
    """However many 429s arrive (past the cooldown), the rate never drops below the floor."""
    rl, vt = limiter(RateLimit(per_second=100, min_per_second=7, backoff=0.5))
    rates = []
    for _ in range(30):
        await rl.on_response(429)
        rates.append(rl.rate())
        vt.now += 0.6  # just past the cooldown, so every one of them cuts
    assert rates[0] == 50 and min(rates) == 7 and rates[-1] == 7


async def test_non_adaptive_limit_ignores_throttles() -> None:
    """With adaptive=False a 429 is counted but the rate stays fixed."""
    rl, _ = limiter(RateLimit(per_second=20, adaptive=False))
    await rl.on_response(429)
    assert rl.rate() == 20 and rl.stats.throttles == 1 and rl.stats.cuts == 0


async def test_fail_fast_raises_a_rate_limit_error_without_waiting() -> None:
    """fail_fast turns an empty bucket into ClientRateLimited (a RateLimitError) with retry_after."""
    rl, vt = limiter(RateLimit(per_second=4, burst=1, fail_fast=True))
    await rl.acquire()
    with pytest.raises(ClientRateLimited) as caught:
        await rl.acquire()
    assert isinstance(caught.value, RateLimitError)
    assert caught.value.retry_after == pytest.approx(0.25)
    assert vt.sleeps == [] and rl.stats.refused == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"per_second": 0},
        {"per_second": -1},
        {"per_second": 10, "burst": 0},
        {"per_second": 10, "backoff": 1.0},
        {"per_second": 10, "min_per_second": 11},
        {"per_second": 10, "recovery_seconds": 0},
    ],
)
def test_invalid_limits_are_configuration_errors(kwargs: dict[str, float]) -> None:
    """Nonsensical budgets fail at construction with a ConfigurationError."""
    with pytest.raises(ConfigurationError):
        RateLimit(**kwargs)


def test_client_rejects_a_rate_limit_of_the_wrong_type() -> None:
    """rate_limit= must be a RateLimit or an object with acquire/on_response."""
    with pytest.raises(ConfigurationError, match="rate_limit"):
        SyneriseClient(WorkspaceAuth(api_key="k"), base_url="http://127.0.0.1:1", rate_limit=5)  # type: ignore[arg-type]


async def test_client_reports_every_response_to_its_limiter() -> None:
    """A client with a rate limit acquires before each attempt and feeds 429s back to it."""
    async with FakeSynerise(seed=3, rate_429=0.3, retry_after=0.0) as fake:
        async with SyneriseClient(
            WorkspaceAuth(api_key=fake.api_key),
            base_url=fake.url,
            rate_limit=RateLimit(per_second=1000, burst=1000),
        ) as client:
            report = await client.events.send_many(
                [
                    {
                        "action": "a.b",
                        "label": "l",
                        "client": {"customId": str(n)},
                        "time": "2026-01-01T00:00:00Z",
                    }
                    for n in range(200)
                ],
                batch_size=10,
            )
            limiter = client._rate_limiter
    assert report.ok
    assert isinstance(limiter, AdaptiveRateLimiter)
    assert limiter.stats.acquired == client.stats.requests
    assert limiter.stats.throttles == fake.stats.faults_injected["429"] > 0
    assert limiter.stats.cuts >= 1
