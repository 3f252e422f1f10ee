"""Token lifetime windows, single-flight refresh, invalidation and caches."""

from __future__ import annotations

import asyncio
import os
import stat
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from synerise_async import (
    AnonymousProfileAuth,
    AuthenticationError,
    FileTokenCache,
    MemoryTokenCache,
    Token,
    TokenAuth,
    WorkspaceAuth,
)
from synerise_async._auth import TokenManager, token_from_jwt

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = _KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def make_jwt(iat: float, exp: float, key: Any = _KEY) -> str:
    return jwt.encode({"iat": int(iat), "exp": int(exp), "sub": "ws"}, key, algorithm="RS512")


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeAuthTransport:
    """Answers login/refresh calls with fresh JWTs of a fixed lifetime, counting them."""

    def __init__(self, clock: Clock, lifetime: float = 3600, delay: float = 0.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.delay = delay
        self.calls: list[tuple[str, str]] = []
        self.fail_next: Exception | None = None

    async def auth_request(self, method: str, path: str, **kwargs: Any) -> Any:
        self.calls.append((method, path))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        now = self.clock()
        return {"token": make_jwt(now, now + self.lifetime), "expiration": int(now + self.lifetime)}


def test_token_reads_exp_and_iat_from_the_jwt() -> None:
    """A JWT's exp and iat claims set the token's lifetime; the signature is not needed."""
    token = token_from_jwt(make_jwt(100, 3700), now=150)
    assert (token.issued_at, token.expires_at, token.lifetime) == (100, 3700, 3600)


def test_token_falls_back_to_the_expiration_hint_for_opaque_tokens() -> None:
    """A token without claims uses the response's expiration (epoch seconds)."""
    token = token_from_jwt("opaque", now=10, expiration_hint=70)
    assert token.expires_at == 70


def test_rs512_signature_is_verified_when_a_key_is_configured() -> None:
    """With a public key, a token signed by another key is rejected."""
    good = make_jwt(0, 100)
    assert token_from_jwt(good, now=0, verify_key=PUBLIC_PEM).expires_at == 100
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthenticationError):
        token_from_jwt(make_jwt(0, 100, key=other), now=0, verify_key=PUBLIC_PEM)


def test_token_repr_hides_the_value() -> None:
    """Printing a token never shows the credential."""
    value = make_jwt(0, 10)
    assert value not in repr(Token(value=value, expires_at=10, issued_at=0))


def test_windows_scale_with_lifetime() -> None:
    """Soft and hard windows are min(300 s, L/4) and min(30 s, L/10)."""
    assert TokenManager.windows(Token("t", 3600, 0)) == (300, 30)
    assert TokenManager.windows(Token("t", 3, 0)) == pytest.approx((0.75, 0.3))


async def test_concurrent_callers_share_one_login() -> None:
    """Five hundred simultaneous requests for a token cause exactly one login."""
    clock = Clock()
    transport = FakeAuthTransport(clock, delay=0.01)
    manager = TokenManager(WorkspaceAuth(api_key="k"), transport, clock=clock)
    tokens = await asyncio.gather(*(manager.token() for _ in range(500)))
    assert len(transport.calls) == 1
    assert len({t.value for t in tokens}) == 1


async def test_soft_window_refreshes_in_background_without_blocking() -> None:
    """In the soft window callers get the current token at once while one refresh runs."""
    clock = Clock()
    transport = FakeAuthTransport(clock, lifetime=3600, delay=0.01)
    manager = TokenManager(WorkspaceAuth(api_key="k"), transport, clock=clock)
    first = await manager.token()
    clock.now += 3600 - 200  # 200 s left: inside the 300 s soft window, outside the hard one
    again = await asyncio.gather(*(manager.token() for _ in range(50)))
    assert all(t is first for t in again)
    await asyncio.sleep(0.05)
    assert len(transport.calls) == 2
    assert (await manager.token()) is not first


async def test_hard_window_makes_callers_wait_for_a_new_token() -> None:
    """With less than the hard margin left, callers wait for the refreshed token."""
    clock = Clock()
    transport = FakeAuthTransport(clock)
    manager = TokenManager(WorkspaceAuth(api_key="k"), transport, clock=clock)
    first = await manager.token()
    clock.now += 3600 - 10
    fresh = await manager.token()
    assert fresh is not first and fresh.remaining(clock()) > 3000


