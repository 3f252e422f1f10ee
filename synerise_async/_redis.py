"""Redis-backed sharing for fleets: one login per token expiry, one rate budget per workspace.

Needs the ``redis`` extra (``pip install 'synerise-async[redis]'``, redis-py's asyncio
client); it is imported only when one of these classes is created, so the core package
does not depend on it.

- :class:`RedisTokenCache` stores each credential's token under
  ``<prefix>:token:<hash>`` (the hash covers the credential identity and the base URL,
  never the secret) with the token's own expiry as the entry's TTL, and implements the
  refresh lock as ``SET <prefix>:lock:<hash> <random> NX PX <ttl>`` released by a
  compare-and-delete script, so a worker that dies holding it blocks no one for longer
  than the TTL.
- :class:`RedisRateLimiter` keeps a token bucket and its adaptive rate in one Redis hash
  per budget, updated by Lua scripts (atomic), with Redis's own clock; a 429 seen by any
  worker cuts the shared rate, and the whole fleet slows down together.

If Redis cannot be reached both fall back to working locally (a process-local cache and
lock; a process-local bucket with the same limit) after one logged warning, and use Redis
again once it answers: slower, never broken.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections import deque
from typing import Any, Final

import orjson

from ._auth import MemoryTokenCache, Token
from ._errors import ConfigurationError
from ._ratelimit import (
    CUT_COOLDOWN,
    AdaptiveRateLimiter,
    ClientRateLimited,
    RateLimit,
    RateLimiterStats,
)

__all__ = ["RedisRateLimiter", "RedisTokenCache"]

logger = logging.getLogger("synerise_async.redis")

DEFAULT_PREFIX: Final = "synerise-async"
DEFAULT_TIMEOUT: Final = 1.0
"""Seconds to connect to Redis or wait for an answer before falling back to local."""
LEASE_SECONDS: Final = 0.02
"""A worker reserves about this much of the shared rate per round trip to Redis."""
MAX_LEASE: Final = 16
STALE_PERMIT: Final = 0.25
"""Seconds past due after which a reserved permit is dropped rather than used."""

_RELEASE_LOCK: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Both bucket scripts read Redis's clock (TIME), so machines with skewed clocks agree.
# Numbers leave Lua as strings: a Lua number in a reply is truncated to an integer.
_EFFECTIVE_RATE: Final = """
local function effective_rate(now, max_rate, recovery, cut, cut_at)
  if not cut then return max_rate end
  local since = now - cut_at
  if since >= recovery then return max_rate end
  if since < 0 then since = 0 end
  return cut + (max_rate - cut) * since / recovery
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# Reserves ARGV[6] permits at once (a lease) and returns the bucket level before the
# reservation, so the caller can work out when each permit falls due; fail-fast callers
# take one permit, and only if it is there now.
_ACQUIRE: Final = (
    _EFFECTIVE_RATE
    + """
local max_rate, capacity_full = tonumber(ARGV[1]), tonumber(ARGV[2])
local recovery, fail_fast, want = tonumber(ARGV[3]), ARGV[4] == '1', tonumber(ARGV[6])
local s = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'cut', 'cut_at')
local rate = effective_rate(now, max_rate, recovery, tonumber(s[3]), tonumber(s[4]))
local capacity = math.max(1, capacity_full * rate / max_rate)
local tokens = tonumber(s[1]) or capacity
local ts = tonumber(s[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local before = tokens
local granted = want
if fail_fast then
  if tokens >= 1 then tokens = tokens - 1; granted = 1 else granted = 0 end
else
  tokens = tokens - want
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {tostring(before), tostring(rate), granted}
"""
)

