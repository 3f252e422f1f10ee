"""Client lifecycle, concurrency and deprecation handling against the fake."""

from __future__ import annotations

import asyncio
import gc
import warnings

import aiohttp
import pytest

from synerise_async import ClientClosedError, Operation, SyneriseClient, SyneriseError
from synerise_async.api.authorization import profile_login_using_post
from synerise_async.api.automation import get_paginated_diagrams_v2
from synerise_async.models import WorkspaceLoginRequest
from synerise_async.testing import FakeSynerise

from .conftest import client_for


async def list_one(client: SyneriseClient) -> None:
    await get_paginated_diagrams_v2.asyncio_detailed(client=client, page=1, limit=1)


async def test_deprecated_operation_warns_once_per_operation(
    fake: FakeSynerise, client: SyneriseClient
) -> None:
    """Calling a deprecated operation three times gives one DeprecationWarning naming it."""
    body = WorkspaceLoginRequest(api_key=fake.api_key)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            await profile_login_using_post.asyncio_detailed(client=client, body=body)
        await list_one(client)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == 1
    assert "profileLoginUsingPOST" in str(deprecations[0].message)


async def test_x_api_deprecated_header_alone_triggers_the_warning(
    fake: FakeSynerise, client: SyneriseClient
) -> None:
    """An operation the spec does not mark deprecated still warns once when the response says so."""
    undeclared = Operation(
        operation_id="legacyWorkspaceLogin",
        method="POST",
        path="/v4/auth/login/profile",
        tag="authorization",
        api_version="4.4",
        retry="safe",
    )
    with pytest.warns(DeprecationWarning, match="legacyWorkspaceLogin"):
        for _ in range(2):
            response = await client.request(
                undeclared,
                {
                    "method": "POST",
                    "url": "/v4/auth/login/profile",
                    "json": {"apiKey": fake.api_key},
                },
                lambda raw: raw.json(),
            )
    assert "token" in response.parsed


async def test_max_concurrency_caps_requests_in_flight() -> None:
    """With max_concurrency=5, the fake never sees more than 5 requests at once."""
    async with FakeSynerise(latency=0.01) as fake:
        async with client_for(fake, max_concurrency=5) as client:
            await asyncio.gather(*(list_one(client) for _ in range(60)))
        assert 2 <= fake.stats.max_in_flight <= 5


async def test_max_concurrency_caps_requests_in_flight_on_a_callers_session() -> None:
    """With a session of 100 connections and max_concurrency=4, the fake sees at most 4."""
    async with FakeSynerise(latency=0.01) as fake:
        connector = aiohttp.TCPConnector(limit=100)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with client_for(fake, max_concurrency=4, session=session) as client:
                await asyncio.gather(*(list_one(client) for _ in range(60)))
                pool = client._shared.session
        assert pool is session and 2 <= fake.stats.max_in_flight <= 4


async def test_the_clients_own_pool_is_max_concurrency_connections() -> None:
    """The client's own session gets min(connection_limit, max_concurrency) connections."""
    async with FakeSynerise() as fake:
        async with client_for(fake, max_concurrency=5, connection_limit=50) as client:
            await list_one(client)
            session = client._shared.session
            assert session is not None and session.connector is not None
            assert session.connector.limit == 5 and client._shared.slots is None


async def test_unclosed_client_emits_resource_warning(fake: FakeSynerise) -> None:
    """A client garbage-collected without aclose() warns with ResourceWarning."""
    client = client_for(fake)
    await list_one(client)
    session = client._shared.session
    assert session is not None
    with pytest.warns(ResourceWarning, match="unclosed <SyneriseClient"):
        del client
        gc.collect()
    await session.close()


async def test_use_from_another_event_loop_is_a_clear_error(
    fake: FakeSynerise, client: SyneriseClient
) -> None:
    """A client used from a second event loop raises SyneriseError saying so, instead of hanging."""
    await list_one(client)

    def elsewhere() -> None:
        asyncio.run(list_one(client))

    with pytest.raises(SyneriseError, match="another event loop"):
        await asyncio.to_thread(elsewhere)
    await list_one(client)


async def test_caller_supplied_session_is_left_open(fake: FakeSynerise) -> None:
    """A session passed with session= is used and is still open after the client closes."""
    async with aiohttp.ClientSession() as session:
        async with client_for(fake, session=session) as client:
            await list_one(client)
        assert not session.closed
        async with session.get(fake.url + "/__fake__/stats") as resp:
            assert resp.status == 200


async def test_closed_client_refuses_requests(fake: FakeSynerise) -> None:
    """After aclose(), a call raises ClientClosedError; closing twice is harmless."""
    client = client_for(fake)
    await list_one(client)
    await client.aclose()
    await client.aclose()
    with pytest.raises(ClientClosedError, match="closed"):
        await list_one(client)
    assert fake.stats.requests_by_operation["getPaginatedDiagramsV2"] == 1


async def test_aclose_from_another_event_loop_raises_and_leaves_the_client_closable(
    fake: FakeSynerise,
) -> None:
    """aclose() from a second loop raises SyneriseError; the owning loop can still close it."""
    client = client_for(fake)
    await list_one(client)

    def close_elsewhere() -> None:
        asyncio.run(client.aclose())

    with pytest.raises(SyneriseError, match="another event loop"):
        await asyncio.to_thread(close_elsewhere)
    assert not client.is_closed
    await list_one(client)
    await client.aclose()
    assert client.is_closed
    assert client._shared.session is not None and client._shared.session.closed
