"""``client.paginate(..., raw=True)``: the same pages as model mode, as the dicts orjson decoded."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

import synerise_async as sa
from synerise_async import RetryPolicy, SyneriseClient
from synerise_async._pagination import AsyncPaginator
from synerise_async.api.automation import get_paginated_diagrams, get_paginated_diagrams_v2
from synerise_async.api.brickworks import list_brickworks_records
from synerise_async.api.catalogs import list_catalog_items
from synerise_async.api.profiles import list_clients
from synerise_async.api.search import list_search_indices
from synerise_async.models import WorkflowStatusFilter
from synerise_async.testing import FakeSynerise
from tests.localserver import serve

from .conftest import PAGINATION_WORLD, client_for


@pytest.fixture
async def fake() -> AsyncIterator[FakeSynerise]:
    async with FakeSynerise(**PAGINATION_WORLD) as server:
        yield server


# (operation, parameters, operationId) for every strategy: page (v1 filtered, v2),
# page-index, offset, cursor, link in the body (includeMeta) and in the Link header.
STRATEGIES: list[tuple[Any, dict[str, Any], str]] = [
    (get_paginated_diagrams_v2, {"limit": 17}, "getPaginatedDiagramsV2"),
    (
        get_paginated_diagrams,
        {"limit": 7, "status": WorkflowStatusFilter.ACTIVE},
        "getPaginatedDiagrams",
    ),
    (list_clients, {"page_size": 10}, "listClients"),
    (list_catalog_items, {"limit": 10}, "listCatalogItems"),
    (
        list_brickworks_records,
        {"schema_identifier": "store-banners", "limit": 25},
        "listBrickworksRecords",
    ),
    (list_search_indices, {"include_meta": True, "limit": 7}, "listSearchIndices"),
    (list_search_indices, {"limit": 7}, "listSearchIndices"),
]


@pytest.mark.parametrize(
    ("operation", "params", "operation_id"),
    STRATEGIES,
    ids=[
        "page-v2",
        "page-v1-filtered",
        "page-index",
        "offset",
        "cursor",
        "link-body",
        "link-header",
    ],
)
async def test_raw_mode_yields_model_modes_items_as_plain_dicts(
    fake: FakeSynerise, operation: Any, params: dict[str, Any], operation_id: str
) -> None:
    """Every strategy in raw mode yields plain dicts equal to model mode's to_dict(), in as many requests."""
    if operation is list_catalog_items:
        params = {**params, "catalog_id": next(iter(fake.catalogs.bags))}
    async with client_for(fake) as client:
        models = [item.to_dict() async for item in client.paginate(operation, **params)]
        model_requests = fake.stats.requests_by_operation[operation_id]
        raw = [item async for item in client.paginate(operation, raw=True, **params)]
    raw_requests = fake.stats.requests_by_operation[operation_id] - model_requests
    assert raw == models and len(raw) > 10
    assert {type(item) for item in raw} == {dict}
    assert raw_requests == model_requests


async def test_raw_pages_carry_the_decoded_body_without_copying_items(fake: FakeSynerise) -> None:
    """pages() in raw mode gives numbered pages whose items are the decoded body's own list."""
    async with client_for(fake) as client:
        pages = [
            page
            async for page in client.paginate(
                list_brickworks_records, raw=True, schema_identifier="store-banners", limit=50
            ).pages()
        ]
        first = await client.paginate(get_paginated_diagrams_v2, raw=True, limit=5)
    assert [p.number for p in pages] == [1, 2, 3]
    assert [len(p.items) for p in pages] == [50, 50, 20]
    assert all(p.items is p.response.parsed["data"] for p in pages)
    assert pages[0].response.parsed["nextPageToken"] and pages[-1].response.parsed.get(
        "nextPageToken"
    ) in (None, "")
    assert len(first.items) == 5 and first.response.parsed["meta"]["pages"] == 50


async def test_raw_max_items_and_prefetch(fake: FakeSynerise) -> None:
    """Raw mode honours max_items (two requests for 30 items at 17 a page) and prefetch keeps the order."""
    async with client_for(fake) as client:
        limited = [
            w
            async for w in client.paginate(
                get_paginated_diagrams_v2, raw=True, limit=17, max_items=30
            )
        ]
        assert fake.stats.requests_by_operation["getPaginatedDiagramsV2"] == 2
        plain = [w async for w in client.paginate(get_paginated_diagrams_v2, raw=True, limit=20)]
        ahead = [
            w
            async for w in client.paginate(
                get_paginated_diagrams_v2, raw=True, limit=20, prefetch=True
            )
        ]
    assert len(limited) == 30 and limited == plain[:30]
    assert ahead == plain and len(plain) == 250


async def test_raw_mode_accepts_bound_and_raw_response_methods(fake: FakeSynerise) -> None:
    """client.<tag>.<op> and client.with_raw_response.<tag>.<op> both page in raw mode."""
    async with client_for(fake) as client:
        bound = [p async for p in client.paginate(client.profiles.list_clients, raw=True)]
        wrapped = [
            p
            async for p in client.paginate(client.with_raw_response.profiles.list_clients, raw=True)
        ]
    assert len(bound) == 95 and bound == wrapped
    assert {type(p) for p in bound} == {dict}


