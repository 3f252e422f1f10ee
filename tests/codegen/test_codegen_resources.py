"""Generated resource classes: options that clash with API parameter names, the mini package."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from codegen_helpers import _STUB_ERRORS, json_response, make_doc, op, run_python

from codegen import paths
from codegen.errors import CodegenError
from codegen.generate import generate_package

CLASHING = op(
    "getThing",
    parameters=[
        {"name": "thingId", "in": "path", "required": True, "schema": {"type": "integer"}},
        {"name": "timeout", "in": "query", "schema": {"type": "number"}},
        {"name": "max_retries", "in": "query", "schema": {"type": "integer"}},
    ],
    responses=json_response({"type": "object", "properties": {"name": {"type": "string"}}}),
)


def _package(tmp_path: Path) -> Path:
    package = generate_package(make_doc({"/v4/things/{thingId}": {"get": CLASHING}}), tmp_path)
    for name in ("__init__.py", "client.py", "errors.py"):
        (package / name).unlink()
    (package / "__init__.py").write_text("", encoding="utf-8")
    shutil.copy(paths.PACKAGE_DIR / "_transport.py", package / "_transport.py")
    (package / "_errors.py").write_text(_STUB_ERRORS, encoding="utf-8")
    return package


def test_api_parameters_named_like_options_get_a_suffix(tmp_path: Path) -> None:
    """An API parameter called timeout/max_retries becomes timeout_/max_retries_ and still reaches the query."""
    out = run_python(
        """
        import asyncio, inspect
        from synerise_async._transport import RawResponse, Response
        from synerise_async.resources.things import ThingsResource

        class Recorder:
            async def request(self, operation, kwargs, parse, options=None):
                raw = RawResponse(200, {}, b'{"name": "x"}')
                return Response(200, {}, raw.content, await self.call(operation, kwargs, parse, options))

            async def call(self, operation, kwargs, parse, options=None):
                self.seen = (operation.operation_id, kwargs, options)
                return parse(RawResponse(200, {}, b'{"name": "x"}'))

        params = list(inspect.signature(ThingsResource.get_thing).parameters)
        assert params == ["self", "thing_id", "timeout_", "max_retries_", "timeout",
                          "extra_headers", "extra_query", "max_retries"], params
        transport = Recorder()
        thing = asyncio.run(ThingsResource(transport).get_thing(5, timeout_=2.5, max_retries_=3, timeout=1.0))
        op_id, parts, options = transport.seen
        assert op_id == "getThing" and parts.url.format(**parts.path_params) == "/v4/things/5"
        assert parts.params == {"timeout": 2.5, "max_retries": 3}, parts
        assert options.timeout == 1.0 and options.max_retries is None
        asyncio.run(ThingsResource(transport).get_thing(5))
        assert transport.seen[2] is None  # no per-call option: the client's fast path
        assert thing.name == "x"
        from synerise_async.resources.things import ThingsResourceWithRawResponse
        raw = asyncio.run(ThingsResourceWithRawResponse(transport).get_thing(5, max_retries=1))
        assert raw.status_code == 200 and raw.parsed.name == "x"
        assert transport.seen[2].max_retries == 1
        print("ok")
        """,
        _package(tmp_path),
    )
    assert out.strip() == "ok"


def test_mini_package_gets_resources_for_every_tag(mini_package: Path) -> None:
    """The mini fixture generates one resource module per tag with its operations as methods."""
    out = run_python(
        """
        from synerise_async.api import REGISTRY
        from synerise_async.resources import GeneratedClient
        for entry in REGISTRY.values():
            name = entry.module.rpartition(".")[2]
            resource = vars(GeneratedClient)[entry.tag].func(object())  # a cached_property
            assert callable(getattr(resource, name)), entry
        print(len(REGISTRY))
        """,
        mini_package,
    )
    assert int(out) > 0


def _paged(responses: dict[str, Any]) -> dict[str, Any]:
    return op(
        "listThings",
        parameters=[
            {"name": "page", "in": "query", "schema": {"type": "integer"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer"}},
        ],
        responses=responses,
        **{
            "x-synerise-pagination": {
                "style": "page",
                "items": "data",
                "page_param": "page",
                "size_param": "limit",
            }
        },
    )


PAGE_SCHEMA = {
    "type": "object",
    "properties": {"data": {"type": "array", "items": {"type": "object"}}},
}


def test_a_paged_operations_documented_statuses_reach_its_pagination_record(
    tmp_path: Path,
) -> None:
    """Success statuses other than 200 are listed on the Pagination record raw mode checks."""
    responses = {**json_response(PAGE_SCHEMA), **json_response(PAGE_SCHEMA, code="206")}
    package = generate_package(make_doc({"/v4/things": {"get": _paged(responses)}}), tmp_path)
    source = (package / "api" / "things" / "list_things.py").read_text(encoding="utf-8")
    assert "statuses=(200, 206)" in source and 'items_key="data"' in source


def test_a_paged_operation_with_a_bodyless_success_is_refused(tmp_path: Path) -> None:
    """A paginated operation documenting a success without a body fails generation loudly."""
    responses = {**json_response(PAGE_SCHEMA), "204": {"description": "nothing"}}
    with pytest.raises(CodegenError, match="204 has no body"):
        generate_package(make_doc({"/v4/things": {"get": _paged(responses)}}), tmp_path)
