"""Odd responses give a parsed model or a typed error naming the operation, never a bare exception."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import synerise_async as sa
from synerise_async import RetryPolicy, SyneriseClient
from synerise_async._request import PreparedRequest
from synerise_async._transport import RawResponse
from synerise_async.api import load
from synerise_async.api.automation import get_paginated_diagrams
from tests.localserver import serve

SPEC = json.loads((Path(sa.__file__).parent / "api" / "openapi.json").read_text(encoding="utf-8"))


def json_examples() -> list[tuple[str, int, Any]]:
    """(operationId, status, example) for every JSON success example in the packaged spec."""
    cases = []
    for item in SPEC["paths"].values():
        for op in item.values():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            for code, response in op["responses"].items():
                media = (response.get("content") or {}).get("application/json", {})
                if code.startswith("2") and "example" in media:
                    cases.append((op["operationId"], int(code), media["example"]))
    return cases


EXAMPLES = json_examples()


class CannedClient(SyneriseClient):
    """A client whose transport returns a fixed response: exercises the real parse/wrap path."""

    def __init__(self, raw: RawResponse) -> None:
        super().__init__()
        self._raw = raw

    async def _send_once(
        self,
        prepared: PreparedRequest,
        headers: Mapping[str, str],
        parse: Callable[[RawResponse], Any] | None = None,
        token: object = None,
        started: float = 0.0,
    ) -> Any:
        if parse is None:
            return self._raw
        # The whole call (call()'s common path): through the layers, which send without
        # parse and then parse behind the same guard.
        return await self._call_through_layers(prepared, parse, None)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_of(item, (*prefix, index))
    return found


def mutate(example: Any, path: tuple[Any, ...], replacement: Any, delete: bool) -> Any:
    clone = json.loads(json.dumps(example))
    if not path:
        return replacement
    parent = clone
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return clone


async def parse_through_client(operation_id: str, status: int, body: bytes) -> None:
    module = load(operation_id)
    client = CannedClient(RawResponse(status, {}, body))
    try:
        await client.request(
            module.OPERATION, {"method": "GET", "url": "/x"}, module._parse_response
        )
    except sa.APIError as exc:
        assert exc.operation_id == operation_id
        assert operation_id in str(exc)
        if isinstance(exc, sa.APIResponseValidationError):
            assert exc.status_code == status and len(exc.body_excerpt) <= 300
    finally:
        await client.aclose()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
async def test_mutated_examples_parse_or_raise_typed_errors(data: st.DataObject) -> None:
    """Examples with keys dropped or values replaced by random JSON never escape as KeyError/TypeError/ValueError."""
    operation_id, status, example = data.draw(st.sampled_from(EXAMPLES))
    candidates = paths_of(example) or [()]
    path = data.draw(st.sampled_from(candidates))
    mutated = mutate(example, path, data.draw(json_values), delete=data.draw(st.booleans()))
    await parse_through_client(operation_id, status, json.dumps(mutated).encode())


@settings(max_examples=200, deadline=None)
@given(data=st.data())
async def test_truncated_and_garbage_bodies_raise_typed_errors(data: st.DataObject) -> None:
    """Truncated JSON and random bytes become APIResponseValidationError (or parse), never a bare exception."""
    operation_id, status, example = data.draw(st.sampled_from(EXAMPLES))
    body = json.dumps(example).encode()
    cut = data.draw(st.integers(min_value=0, max_value=max(len(body) - 1, 0)))
    choice = data.draw(st.sampled_from(["truncate", "garbage"]))
    payload = body[:cut] if choice == "truncate" else data.draw(st.binary(max_size=200))
    await parse_through_client(operation_id, status, payload)


def test_there_are_examples_to_fuzz() -> None:
    """The property tests draw from a real, non-trivial set of examples."""
    assert len(EXAMPLES) >= 50


# --- HTTP-level oddities against a real server ------------------------------------------


@pytest.fixture
async def odd_server() -> AsyncIterator[str]:
    async def handler(request: web.Request) -> web.StreamResponse:
        # The kind travels in the search parameter, so generated functions are used unmodified.
        return make_response(request.query.get("search", ""))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    async with serve(app) as url:
        yield url


def make_response(kind: str) -> web.StreamResponse:
    page = {"data": [], "meta": {"page": 1, "limit": 10, "pages": 1, "total": 0}}
    if kind == "html200":
        return web.Response(text="<html><body>Maintenance</body></html>", content_type="text/html")
    if kind == "html502":
        return web.Response(
            status=502, text="<html><h1>502 Bad Gateway</h1></html>", content_type="text/html"
        )
    if kind == "wrong-type":
        return web.Response(body=json.dumps(page).encode(), content_type="text/plain")
    if kind == "huge":
        items = [
            {"diagramId": f"d{n}", "name": "x" * 200, "status": "Active"} for n in range(20_000)
        ]
        return web.json_response(
            {"data": items, "meta": {"page": 1, "limit": 20_000, "pages": 1, "total": 20_000}}
        )
    if kind == "unknown-enum":
        return web.json_response(
            {
                "data": [{"diagramId": "d1", "name": "n", "status": "Hibernating"}],
                "meta": page["meta"],
            }
        )
    if kind == "missing-required":
        return web.json_response({"data": [{"name": "n"}], "meta": page["meta"]})
    if kind == "extra-fields":
        return web.json_response(
            {
                "data": [
                    {"diagramId": "d1", "name": "n", "status": "Active", "brandNew": {"x": 1}}
                ],
                "meta": page["meta"],
                "more": 1,
            }
        )
    if kind == "epoch-timestamps":
        return web.json_response(
            {
                "data": [
                    {
                        "diagramId": "d1",
                        "name": "n",
                        "status": "Active",
                        "created": 1700000000.5,
                        "updated": 1700000001,
                    }
                ],
                "meta": page["meta"],
            }
        )
    if kind == "malformed":
        return web.Response(body=b'{"data": [', content_type="application/json")
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["html200", "wrong-type", "malformed", "missing-required"])
async def test_unparseable_success_bodies_raise_validation_errors(
    odd_server: str, kind: str
) -> None:
    """HTML pages, wrong content types with odd bodies, malformed JSON and missing fields raise APIResponseValidationError."""
    async with SyneriseClient(base_url=odd_server, retry=RetryPolicy(max_retries=0)) as client:
        if kind == "wrong-type":
            # JSON sent as text/plain still parses: the body, not the label, decides.
            page = await get_paginated_diagrams.asyncio(client=client, search=kind)
            assert page.meta.total == 0
            return
        with pytest.raises(sa.APIResponseValidationError) as info:
            await get_paginated_diagrams.asyncio(client=client, search=kind)
    assert info.value.operation_id == "getPaginatedDiagrams" and info.value.status_code == 200
    if kind == "missing-required":
        assert "'diagramId'" in str(info.value) and "while parsing WorkflowListItem" in str(
            info.value
        )


async def test_html_error_page_becomes_a_status_error_with_excerpt(odd_server: str) -> None:
    """A 502 HTML page raises InternalServerError carrying a short excerpt and no parsed body."""
    async with SyneriseClient(base_url=odd_server, retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(sa.InternalServerError) as info:
            await get_paginated_diagrams.asyncio(client=client, search="html502")
    assert info.value.body is None and "502 Bad Gateway" in info.value.body_excerpt


async def test_lenient_cases_parse(odd_server: str) -> None:
    """Unknown enum values, extra fields, epoch timestamps and huge bodies parse into models."""
    async with SyneriseClient(base_url=odd_server, retry=RetryPolicy(max_retries=0)) as client:
        unknown = await get_paginated_diagrams.asyncio(client=client, search="unknown-enum")
        assert unknown.data[0].status.value == "Hibernating"
        extra = await get_paginated_diagrams.asyncio(client=client, search="extra-fields")
        assert extra.data[0].additional_properties["brandNew"] == {"x": 1}
        assert extra.to_dict()["more"] == 1
        epoch = await get_paginated_diagrams.asyncio(client=client, search="epoch-timestamps")
        assert epoch.data[0].created == 1700000000.5
        huge = await get_paginated_diagrams.asyncio(client=client, search="huge")
        assert len(huge.data) == 20_000