async def test_invalidate_drops_only_the_rejected_token() -> None:
    """Invalidating a token that was already replaced does not discard the new one."""
    clock = Clock()
    transport = FakeAuthTransport(clock)
    manager = TokenManager(WorkspaceAuth(api_key="k"), transport, clock=clock)
    old = await manager.token()
    await manager.invalidate(old)
    clock.now += 1
    new = await manager.token()
    await manager.invalidate(old)
    assert (await manager.token()) is new
    assert manager.stats.logins == 2


async def test_profile_tokens_refresh_while_valid_and_fall_back_to_login() -> None:
    """Profile auth uses the refresh call first and logs in again if refresh is rejected."""
    clock = Clock()
    transport = FakeAuthTransport(clock)
    auth = AnonymousProfileAuth(api_key="pk", uuid="u-1")
    manager = TokenManager(auth, transport, clock=clock)
    await manager.token()
    clock.now += 3590
    await manager.token()
    assert transport.calls[-1] == ("POST", "/sauth/v3/auth/refresh/client")
    clock.now += 3590
    transport.fail_next = AuthenticationError(
        "expired", status_code=401, headers={}, body=None, body_excerpt=""
    )
    await manager.token()
    assert transport.calls[-2:] == [
        ("POST", "/sauth/v3/auth/refresh/client"),
        ("POST", "/sauth/v3/auth/login/client/anonymous"),
    ]


async def test_a_supplied_token_cannot_be_renewed() -> None:
    """TokenAuth yields its token once; after a rejection it raises instead of looping."""
    clock = Clock()
    value = make_jwt(clock(), clock() + 100)
    manager = TokenManager(TokenAuth(token=value), FakeAuthTransport(clock), clock=clock)
    token = await manager.token()
    assert token.value == value
    await manager.invalidate(token)
    with pytest.raises(AuthenticationError, match="cannot be renewed"):
        await manager.token()


async def test_managers_share_tokens_through_a_cache() -> None:
    """A second manager with the same credential reuses the cached token without logging in."""
    clock = Clock()
    cache = MemoryTokenCache()
    t1, t2 = FakeAuthTransport(clock), FakeAuthTransport(clock)
    a = TokenManager(WorkspaceAuth(api_key="k"), t1, cache=cache, clock=clock)
    b = TokenManager(WorkspaceAuth(api_key="k"), t2, cache=cache, clock=clock)
    assert (await a.token()).value == (await b.token()).value
    assert (len(t1.calls), len(t2.calls)) == (1, 0)


async def test_file_cache_round_trips_with_private_permissions(tmp_path: Any) -> None:
    """The file cache stores tokens in a 0600 file and reads them back."""
    cache = FileTokenCache(tmp_path / "tokens.json")
    token = Token("secret-value", 123.0, 100.0)
    await cache.set("key", token)
    mode = stat.S_IMODE(os.stat(tmp_path / "tokens.json").st_mode)
    assert mode == 0o600
    assert await cache.get("key") == token
    await cache.delete("key")
    assert await cache.get("key") is None


def test_cache_keys_never_contain_the_secret() -> None:
    """Cache keys are hashes, distinct per credential."""
    a, b = WorkspaceAuth(api_key="secret-a"), WorkspaceAuth(api_key="secret-b")
    assert "secret-a" not in a.cache_key() and a.cache_key() != b.cache_key()


def test_strategies_hide_secrets_in_repr() -> None:
    """No strategy prints its API key, password or token."""
    for auth in (
        WorkspaceAuth(api_key="sk-123"),
        TokenAuth(token="sk-123"),
        AnonymousProfileAuth(api_key="sk-123", uuid="u"),
    ):
        assert "sk-123" not in repr(auth)


async def test_fresh_is_the_no_await_fast_path_outside_the_soft_window() -> None:
    """fresh() returns the token while outside the soft window and None inside it or without one."""
    clock = Clock()
    manager = TokenManager(WorkspaceAuth(api_key="k"), FakeAuthTransport(clock), clock=clock)
    assert manager.fresh() is None
    token = await manager.token()
    assert manager.fresh() is token
    clock.now += 3600 - 200  # inside the 300 s soft window
    assert manager.fresh() is None
    await manager.invalidate(token)
    assert manager.fresh() is None


