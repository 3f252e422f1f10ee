"""Keys, passwords and tokens never show up in logs, reprs or error messages."""

from __future__ import annotations

import base64
import logging
import traceback

import pytest

from synerise_async import (
    APIError,
    BasicAuth,
    ProfileAuth,
    SyneriseClient,
    UserAuth,
)
from synerise_async.api.automation import get_paginated_diagrams_v2
from synerise_async.api.events import custom_event
from synerise_async.api.recommendations import get_campaign_recommendations
from synerise_async.models import CustomEventRequest
from synerise_async.testing import FakeSynerise

from .conftest import FAST_RETRY, client_for


def secrets_of(fake: FakeSynerise) -> list[str]:
    basic = base64.b64encode(f"{fake.workspace_guid}:{fake.api_key}".encode()).decode()
    return [
        fake.api_key,
        fake.profile_api_key,
        fake.tracker_key,
        fake.user_password,
        fake.profile_password,
        basic,
        *fake.tokens.issued_tokens(),
    ]


def assert_clean(text: str, secrets: list[str]) -> None:
    leaked = [s[:12] + "…" for s in secrets if s in text]
    assert not leaked, f"secrets leaked: {leaked}"


async def test_secrets_never_reach_debug_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    """A DEBUG-logged session of logins, 401 replays, retries, tracker calls and failures contains no secret."""
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    async with FakeSynerise(mfa=True, rate_429=0.2, seed=12) as fake:

        async def code(method: str) -> str:
            return fake.mfa_code

        auths = [
            None,
            BasicAuth(workspace_guid=fake.workspace_guid, api_key=fake.api_key),
            UserAuth(
                username=fake.user_email,
                password=fake.user_password,
                workspace=fake.workspace_guid,
                mfa_code_provider=code,
            ),
        ]
        clients: list[SyneriseClient] = []
        for auth in auths:
            async with client_for(fake, auth) as client:
                clients.append(client)
                for _ in range(5):
                    await get_paginated_diagrams_v2.asyncio_detailed(client=client, limit=2)
                fake.revoke_tokens()
                await get_paginated_diagrams_v2.asyncio_detailed(client=client, limit=2)
                bad = CustomEventRequest.from_dict(
                    {"action": "bad action", "label": "x", "client": {"uuid": "u"}}
                )
                with pytest.raises(APIError) as caught:
                    await custom_event.asyncio_detailed(client=client, body=bad)
                errors.append(caught.value)
        async with SyneriseClient(
            base_url=fake.url, tracker_key=fake.tracker_key, retry=FAST_RETRY
        ) as tracker:
            clients.append(tracker)
            response = await get_campaign_recommendations.asyncio_detailed(
                "campaign-1", client=tracker
            )
            assert response.status_code == 200
        profile = ProfileAuth(
            api_key=fake.profile_api_key, email=fake.profile_email, password="wrong-password"
        )
        async with client_for(fake, profile) as client:
            clients.append(client)
            with pytest.raises(APIError) as caught:
                await get_paginated_diagrams_v2.asyncio_detailed(client=client)
            errors.append(caught.value)
        fake.faults.rate_429 = 1.0
        fake.faults.retry_after = 3600
        async with client_for(
            fake, BasicAuth(workspace_guid=fake.workspace_guid, api_key=fake.api_key)
        ) as client:
            with pytest.raises(APIError) as caught:
                await get_paginated_diagrams_v2.asyncio_detailed(client=client)
            errors.append(caught.value)
        secrets = [*secrets_of(fake), "wrong-password"]
        assert fake.stats.faults_injected["429"] > 0 and fake.stats.unauthorized > 0
    assert len(secrets) > 10
    assert_clean(caplog.text, secrets)
    assert any("429" in r.getMessage() or "retrying" in r.getMessage() for r in caplog.records)
    for error in errors:
        assert_clean(str(error) + repr(error) + "".join(traceback.format_exception(error)), secrets)
    for client in clients:
        assert_clean(repr(client) + repr(client.auth), secrets)
