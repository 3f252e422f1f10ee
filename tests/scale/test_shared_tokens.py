"""Token caches shared by real processes: one login per token expiry across all of them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from synerise_async import RedisTokenCache, SyneriseClient, Token, WorkspaceAuth
from synerise_async.testing import FakeSynerise
from tests.scale.servers import fake_process, free_port, release_and_collect, spawn_workers

WORKERS = 4
TOKEN_LIFETIME = 2.0
DURATION = 5.0


@pytest.mark.parametrize("kind", ["redis", "file"])
def test_processes_sharing_a_cache_log_in_once_per_expiry(
    kind: str, redis_url: str, tmp_path: Path
) -> None:
    """N processes refreshing 2-second tokens through a shared cache make one login per expiry."""
    cache = redis_url if kind == "redis" else str(tmp_path / "tokens.json")
    with fake_process("--token-lifetime", str(TOKEN_LIFETIME), "--seed", "5") as fake:
        procs = spawn_workers(
            "tests.scale.token_worker",
            WORKERS,
            *("--base-url", fake.url, "--api-key", fake.api_key),
            *("--cache", cache, "--duration", str(DURATION)),
        )
        results = release_and_collect(procs, timeout=120)
        logins = fake.stats()["logins"]
    sequences = [r["tokens"] for r in results]
    longest = max(sequences, key=len)
    # Several expiries were crossed, and each was served by one login whose token every
    # process then used: all agree on one order of tokens (a process stopping just before
    # the last refresh may miss the newest), and there are exactly as many as logins.
    assert logins >= 2
    assert all(seq == longest[: len(seq)] for seq in sequences), sequences
    assert all(len(seq) >= len(longest) - 1 for seq in sequences), sequences
    assert len(longest) == logins
    assert sum(r["logins"] for r in results) == logins


async def test_redis_entry_lives_as_long_as_the_token_and_hides_the_secret(
    redis_url: str,
) -> None:
    """A cached token's Redis TTL is its remaining lifetime; no key contains the API key."""
    async with FakeSynerise(seed=2, token_lifetime=30) as fake:
        async with RedisTokenCache(redis_url, prefix="ttl-test") as cache:
            async with SyneriseClient(
                WorkspaceAuth(api_key=fake.api_key), base_url=fake.url, token_cache=cache
            ) as client:
                await client.events.send_many(
                    [{"action": "a.b", "label": "l", "client": {"customId": "1"}}]
                )
            keys = [k.decode() async for k in cache._conn.client.scan_iter("ttl-test:*")]
            ttl_ms = await cache._conn.client.pttl(keys[0])
    assert len(keys) == 1 and keys[0].startswith("ttl-test:token:")
    assert fake.api_key not in keys[0]
    assert 20_000 < ttl_ms <= 30_000


async def test_redis_lock_excludes_other_holders_and_lapses_on_its_own(redis_url: str) -> None:
    """The Redis refresh lock has one holder at a time and expires if its holder vanishes."""
    async with (
        RedisTokenCache(redis_url, prefix="lock-test") as a,
        RedisTokenCache(redis_url, prefix="lock-test") as b,
    ):
        held = await a.try_lock("k", ttl=0.3)
        assert held is not None and await b.try_lock("k", ttl=0.3) is None
        await a.unlock("k", held)
        stale = await b.try_lock("k", ttl=0.3)
        assert stale is not None
        # b "dies" without unlocking; after the TTL a can take the lock.
        import asyncio

        await asyncio.sleep(0.4)
        again = await a.try_lock("k", ttl=5)
        assert again is not None
        await b.unlock("k", stale)  # a stale handle must not release a's lock
        assert await b.try_lock("k", ttl=5) is None
        await a.unlock("k", again)


async def test_unreachable_redis_warns_once_and_logs_in_locally(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With Redis down the client still works (one local login) and logs a single warning."""
    caplog.set_level(logging.WARNING, logger="synerise_async.redis")
    dead = f"redis://127.0.0.1:{free_port()}/0"
    async with FakeSynerise(seed=3, token_lifetime=2) as fake:
        async with RedisTokenCache(dead, timeout=0.2) as cache:
            async with SyneriseClient(
                WorkspaceAuth(api_key=fake.api_key), base_url=fake.url, token_cache=cache
            ) as client:
                for _ in range(3):
                    report = await client.events.send_many(
                        [{"action": "a.b", "label": "l", "client": {"customId": "1"}}]
                    )
                    assert report.ok
            assert cache.degraded
            await cache.set("k", Token("v", None, 0.0))
            assert await cache.get("k") == Token("v", None, 0.0)
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1
    assert fake.stats.logins == 1


async def test_redis_cache_and_limiter_reprs_hide_the_redis_password() -> None:
    """A password in the Redis URL never shows in the repr of the cache or the limiter."""
    from synerise_async import RateLimit, RedisRateLimiter

    url = "redis://:hunter2-secret@127.0.0.1:1/0"
    async with (
        RedisTokenCache(url) as cache,
        RedisRateLimiter(url, limit=RateLimit(per_second=5), budget="ws") as limiter,
    ):
        assert "hunter2" not in repr(cache) and "hunter2" not in repr(limiter)
        assert "127.0.0.1" in repr(cache)