async def test_raw_mode_never_calls_the_generated_parser(
    fake: FakeSynerise, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the generated _parse_response broken, raw mode still pages while model mode fails."""

    def broken(response: Any) -> Any:
        raise RuntimeError("the model parser ran")

    monkeypatch.setattr(list_clients, "_parse_response", broken)
    async with client_for(fake) as client:
        raw = [p async for p in client.paginate(list_clients, raw=True, page_size=50)]
        with pytest.raises(sa.APIResponseValidationError, match="the model parser ran"):
            await client.paginate(list_clients, page_size=50)
    assert len(raw) == 95


def _odd_app() -> web.Application:
    """Workflow listings (v1) and brickworks records answering as ``search`` / the schema asks."""
    meta = {"page": 1, "limit": 10, "total": 1, "pages": 1}

    async def workflows(request: web.Request) -> web.Response:
        kind = request.query.get("search", "")
        if kind == "html200":
            return web.Response(text="<html>hi</html>", content_type="text/html")
        if kind == "malformed":
            return web.Response(body=b'{"data": [', content_type="application/json")
        if kind == "not-a-list":
            return web.json_response({"data": {"diagramId": "d1"}, "meta": meta})
        if kind == "not-an-object":
            return web.json_response([{"diagramId": "d1"}])
        if kind == "status-203":
            return web.json_response({"data": [], "meta": meta}, status=203)
        if kind == "status-500":
            return web.json_response({"error": "boom"}, status=500)
        raise AssertionError(kind)

    async def records(request: web.Request) -> web.Response:
        # Always the same token: a server bug the paginator must not loop on.
        record = {"id": "r1", "schemaId": "s", "data": {}}
        body = {"data": [record], "nextPageToken": "same", "previousPageToken": None}
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/automation-brain/diagrams", workflows)
    app.router.add_get("/brickworks/v1/schemas/{schema}/records", records)
    return app


@pytest.fixture
async def odd_server() -> AsyncIterator[str]:
    async with serve(_odd_app()) as url:
        yield url


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("html200", sa.APIResponseValidationError),
        ("malformed", sa.APIResponseValidationError),
        ("not-a-list", sa.APIResponseValidationError),
        ("not-an-object", sa.APIResponseValidationError),
        ("status-203", sa.UnexpectedStatusError),
        ("status-500", sa.InternalServerError),
    ],
)
@pytest.mark.parametrize("raw", [False, True], ids=["models", "raw"])
async def test_bad_pages_raise_the_same_typed_errors_in_both_modes(
    odd_server: str, kind: str, error: type[Exception], raw: bool
) -> None:
    """Non-JSON bodies, non-list items, undocumented 2xx and 5xx raise the same typed error with and without raw."""
    async with SyneriseClient(base_url=odd_server, retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(error) as info:
            async for _ in client.paginate(get_paginated_diagrams, raw=raw, search=kind):
                pass
    assert getattr(info.value, "operation_id", None) == "getPaginatedDiagrams"
    assert getattr(info.value, "status_code", None) == (int(kind[-3:]) if "status" in kind else 200)


@pytest.mark.parametrize("raw", [False, True], ids=["models", "raw"])
async def test_a_repeated_cursor_raises_pagination_error_in_both_modes(
    odd_server: str, raw: bool
) -> None:
    """A server repeating its cursor token raises PaginationError after the first page, raw or not."""
    seen: list[Any] = []
    async with SyneriseClient(base_url=odd_server, retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(sa.PaginationError, match="repeated cursor"):
            async for record in client.paginate(
                list_brickworks_records, raw=raw, schema_identifier="s", limit=1
            ):
                seen.append(record if raw else record.id)
    assert seen == ([{"id": "r1", "schemaId": "s", "data": {}}] if raw else ["r1"])


@pytest.mark.parametrize("max_items", [None, 20], ids=["all", "max_items"])
@pytest.mark.parametrize("raw", [True, False], ids=["raw", "models"])
async def test_a_page_is_let_go_before_the_next_one_is_read(
    fake: FakeSynerise, monkeypatch: pytest.MonkeyPatch, raw: bool, max_items: int | None
) -> None:
    """While items are iterated, no earlier page (nor its body) is alive when the next is fetched."""
    fetched: list[weakref.ref[sa.Page[Any]]] = []
    alive_at_fetch: list[int] = []
    original = AsyncPaginator._fetch

    async def recording_fetch(self: AsyncPaginator[Any], *args: Any, **kwargs: Any) -> Any:
        alive_at_fetch.append(sum(ref() is not None for ref in fetched))
        page = await original(self, *args, **kwargs)
        fetched.append(weakref.ref(page))
        return page

    monkeypatch.setattr(AsyncPaginator, "_fetch", recording_fetch)
    async with client_for(fake) as client:
        items = [
            item
            async for item in client.paginate(
                get_paginated_diagrams_v2, raw=raw, limit=7, max_items=max_items
            )
        ]
    assert len(fetched) >= 3 and len(items) > 14
    assert alive_at_fetch == [0] * len(fetched)
