"""Inputs checked before sending and content negotiation, through generated operations."""

from __future__ import annotations

import inspect

import pytest
from aiohttp import web

import synerise_async as sa
from synerise_async import SyneriseClient
from synerise_async.api.catalogs import (
    add_catalog_item,
    add_catalog_items_batch,
    create_catalog,
    export_catalog_csv,
    list_catalog_items,
)
from synerise_async.api.events import get_client_events
from synerise_async.api.profiles import list_clients
from synerise_async.models import CatalogCreateRequest, CatalogItemCreateRequest
from synerise_async.testing import FakeSynerise
from tests.localserver import serve


async def test_export_catalog_csv_asks_for_text_csv() -> None:
    """exportCatalogCsv sends Accept: text/csv, so a strict server answers instead of 406."""
    seen: list[str] = []

    async def csv(request: web.Request) -> web.Response:
        accept = request.headers.get("Accept", "")
        seen.append(accept)
        if "text/csv" not in accept:
            return web.Response(status=406, text="not acceptable")
        return web.Response(text="item_key,title\nSKU-1,Jeans\n", content_type="text/csv")

    async def json_op(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Accept", ""))
        return web.json_response({"data": {"id": 1}})

    app = web.Application()
    app.router.add_get("/catalogs/bags/{catalog_id}/csv", csv)
    app.router.add_post("/catalogs/bags", json_op)
    async with serve(app) as url:
        auth = sa.BasicAuth(workspace_guid="ws", api_key="k")
        async with SyneriseClient(auth, base_url=url) as client:
            text = await export_catalog_csv.asyncio(7, client=client)
            await create_catalog.asyncio(client=client, body={"name": "bag"})
    assert text.startswith("item_key,title")
    assert seen == ["text/csv", "application/json"]


async def test_bodies_accept_models_and_plain_dicts_alike() -> None:
    """A dict body is sent like the equivalent model, for single and array bodies."""
    async with FakeSynerise(seed=3) as fake:
        async with SyneriseClient(
            sa.WorkspaceAuth(api_key=fake.api_key), base_url=fake.url
        ) as client:
            created = await create_catalog.asyncio(client=client, body={"name": "bag"})
            assert created.data.id is not None  # type: ignore[union-attr]
            bag = created.data.id  # type: ignore[union-attr]
            await add_catalog_item.asyncio(
                bag, client=client, body={"itemKey": "k1", "value": {"title": "a"}}
            )
            model = CatalogItemCreateRequest.from_dict({"itemKey": "k2", "value": {"title": "b"}})
            await add_catalog_item.asyncio(bag, client=client, body=model)
            await add_catalog_items_batch.asyncio(
                bag,
                client=client,
                body=[
                    {"itemKey": "k3", "value": {"title": "c"}},
                    CatalogItemCreateRequest.from_dict({"itemKey": "k4", "value": {"title": "d"}}),
                ],
            )
            items = await list_catalog_items.asyncio(bag, client=client)
    keys = sorted(item.item_key for item in items.data)  # type: ignore[union-attr]
    assert keys == ["k1", "k2", "k3", "k4"]


async def test_wrong_inputs_are_configuration_errors_before_sending() -> None:
    """A wrong body or path parameter type names the operation and parameter; nothing is sent."""
    async with FakeSynerise(seed=4) as fake:
        async with SyneriseClient(
            sa.WorkspaceAuth(api_key=fake.api_key), base_url=fake.url
        ) as client:
            with pytest.raises(sa.ConfigurationError, match=r"addCatalogItem: body must be"):
                await add_catalog_item.asyncio(1, client=client, body="itemKey=k")  # type: ignore[arg-type]
            with pytest.raises(sa.ConfigurationError, match=r"addCatalogItemsBatch: body must be"):
                await add_catalog_items_batch.asyncio(1, client=client, body=[1])  # type: ignore[list-item]
            with pytest.raises(
                sa.ConfigurationError,
                match=r"exportCatalogCsv: path parameter 'catalog_id' must be integer, got str",
            ):
                await export_catalog_csv.asyncio("abc", client=client)  # type: ignore[arg-type]
            with pytest.raises(sa.ConfigurationError):
                await create_catalog.asyncio(client=client, body=CatalogCreateRequest)  # type: ignore[arg-type]
        assert sum(fake.stats.requests_by_operation.values()) == 0


def test_bracketed_wire_names_get_readable_python_names() -> None:
    """filters[email] is filters_email and time[from] is time_from, sent under the wire name."""
    clients = inspect.signature(list_clients.asyncio_detailed).parameters
    assert {"filters_email", "filters_first_name"} <= set(clients)
    assert not {"filtersemail", "filtersfirst_name"} & set(clients)
    events = inspect.signature(get_client_events.asyncio_detailed).parameters
    assert {"time_from", "time_to"} <= set(events)
    parts = list_clients._get_kwargs(filters_email="a@b.c")
    assert parts.params == {"filters[email]": "a@b.c"}


def test_enum_and_datetime_query_arguments_are_checked_before_the_generated_transform() -> None:
    """An enum parameter takes its member or plain value; a wrong type is a ConfigurationError
    naming the operation and parameter, not an AttributeError from generated code."""
    from synerise_async.models import ListClientsSortOrder

    by_value = list_clients._get_kwargs(sort_order="DESC")  # type: ignore[arg-type]
    by_member = list_clients._get_kwargs(sort_order=ListClientsSortOrder.DESC)
    assert by_value.params == by_member.params == {"sortOrder": "DESC"}
    with pytest.raises(sa.ConfigurationError, match=r"listClients: query parameter 'sortOrder'"):
        list_clients._get_kwargs(sort_order=3)  # type: ignore[arg-type]
    with pytest.raises(
        sa.ConfigurationError,
        match=r"getClientEvents: query parameter 'time\[from\]' must be datetime, got str",
    ):
        get_client_events._get_kwargs(1, time_from="yesterday")  # type: ignore[arg-type]
