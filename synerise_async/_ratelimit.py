"""A client-side rate budget: a token bucket that slows down when the API says 429.

Off by default. ``SyneriseClient(rate_limit=RateLimit(per_second=50))`` sends at most 50
requests a second from that client; with ``adaptive=True`` (the default) every 429 cuts
the rate (to ``backoff`` times what it was, never below ``min_per_second``) and the rate
then climbs back linearly to ``per_second`` over ``recovery_seconds``, like botocore's
adaptive retry mode. For a budget shared by many processes and machines see
:class:`synerise_async.RedisRateLimiter`.

The client makes one ``await limiter.acquire()`` before each attempt and one
``await limiter.on_response(status)`` after each response, so any object with those two
coroutines (the :class:`RateLimiter` protocol) can stand in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol

import attrs

from ._errors import ConfigurationError, RateLimitError

__all__ = ["AdaptiveRateLimiter", "ClientRateLimited", "RateLimit", "RateLimiter"]

CUT_COOLDOWN: Final = 0.5
"""Seconds after a cut during which further 429s do not cut again: they answer requests
sent before the cut took effect, and counting each would drive the rate to the floor."""


class ClientRateLimited(RateLimitError):
    """The client's own rate budget is spent and ``fail_fast`` is on: nothing was sent.

    A :class:`RateLimitError` (so one ``except`` covers both sides); ``retry_after`` is
    the seconds until the budget has room again. ``status_code`` is 429 by analogy.
    """

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(
            message,
            retry_after=retry_after,
            status_code=429,
            headers={},
            body=None,
            body_excerpt="",
        )


def _positive(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        raise ConfigurationError(f"RateLimit.{attribute.name} must be > 0, got {value!r}")


def _fraction(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int | float) or not 0 < value < 1:
        raise ConfigurationError(f"RateLimit.{attribute.name} must be in (0, 1), got {value!r}")


@attrs.frozen(kw_only=True)
class RateLimit:
    """How fast a client (or a fleet, with :class:`RedisRateLimiter`) may send.

    - ``per_second``: the budget, requests per second (the ceiling when adaptive).
    - ``burst``: requests that may go at once after a quiet spell (default: a tenth of a
      second's worth, at least 1), so the rate over any second stays near the budget.
    - ``adaptive``: cut the rate on 429 and recover gradually (default on).
    - ``backoff``: the factor a 429 multiplies the rate by (botocore uses 0.7).
    - ``min_per_second``: the floor a series of 429s cannot push the rate under.
    - ``recovery_seconds``: how long the rate takes to climb from a cut back to the budget.
    - ``fail_fast``: raise :class:`ClientRateLimited` instead of waiting for room.
    """

    per_second: float = attrs.field(validator=_positive)
    burst: float | None = attrs.field(default=None)
    adaptive: bool = True
    backoff: float = attrs.field(default=0.7, validator=_fraction)
    min_per_second: float | None = attrs.field(default=None)
    recovery_seconds: float = attrs.field(default=10.0, validator=_positive)
    fail_fast: bool = False

    def __attrs_post_init__(self) -> None:
        if self.burst is not None:
            _positive(self, attrs.fields(RateLimit).burst, self.burst)
        if self.min_per_second is not None:
            _positive(self, attrs.fields(RateLimit).min_per_second, self.min_per_second)
            if self.min_per_second > self.per_second:
                raise ConfigurationError(
                    f"RateLimit.min_per_second ({self.min_per_second}) exceeds per_second "
                    f"({self.per_second})"
                )

    @property
    def capacity(self) -> float:
        """The bucket size at the full rate."""
        return self.burst if self.burst is not None else max(1.0, self.per_second / 10)

    @property
    def floor(self) -> float:
        """The lowest rate 429s can cut to."""
        if self.min_per_second is not None:
            return self.min_per_second
        return min(self.per_second, max(0.5, self.per_second / 20))

    def rate_at(self, cut: float | None, since_cut: float) -> float:
        """The allowed rate ``since_cut`` seconds after the rate was cut to ``cut``."""
        if cut is None or since_cut >= self.recovery_seconds:
            return self.per_second
        return cut + (self.per_second - cut) * max(0.0, since_cut) / self.recovery_seconds


class RateLimiter(Protocol):
    """What the client needs of a rate budget."""

    async def acquire(self) -> None:
        """Return when one request may be sent (or raise :class:`ClientRateLimited`)."""
        ...

    async def on_response(self, status: int) -> None:
        """Learn from a response's status (429 means: slow down)."""
        ...


@attrs.define
class RateLimiterStats:
    """Counters of a limiter, for diagnostics and the demo's summary."""

    acquired: int = 0
    waited: int = 0
    """Acquisitions that had to wait for room."""
    refused: int = 0
    """Fail-fast acquisitions that raised."""
    throttles: int = 0
    """429 responses reported."""
    cuts: int = 0
    """Times a 429 cut the rate (at most one per cooldown)."""


class AdaptiveRateLimiter:
    """A token bucket in this process, shared by every task of one client (or several).

    Waiting is an ``asyncio.sleep`` for exactly the deficit, so the event loop is never
    blocked; a caller's place is reserved when it starts waiting, so callers are served
    in arrival order at the budgeted rate.
    """

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not isinstance(limit, RateLimit):
            raise ConfigurationError(f"expected a RateLimit, got {type(limit).__name__}")
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._tokens = limit.capacity
        self._last: float | None = None
        self._cut: float | None = None
        self._cut_at = float("-inf")
        self.stats = RateLimiterStats()

    def __repr__(self) -> str:
        return f"AdaptiveRateLimiter({self.limit!r}, rate={self.rate():.3g}/s)"

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def rate(self, now: float | None = None) -> float:
        """The rate allowed now (requests per second)."""
        if self._cut is None:
            return self.limit.per_second
        if now is None:
            now = self._now()
        return self.limit.rate_at(self._cut, now - self._cut_at)

    async def acquire(self) -> None:
        now = self._now()
        rate = self.rate(now)
        capacity = max(1.0, self.limit.capacity * rate / self.limit.per_second)
        last = self._last if self._last is not None else now
        tokens = min(capacity, self._tokens + (now - last) * rate)
        self._last = now
        if tokens >= 1.0:
            self._tokens = tokens - 1.0
            self.stats.acquired += 1
            return
        wait = (1.0 - tokens) / rate
        if self.limit.fail_fast:
            self._tokens = tokens
            self.stats.refused += 1
            raise ClientRateLimited(
                f"client rate budget of {rate:.3g} requests/s is spent; room in {wait:.3f} s",
                retry_after=wait,
            )
        self._tokens = tokens - 1.0  # reserve our place, then sleep off the deficit
        self.stats.acquired += 1
        self.stats.waited += 1
        await self._sleep(wait)

    async def on_response(self, status: int) -> None:
        if status != 429:
            return
        self.stats.throttles += 1
        if not self.limit.adaptive:
            return
        now = self._now()
        if now - self._cut_at < CUT_COOLDOWN:
            return
        self._cut = max(self.limit.floor, self.rate(now) * self.limit.backoff)
        self._cut_at = now
        self._tokens = min(self._tokens, 0.0)  # no burst straight after a throttle
        self.stats.cuts += 1


def limiter_for(option: RateLimit | RateLimiter | None) -> RateLimiter | None:
    """The limiter a client option asks for (``None``: no client-side limit)."""
    if option is None:
        return None
    if isinstance(option, RateLimit):
        return AdaptiveRateLimiter(option)
    if callable(getattr(option, "acquire", None)) and callable(
        getattr(option, "on_response", None)
    ):
        return option
    raise ConfigurationError(
        f"rate_limit must be a RateLimit or a rate limiter (acquire/on_response), "
        f"not {type(option).__name__}"
    )
