"""Secrets never appear in logs, reprs, error messages or tracebacks; transport safety defaults."""

from __future__ import annotations

import asyncio
import base64
import logging
import traceback

import pytest

import synerise_async as sa
from synerise_async import BasicAuth, RetryPolicy, SyneriseClient, WorkspaceAuth
from synerise_async.api.automation import get_paginated_diagrams, get_workflow_statistics
from synerise_async.testing import FakeSynerise


async def test_nothing_secret_is_logged_or_printed(caplog: pytest.LogCaptureFixture) -> None:
    """A run with logins, token expiry, retries and errors logs no API key, token or Basic credential at DEBUG."""
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    async with FakeSynerise(seed=5, rate_429=0.3, token_lifetime=0.6, workflows=40) as fake:
        retry = RetryPolicy(initial_delay=0.001, max_delay=0.01, max_retries=20)
        auth = WorkspaceAuth(api_key=fake.api_key)
        async with SyneriseClient(
            auth, base_url=fake.url, retry=retry, tracker_key="tracker-secret-key"
        ) as client:
            tokens: set[str] = set()
            for _ in range(3):
                await asyncio.sleep(0.5)  # let the 0.6 s token expire between rounds
                async for _workflow in client.paginate(get_paginated_diagrams, limit=7):
                    current = client._shared.tokens.current() if client._shared.tokens else None
                    if current is not None:
                        tokens.add(current.value)
            try:
                await get_workflow_statistics.asyncio("no-such-workflow", client=client)
            except sa.APIStatusError as exc:
                texts += [
                    str(exc),
                    repr(exc),
                    "".join(traceback.format_exception(exc)),
                    repr(exc.url),
                ]
            texts += [repr(client), repr(auth), repr(client._shared.tokens.current())]  # type: ignore[union-attr]
        basic = BasicAuth(workspace_guid=fake.workspace_guid, api_key=fake.api_key)
        texts.append(repr(basic))
        basic_header = basic.static_header()
        secrets = {
            fake.api_key,
            "tracker-secret-key",
            basic_header,
            basic_header.split()[1],
            *tokens,
        }
    assert len(tokens) >= 2, "the test must see several real tokens to be meaningful"
    texts += [record.getMessage() for record in caplog.records]
    assert any("retrying" in t for t in texts), "DEBUG logging must be exercised"
    leaks = [(secret[:8], text[:120]) for secret in secrets for text in texts if secret in text]
    assert leaks == []


def test_basic_credentials_are_not_derivable_from_repr() -> None:
    """BasicAuth's repr shows the workspace GUID but neither the key nor the encoded header."""
    auth = BasicAuth(workspace_guid="guid-1", api_key="k-secret")
    encoded = base64.b64encode(b"guid-1:k-secret").decode()
    assert "k-secret" not in repr(auth) and encoded not in repr(auth)


def test_plain_http_to_remote_hosts_is_refused_by_default() -> None:
    """Credentials are never sent over http:// to a non-loopback host unless explicitly allowed."""
    with pytest.raises(sa.ConfigurationError):
        SyneriseClient(WorkspaceAuth(api_key="k"), base_url="http://api.synerise.example")
    SyneriseClient(
        WorkspaceAuth(api_key="k"), base_url="http://api.synerise.example", allow_insecure_http=True
    )


async def test_tls_verification_is_on_by_default() -> None:
    """The client's own session verifies certificates (aiohttp's default SSL context)."""
    async with SyneriseClient() as client:
        connector = client._shared.session.connector  # type: ignore[union-attr]
        assert connector is not None and connector._ssl is True  # type: ignore[attr-defined]


async def test_link_pagination_never_follows_another_host() -> None:
    """A next link pointing to a foreign host is refused, so the token is not sent there."""
    from synerise_async._pagination import link_target

    async with SyneriseClient(base_url="http://127.0.0.1:9") as client:
        with pytest.raises(sa.PaginationError, match="another host"):
            link_target("https://evil.example/search/v2/indices?page=2", client.base_url)
        assert link_target("http://127.0.0.1:9/search/v2/indices?page=2", client.base_url) == (
            "/search/v2/indices",
            (("page", "2"),),
        )