async def test_memory_cache_lock_excludes_until_released_or_lapsed() -> None:
    """The memory cache's refresh lock refuses a second taker until released or past its ttl."""
    clock = Clock(0.0)
    cache = MemoryTokenCache(clock=clock)
    first = await cache.try_lock("k", ttl=5.0)
    assert first is not None and await cache.try_lock("k", ttl=5.0) is None
    await cache.unlock("k", first)
    second = await cache.try_lock("k", ttl=5.0)
    assert second is not None
    clock.now = 5.1  # the holder "died" without unlocking: the lock lapses on its own
    assert await cache.try_lock("k", ttl=5.0) is not None


async def test_file_cache_lock_is_exclusive_and_released_on_unlock(tmp_path: Any) -> None:
    """Two holders of the file cache's flock exclude each other; unlocking frees it."""
    a = FileTokenCache(tmp_path / "tokens.json")
    b = FileTokenCache(tmp_path / "tokens.json")
    held = await a.try_lock("k", ttl=5.0)
    assert held is not None and await b.try_lock("k", ttl=5.0) is None
    await a.unlock("k", held)
    again = await b.try_lock("k", ttl=5.0)
    assert again is not None
    await b.unlock("k", again)
    assert stat.S_IMODE(os.stat(tmp_path / "tokens.json.lock").st_mode) == 0o600


async def test_concurrent_managers_sharing_a_cache_log_in_once() -> None:
    """Managers that need a token at the same moment wait on the cache lock: one login."""
    clock = Clock()
    cache = MemoryTokenCache()
    transports = [FakeAuthTransport(clock, delay=0.05) for _ in range(5)]
    managers = [
        TokenManager(WorkspaceAuth(api_key="k"), t, cache=cache, clock=clock) for t in transports
    ]
    tokens = await asyncio.gather(*(m.token() for m in managers))
    assert len({t.value for t in tokens}) == 1
    assert sum(len(t.calls) for t in transports) == 1


async def test_manager_logs_in_without_a_lock_held_too_long() -> None:
    """A lock nobody releases delays a login by at most lock_ttl and never blocks it."""
    clock = Clock()
    cache = MemoryTokenCache()
    assert (
        await cache.try_lock(
            TokenManager(WorkspaceAuth(api_key="k"), None, cache=cache).cache_key, ttl=60
        )
        is not None
    )  # type: ignore[arg-type]
    transport = FakeAuthTransport(clock)
    manager = TokenManager(
        WorkspaceAuth(api_key="k"), transport, cache=cache, clock=clock, lock_ttl=0.1
    )
    token = await asyncio.wait_for(manager.token(), timeout=5)
    assert token.value and len(transport.calls) == 1


def test_cache_key_separates_deployments_and_hides_the_secret() -> None:
    """The same credential against two base URLs gets two cache keys, neither with the key."""
    auth = WorkspaceAuth(api_key="secret-a")
    a = TokenManager(auth, None, namespace="https://api.synerise.com")  # type: ignore[arg-type]
    b = TokenManager(auth, None, namespace="http://127.0.0.1:8080")  # type: ignore[arg-type]
    assert a.cache_key != b.cache_key
    assert "secret-a" not in a.cache_key and "127.0.0.1" not in b.cache_key


async def test_a_cache_without_the_refresh_lock_still_works() -> None:
    """A third-party cache with only get/set/delete (the older protocol) is used without a lock."""

    class OldCache:
        def __init__(self) -> None:
            self.tokens: dict[str, Token] = {}

        async def get(self, key: str) -> Token | None:
            return self.tokens.get(key)

        async def set(self, key: str, token: Token) -> None:
            self.tokens[key] = token

        async def delete(self, key: str) -> None:
            self.tokens.pop(key, None)

    clock = Clock()
    cache = OldCache()
    transport = FakeAuthTransport(clock)
    manager = TokenManager(WorkspaceAuth(api_key="k"), transport, cache=cache, clock=clock)  # type: ignore[arg-type]
    token = await manager.token()
    assert list(cache.tokens.values()) == [token] and len(transport.calls) == 1
