"""Shared helpers of the functional tests: a real client against the in-process fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from synerise_async import RetryPolicy, SyneriseClient, WorkspaceAuth
from synerise_async.testing import FakeSynerise

FAST_RETRY = RetryPolicy(initial_delay=0.001, max_delay=0.01, max_retries=25)
"""Retries that back off for milliseconds, so fault tests run fast; 25 retries make a
random fault streak failing a call negligible (0.3**26 at a 30% fault rate)."""


def client_for(fake: FakeSynerise, auth: Any = None, **kwargs: Any) -> SyneriseClient:
    """A client for ``fake`` with millisecond backoff (workspace API-key auth by default)."""
    kwargs.setdefault("retry", FAST_RETRY)
    return SyneriseClient(
        auth if auth is not None else WorkspaceAuth(api_key=fake.api_key),
        base_url=fake.url,
        **kwargs,
    )


PAGINATION_WORLD: dict[str, Any] = {
    "seed": 4,
    "profiles": 95,
    "catalogs": 2,
    "catalog_items": 123,
    "brickworks_records": 120,
    "search_indices": 45,
    "validate_responses": True,
}
"""The fake's data for the pagination tests (model and raw mode): sizes that leave a
partial last page in every listing."""


@pytest.fixture
async def fake() -> AsyncIterator[FakeSynerise]:
    """A fake with default data, checking its own responses against the spec."""
    async with FakeSynerise(seed=1, validate_responses=True) as server:
        yield server
    assert server.handler_errors == []


@pytest.fixture
async def client(fake: FakeSynerise) -> AsyncIterator[SyneriseClient]:
    async with client_for(fake) as api:
        yield api


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session (no SDK client in between), closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session
