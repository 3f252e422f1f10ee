"""Every pagination style through ``client.paginate(...)`` against the fake's seeded data."""

from __future__ import annotations

import math
from typing import Any

import pytest

from synerise_async import SyneriseClient
from synerise_async.api.automation import get_paginated_diagrams, get_paginated_diagrams_v2
from synerise_async.api.brickworks import list_brickworks_records
from synerise_async.api.catalogs import list_catalog_items, list_catalogs
from synerise_async.api.profiles import list_clients
from synerise_async.api.search import list_search_indices
from synerise_async.models import WorkflowStatusFilter
from synerise_async.testing import FakeSynerise

from .conftest import PAGINATION_WORLD, client_for


async def collect(client: SyneriseClient, operation: Any, key: str, **params: Any) -> list[Any]:
    return [getattr(item, key) async for item in client.paginate(operation, **params)]


@pytest.fixture
async def fake() -> Any:
    async with FakeSynerise(**PAGINATION_WORLD) as server:
        yield server


async def test_page_style_lists_every_workflow_once(fake: FakeSynerise) -> None:
    """page/limit with meta.pages: 250 workflows at 17 a page, each seen once, in 15 requests."""
    async with client_for(fake) as client:
        ids = await collect(client, get_paginated_diagrams_v2, "diagram_id", limit=17)
    assert len(ids) == len(set(ids)) == 250
    assert fake.stats.requests_by_operation["getPaginatedDiagramsV2"] == math.ceil(250 / 17)


async def test_page_style_v1_with_a_filter(fake: FakeSynerise) -> None:
    """The v1 listing pages through a status-filtered subset exactly."""
    expected = {w.id for w in fake.workflows if w.status == "Active"}
    async with client_for(fake) as client:
        ids = await collect(
            client,
            get_paginated_diagrams,
            "diagram_id",
            limit=7,
            status=WorkflowStatusFilter.ACTIVE,
        )
    assert {str(i) for i in ids} == expected and len(ids) == len(expected)


async def test_page_index_style_stops_on_the_short_page(fake: FakeSynerise) -> None:
    """pageIndex/pageSize over bare arrays: 95 profiles in pages of 10, stopping at the short tenth page."""
    async with client_for(fake) as client:
        ids = await collect(client, list_clients, "client_id", page_size=10)
    assert len(ids) == len(set(ids)) == 95
    assert fake.stats.requests_by_operation["listClients"] == 10


async def test_page_index_style_with_an_exact_multiple_ends_on_an_empty_page() -> None:
    """With 40 profiles and pages of 10, the paginator reads one empty page and stops."""
    async with FakeSynerise(profiles=40) as fake, client_for(fake) as client:
        ids = await collect(client, list_clients, "client_id", page_size=10)
    assert len(set(ids)) == 40
    assert fake.stats.requests_by_operation["listClients"] == 5


async def test_offset_style_uses_metadata_total_count(fake: FakeSynerise) -> None:
    """limit/offset with metaData.totalCount: 123 items at 10 a page in 13 requests, no duplicates."""
    catalog_id = next(iter(fake.catalogs.bags))
    async with client_for(fake) as client:
        ids = await collect(client, list_catalog_items, "id", catalog_id=catalog_id, limit=10)
        catalogs = await collect(client, list_catalogs, "id", limit=1)
    assert len(ids) == len(set(ids)) == 123
    assert fake.stats.requests_by_operation["listCatalogItems"] == 13
    assert sorted(catalogs) == sorted(fake.catalogs.bags)


async def test_cursor_style_follows_page_tokens(fake: FakeSynerise) -> None:
    """pageToken cursors: 120 records at 25 a page, stopping when nextPageToken is null."""
    async with client_for(fake) as client:
        ids = await collect(
            client, list_brickworks_records, "id", schema_identifier="store-banners", limit=25
        )
    assert len(ids) == len(set(ids)) == 120
    assert fake.stats.requests_by_operation["listBrickworksRecords"] == 5


async def test_link_style_follows_meta_next_links(fake: FakeSynerise) -> None:
    """meta.link rel=next URLs: 45 search indices at 7 a page, each once."""
    async with client_for(fake) as client:
        ids = await collect(client, list_search_indices, "index_id", include_meta=True, limit=7)
    assert len(ids) == len(set(ids)) == 45
    assert fake.stats.requests_by_operation["listSearchIndices"] == 7


async def test_link_style_follows_the_link_header_without_include_meta(fake: FakeSynerise) -> None:
    """Without includeMeta the next page is announced in the Link header; all 45 indices are still listed."""
    async with client_for(fake) as client:
        ids = await collect(client, list_search_indices, "index_id", limit=7)
    assert len(set(ids)) == 45


async def test_max_items_stops_early_without_fetching_more_pages(fake: FakeSynerise) -> None:
    """max_items=30 at 17 a page yields 30 items from exactly two requests."""
    async with client_for(fake) as client:
        items = [
            w async for w in client.paginate(get_paginated_diagrams_v2, limit=17, max_items=30)
        ]
    assert len(items) == 30
    assert fake.stats.requests_by_operation["getPaginatedDiagramsV2"] == 2


async def test_pages_are_numbered_and_awaiting_gives_the_first(fake: FakeSynerise) -> None:
    """pages() yields numbered pages; awaiting the paginator returns only the first page."""
    async with client_for(fake) as client:
        pages = [
            page
            async for page in client.paginate(
                list_brickworks_records, schema_identifier="store-banners", limit=50
            ).pages()
        ]
        first = await client.paginate(get_paginated_diagrams_v2, limit=5)
    assert [p.number for p in pages] == [1, 2, 3]
    assert [len(p.items) for p in pages] == [50, 50, 20]
    assert len(first.items) == 5 and first.response.status_code == 200


async def test_prefetch_gives_the_same_items(fake: FakeSynerise) -> None:
    """With prefetch=True the items are the same, in the same order, as without it."""
    async with client_for(fake) as client:
        plain = await collect(client, get_paginated_diagrams_v2, "diagram_id", limit=20)
        ahead = [
            w.diagram_id
            async for w in client.paginate(get_paginated_diagrams_v2, limit=20, prefetch=True)
        ]
    assert plain == ahead


async def test_pagination_is_exact_under_faults() -> None:
    """429s and dropped connections during paging neither lose nor repeat an item."""
    async with (
        FakeSynerise(
            seed=8, brickworks_records=300, rate_429=0.3, rate_5xx=0.1, drop_before=0.1
        ) as fake,
        client_for(fake) as client,
    ):
        records = await collect(
            client, list_brickworks_records, "id", schema_identifier="store-banners", limit=20
        )
        workflows = await collect(client, get_paginated_diagrams_v2, "diagram_id", limit=11)
    assert len(records) == len(set(records)) == 300
    assert len(workflows) == len(set(workflows)) == 250
    assert sum(fake.stats.faults_injected.values()) > 5
