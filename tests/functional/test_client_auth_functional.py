"""Tokens and logins: the real client against the fake on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from synerise_async import (
    AnonymousProfileAuth,
    AuthenticationError,
    BasicAuth,
    MemoryTokenCache,
    ProfileAuth,
    RetryPolicy,
    TokenAuth,
    UserAuth,
    WorkspaceAuth,
)
from synerise_async.api.automation import get_paginated_diagrams_v2
from synerise_async.api.events import get_client_own_events
from synerise_async.testing import FakeSynerise

from .conftest import client_for


async def list_one(client: object) -> None:
    await get_paginated_diagrams_v2.asyncio_detailed(client=client, page=1, limit=1)  # type: ignore[arg-type]


async def test_500_concurrent_first_calls_make_exactly_one_login(fake: FakeSynerise) -> None:
    """500 calls starting at once on a fresh client share a single workspace login."""
    async with client_for(fake) as client:
        await asyncio.gather(*(list_one(client) for _ in range(500)))
    assert fake.stats.logins == 1
    assert fake.stats.requests_by_operation["getPaginatedDiagramsV2"] == 500


async def test_each_expiry_causes_exactly_one_login_under_concurrency(fake: FakeSynerise) -> None:
    """When the token expires, 200 concurrent callers wait on one new login, every time."""
    offset = 0.0

    def clock() -> float:
        return time.time() + offset

    async with client_for(fake, clock=clock) as client:
        for wave in range(1, 4):
            await asyncio.gather(*(list_one(client) for _ in range(200)))
            assert fake.stats.logins == wave
            offset += fake.faults.token_lifetime + 1  # the client now sees its token as expired
    assert client.auth_stats is not None and client.auth_stats.logins == 3


async def test_short_lived_tokens_are_renewed_before_they_expire() -> None:
    """With 1 s tokens, 1.5 s of steady traffic never sends an expired token (no 401s) and logs in about once a lifetime."""
    async with FakeSynerise(token_lifetime=1.0) as fake:
        async with client_for(fake) as client:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 1.5
            while loop.time() < deadline:
                await asyncio.gather(*(list_one(client) for _ in range(20)))
                await asyncio.sleep(0.02)
        assert fake.stats.unauthorized == 0
        assert 2 <= fake.stats.logins <= 4


async def test_revoked_tokens_trigger_one_relogin_and_replay(fake: FakeSynerise) -> None:
    """After the fake revokes every token, 100 concurrent calls get 401, share one re-login and all succeed."""
    async with client_for(fake) as client:
        await list_one(client)
        fake.revoke_tokens()
        await asyncio.gather(*(list_one(client) for _ in range(100)))
        assert client.stats.replays_after_401 == 100
    assert fake.stats.logins == 2
    assert fake.stats.unauthorized == 100


async def test_a_second_401_after_the_replay_is_raised(fake: FakeSynerise) -> None:
    """A 401 on the replayed request is not retried again: AuthenticationError carries the fake's message."""
    async with client_for(fake) as client:
        await list_one(client)
        fake.revoke_tokens()
        fake.faults.token_lifetime = 0.0  # every new token is born expired
        with pytest.raises(AuthenticationError) as caught:
            await list_one(client)
    assert caught.value.status_code == 401
    assert caught.value.body is not None and caught.value.body.message == "Token has expired"
    assert fake.stats.logins == 2


async def test_token_auth_cannot_relogin_after_revocation(fake: FakeSynerise) -> None:
    """A caller-supplied token that the API rejects raises at once, with no login attempt."""
    async with client_for(fake, TokenAuth(token=fake.issue_token())) as client:
        await list_one(client)
        fake.revoke_tokens()
        with pytest.raises(AuthenticationError):
            await list_one(client)
    assert fake.stats.logins == 0


async def test_basic_auth_needs_no_login_and_a_wrong_key_fails_once(fake: FakeSynerise) -> None:
    """Basic credentials work without any login; a wrong key is one 401, not retried."""
    async with client_for(
        fake, BasicAuth(workspace_guid=fake.workspace_guid, api_key=fake.api_key)
    ) as client:
        await asyncio.gather(*(list_one(client) for _ in range(20)))
    async with client_for(
        fake, BasicAuth(workspace_guid=fake.workspace_guid, api_key="wrong")
    ) as client:
        with pytest.raises(AuthenticationError) as caught:
            await list_one(client)
    assert caught.value.attempts == 1
    assert fake.stats.logins == 0 and fake.stats.unauthorized == 1