_THROTTLED: Final = (
    _EFFECTIVE_RATE
    + """
local max_rate, recovery = tonumber(ARGV[1]), tonumber(ARGV[2])
local backoff, floor, cooldown = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local s = redis.call('HMGET', KEYS[1], 'cut', 'cut_at', 'tokens')
local cut_at = tonumber(s[2])
if cut_at and now - cut_at < cooldown then return 0 end
local rate = effective_rate(now, max_rate, recovery, tonumber(s[1]), cut_at)
redis.call('HSET', KEYS[1], 'cut', tostring(math.max(floor, rate * backoff)), 'cut_at', tostring(now))
local tokens = tonumber(s[3])
if tokens and tokens > 0 then redis.call('HSET', KEYS[1], 'tokens', '0') end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1
"""
)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class _RedisConnection:
    """A redis-py asyncio client (made from a URL, or the caller's) plus the fallback rule.

    The URL may carry a password, so it is never printed: only host and port are.
    """

    def __init__(self, redis: Any, *, prefix: str, timeout: float, what: str) -> None:
        try:
            import redis.asyncio as aioredis
            import redis.exceptions as redis_errors
        except ImportError as exc:  # pragma: no cover - exercised only without the extra
            raise ConfigurationError(
                f"{what} needs redis-py: pip install 'synerise-async[redis]'"
            ) from exc
        if not isinstance(prefix, str) or not prefix:
            raise ConfigurationError(f"{what} prefix must be a non-empty string")
        if timeout <= 0:
            raise ConfigurationError(f"{what} timeout must be > 0 seconds, got {timeout!r}")
        self.prefix = prefix
        self.what = what
        if isinstance(redis, str):
            self.client: Any = aioredis.Redis.from_url(
                redis, socket_connect_timeout=timeout, socket_timeout=timeout
            )
            self.owns = True
        elif isinstance(redis, aioredis.Redis):
            self.client = redis
            self.owns = False
        else:
            raise ConfigurationError(
                f"{what} needs a redis:// URL or a redis.asyncio.Redis, not {type(redis).__name__}"
            )
        kwargs = self.client.connection_pool.connection_kwargs
        self.where = f"{kwargs.get('host', kwargs.get('path', '?'))}:{kwargs.get('port', '')}"
        self.unreachable_errors: tuple[type[BaseException], ...] = (
            redis_errors.ConnectionError,
            redis_errors.TimeoutError,
            OSError,
        )
        self.degraded = False

    def failed(self, exc: BaseException) -> None:
        """Note that Redis did not answer; warn once per outage, not once per call."""
        if not self.degraded:
            self.degraded = True
            logger.warning(
                "%s: Redis at %s is unreachable (%s); working locally until it answers",
                self.what,
                self.where,
                type(exc).__name__,
            )

    def answered(self) -> None:
        if self.degraded:
            self.degraded = False
            logger.warning("%s: Redis at %s answers again", self.what, self.where)

    async def aclose(self) -> None:
        if self.owns:
            await self.client.aclose()


