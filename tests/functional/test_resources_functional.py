"""Resource namespaces against the fake: the same answers as the module functions."""

from __future__ import annotations

import asyncio
import time

from synerise_async import Response, SyneriseClient
from synerise_async.api.automation import get_paginated_diagrams
from synerise_async.api.profiles import get_profile, list_clients
from synerise_async.testing import FakeSynerise

from .conftest import client_for


async def test_resource_method_returns_what_the_module_function_returns(
    client: SyneriseClient,
) -> None:
    """client.automation.get_paginated_diagrams parses the same page as the module's asyncio."""
    via_module = await get_paginated_diagrams.asyncio(client=client, page=1, limit=5)
    via_resource = await client.automation.get_paginated_diagrams(page=1, limit=5)
    assert via_resource.to_dict() == via_module.to_dict()
    assert len(via_resource.data) == 5


async def test_path_parameter_operation_and_raw_response(client: SyneriseClient) -> None:
    """client.profiles.get_profile(id) and its raw twin agree; the raw one has status and bytes."""
    first = (await list_clients.asyncio(client=client, page_size=1))[0]
    assert isinstance(first.client_id, int)
    profile = await client.profiles.get_profile(first.client_id)
    raw = await client.with_raw_response.profiles.get_profile(first.client_id)
    assert isinstance(raw, Response) and raw.status_code == 200
    assert raw.headers["Content-Type"].startswith("application/json")
    assert raw.content and raw.parsed.to_dict() == profile.to_dict()
    assert (
        profile.to_dict() == (await get_profile.asyncio(first.client_id, client=client)).to_dict()
    )


async def test_paginate_takes_bound_methods(fake: FakeSynerise, client: SyneriseClient) -> None:
    """Paginating client.profiles.list_clients walks the same profiles as the module."""
    via_method = [
        p.client_id async for p in client.paginate(client.profiles.list_clients, page_size=7)
    ]
    via_module = [p.client_id async for p in client.paginate(list_clients, page_size=7)]
    assert via_method == via_module and len(via_method) > 7


async def test_a_resource_call_sends_nothing_and_reads_no_token_until_awaited(
    fake: FakeSynerise,
) -> None:
    """A call made while the token is fresh and awaited after it expired logs in first, then sends."""
    offset = 0.0

    def clock() -> float:
        return time.time() + offset

    async with client_for(fake, clock=clock) as client:
        await client.automation.get_paginated_diagrams_v2(page=1, limit=1)
        pending = client.automation.get_paginated_diagrams_v2(page=1, limit=1)
        offset += fake.faults.token_lifetime + 1  # the client now sees its token as expired
        await asyncio.sleep(0)
        assert fake.stats.requests_by_operation["getPaginatedDiagramsV2"] == 1
        await pending
    assert fake.stats.logins == 2
    assert fake.stats.requests_by_operation["getPaginatedDiagramsV2"] == 2