async def test_wrong_workspace_api_key_raises_authentication_error(fake: FakeSynerise) -> None:
    """A rejected workspace login surfaces as AuthenticationError after exactly one login attempt."""
    async with client_for(fake, WorkspaceAuth(api_key="not-the-key")) as client:
        with pytest.raises(AuthenticationError):
            await list_one(client)
    assert fake.stats.requests_by_operation["profileLogin"] == 1


async def test_profile_token_is_refreshed_early_in_the_background() -> None:
    """A profile token in its soft window is refreshed with the refresh call, not a second login."""
    async with FakeSynerise(token_lifetime=0.4) as fake:
        auth = ProfileAuth(
            api_key=fake.profile_api_key, email=fake.profile_email, password=fake.profile_password
        )
        async with client_for(fake, auth) as client:
            await get_client_own_events.asyncio_detailed(client=client)
            await asyncio.sleep(0.32)  # inside the soft window (last 0.1 s), outside the hard one
            await get_client_own_events.asyncio_detailed(client=client)
            for _ in range(50):
                if fake.stats.refreshes:
                    break
                await asyncio.sleep(0.01)
            await get_client_own_events.asyncio_detailed(client=client)
        assert fake.stats.logins == 1 and fake.stats.refreshes == 1
        assert fake.stats.unauthorized == 0


async def test_anonymous_profile_login(fake: FakeSynerise) -> None:
    """An anonymous profile logs in with the profile API key and its UUID."""
    auth = AnonymousProfileAuth(
        api_key=fake.profile_api_key, uuid="07243772-008a-42e1-ba37-c3807cebde8f"
    )
    async with client_for(fake, auth) as client:
        response = await get_client_own_events.asyncio_detailed(client=client)
    assert response.status_code == 200
    assert fake.stats.logins_by_kind["anonymous"] == 1


async def test_user_login_with_mfa_and_workspace_selection() -> None:
    """UserAuth runs login, MFA (asking the code provider once) and workspace selection, then calls work."""
    async with FakeSynerise(mfa=True) as fake:
        asked: list[str] = []

        async def code(method: str) -> str:
            asked.append(method)
            return fake.mfa_code

        auth = UserAuth(
            username=fake.user_email,
            password=fake.user_password,
            workspace=fake.workspace_guid,
            mfa_code_provider=code,
        )
        async with client_for(fake, auth) as client:
            await asyncio.gather(*(list_one(client) for _ in range(50)))
        assert asked == ["TOTP_AUTHENTICATOR"]
        assert (
            fake.stats.logins,
            fake.stats.mfa_verifications,
            fake.stats.workspace_selections,
        ) == (1, 1, 1)


async def test_shared_token_cache_means_one_login_for_two_clients(fake: FakeSynerise) -> None:
    """Two clients sharing a MemoryTokenCache log in once between them."""
    cache = MemoryTokenCache()
    async with (
        client_for(fake, token_cache=cache) as first,
        client_for(fake, token_cache=cache) as second,
    ):
        await list_one(first)
        await list_one(second)
    assert fake.stats.logins == 1


async def test_tokens_verify_against_the_fakes_public_key(fake: FakeSynerise) -> None:
    """With jwt_public_key set, the fake's tokens verify; a different key makes the login fail."""
    async with client_for(fake, jwt_public_key=fake.public_key_pem) as client:
        await list_one(client)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    async with client_for(fake, jwt_public_key=pem) as client:
        with pytest.raises(AuthenticationError):
            await list_one(client)


async def test_login_faults_are_retried_and_still_one_login_succeeds() -> None:
    """With 429s and 503s injected into logins too, 300 concurrent calls still share one successful login."""
    async with FakeSynerise(rate_429=0.4, rate_5xx=0.2, faults_on_auth=True, seed=1) as fake:
        async with client_for(
            fake, retry=RetryPolicy(max_retries=30, initial_delay=0.001, max_delay=0.01)
        ) as client:
            await asyncio.gather(*(list_one(client) for _ in range(300)))
    assert fake.stats.logins == 1
    assert fake.stats.requests_by_operation["profileLogin"] >= 1