class RedisTokenCache:
    """A :class:`TokenCache` in Redis, shared by every process and machine of a job.

    ``redis`` is a ``redis://`` URL (the cache then owns the connection: close it with
    ``await cache.aclose()`` or ``async with``) or a ``redis.asyncio.Redis`` you manage.
    """

    def __init__(
        self, redis: Any, *, prefix: str = DEFAULT_PREFIX, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self._conn = _RedisConnection(redis, prefix=prefix, timeout=timeout, what="RedisTokenCache")
        self._release = self._conn.client.register_script(_RELEASE_LOCK)
        self._local = MemoryTokenCache()

    def __repr__(self) -> str:
        return f"RedisTokenCache({self._conn.where!r}, prefix={self._conn.prefix!r})"

    async def __aenter__(self) -> RedisTokenCache:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool if this cache created it."""
        await self._conn.aclose()

    @property
    def degraded(self) -> bool:
        """True while Redis is unreachable and tokens are kept in this process only."""
        return self._conn.degraded

    def _token_key(self, key: str) -> str:
        return f"{self._conn.prefix}:token:{_digest(key)}"

    def _lock_key(self, key: str) -> str:
        return f"{self._conn.prefix}:lock:{_digest(key)}"

    async def get(self, key: str) -> Token | None:
        try:
            raw = await self._conn.client.get(self._token_key(key))
        except self._conn.unreachable_errors as exc:
            self._conn.failed(exc)
            return await self._local.get(key)
        self._conn.answered()
        if raw is None:
            return None
        try:
            return Token.from_json(orjson.loads(raw))
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring an unreadable token cache entry: %s", type(exc).__name__)
            return None

    async def set(self, key: str, token: Token) -> None:
        await self._local.set(key, token)
        ttl_ms: int | None = None
        if token.expires_at is not None:
            ttl_ms = int((token.expires_at - time.time()) * 1000)
            if ttl_ms <= 0:
                return  # already expired: nothing worth sharing
        try:
            await self._conn.client.set(
                self._token_key(key), orjson.dumps(token.to_json()), px=ttl_ms
            )
        except self._conn.unreachable_errors as exc:
            self._conn.failed(exc)
            return
        self._conn.answered()

    async def delete(self, key: str) -> None:
        await self._local.delete(key)
        try:
            await self._conn.client.delete(self._token_key(key))
        except self._conn.unreachable_errors as exc:
            self._conn.failed(exc)
            return
        self._conn.answered()

    async def try_lock(self, key: str, *, ttl: float) -> object | None:
        owner = secrets.token_hex(16)
        try:
            taken = await self._conn.client.set(
                self._lock_key(key), owner, nx=True, px=max(1, int(ttl * 1000))
            )
        except self._conn.unreachable_errors as exc:
            self._conn.failed(exc)
            local = await self._local.try_lock(key, ttl=ttl)
            return None if local is None else _LocalLock(local)
        self._conn.answered()
        return owner if taken else None

    async def unlock(self, key: str, handle: object) -> None:
        if isinstance(handle, _LocalLock):
            await self._local.unlock(key, handle.inner)
            return
        try:
            # Compare-and-delete: a lock that lapsed and was taken by another is not ours.
            await self._release(keys=[self._lock_key(key)], args=[handle])
        except self._conn.unreachable_errors as exc:
            self._conn.failed(exc)  # it lapses on its own after its TTL


class _LocalLock:
    """A refresh lock taken in this process while Redis was unreachable."""

    __slots__ = ("inner",)

    def __init__(self, inner: object) -> None:
        self.inner = inner


class RedisRateLimiter:
    """One rate budget shared through Redis by every client that names it.

    ``budget`` names what is shared — use the workspace (its GUID or your name for it), so
    every worker of every job against that workspace draws on one bucket. ``limit`` is the
    :class:`RateLimit` of the whole fleet; with ``adaptive`` a 429 anywhere cuts the
    shared rate (once per cooldown) and it recovers for everyone over
    ``recovery_seconds``. A round trip to Redis (one Lua script) reserves a small lease
    of permits, about 20 ms of the shared rate (1 to 16), each used when it falls due.
    """

    def __init__(
        self,
        redis: Any,
        *,
        limit: RateLimit,
        budget: str,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not isinstance(limit, RateLimit):
            raise ConfigurationError(f"limit must be a RateLimit, got {type(limit).__name__}")
        if not isinstance(budget, str) or not budget:
            raise ConfigurationError("budget must be a non-empty string (e.g. the workspace)")
        self.limit = limit
        self._conn = _RedisConnection(
            redis, prefix=prefix, timeout=timeout, what="RedisRateLimiter"
        )
        self._key = f"{prefix}:rate:{_digest(budget)}"
        self._acquire = self._conn.client.register_script(_ACQUIRE)
        self._throttled = self._conn.client.register_script(_THROTTLED)
        self._ttl_ms = int(max(60.0, 2 * limit.recovery_seconds) * 1000)
        self._local = AdaptiveRateLimiter(limit)
        self._last_rate = limit.per_second
        self._due: deque[float] = deque()
        self._refilling: asyncio.Lock | None = None
        self.stats = RateLimiterStats()

    def __repr__(self) -> str:
        return f"RedisRateLimiter({self._conn.where!r}, limit={self.limit!r})"

    async def __aenter__(self) -> RedisRateLimiter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool if this limiter created it."""
        await self._conn.aclose()

    @property
    def degraded(self) -> bool:
        """True while Redis is unreachable and this process limits itself alone."""
        return self._conn.degraded

    @property
    def last_rate(self) -> float:
        """The shared rate as of this process's last acquisition (requests per second)."""
        return self._last_rate

    def _lease_size(self) -> int:
        """Permits to reserve per round trip: about 20 ms of the shared rate, 1 to 16.

        At low rates that is one permit per request (a round trip is cheap next to the
        wait); at high rates one round trip serves up to 16 requests, which keeps the
        limiter's cost a small fraction of a request's.
        """
        if self.limit.fail_fast:
            return 1
        return max(1, min(MAX_LEASE, int(self._last_rate * LEASE_SECONDS)))

    async def _refill(self) -> None:
        """One Lua call: reserve a lease and queue when each of its permits falls due."""
        limit = self.limit
        want = self._lease_size()
        before_text, rate_text, granted = await self._acquire(
            keys=[self._key],
            args=[
                limit.per_second,
                limit.capacity,
                limit.recovery_seconds,
                int(limit.fail_fast),
                self._ttl_ms,
                want,
            ],
        )
        before, rate = float(before_text), float(rate_text)
        self._last_rate = rate
        now = asyncio.get_running_loop().time()
        if not int(granted):
            self.stats.refused += 1
            wait = (1.0 - before) / rate
            raise ClientRateLimited(
                f"shared rate budget of {rate:.3g} requests/s is spent; room in {wait:.3f} s",
                retry_after=wait,
            )
        # Permit i (0-based) is due once the bucket has refilled to i + 1 from `before`.
        self._due.extend(now + max(0.0, (i + 1.0 - before) / rate) for i in range(int(granted)))

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        # Permits left over from a lease taken long ago are dropped: using them now would
        # be a burst the shared bucket accounted for in the past.
        while self._due and self._due[0] < loop.time() - STALE_PERMIT:
            self._due.popleft()
        if not self._due:
            if self._refilling is None:
                self._refilling = asyncio.Lock()
            async with self._refilling:
                if not self._due:
                    try:
                        await self._refill()
                    except self._conn.unreachable_errors as exc:
                        self._conn.failed(exc)
                        await self._local.acquire()
                        return
                    self._conn.answered()
        due = self._due.popleft()
        self.stats.acquired += 1
        wait = due - loop.time()
        if wait > 0:
            self.stats.waited += 1
            await asyncio.sleep(wait)

    async def on_response(self, status: int) -> None:
        if status != 429:
            return
        self.stats.throttles += 1
        if not self.limit.adaptive:
            return
        limit = self.limit
        try:
            cut = await self._throttled(
                keys=[self._key],
                args=[
                    limit.per_second,
                    limit.recovery_seconds,
                    limit.backoff,
                    limit.floor,
                    CUT_COOLDOWN,
                    self._ttl_ms,
                ],
            )
        except self._conn.unreachable_errors as exc:
            self._conn.failed(exc)
            await self._local.on_response(status)
            return
        self._conn.answered()
        if cut:
            self.stats.cuts += 1
