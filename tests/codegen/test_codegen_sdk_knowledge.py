"""SDK knowledge lives in overlays and inference, never in the API documents."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from codegen_helpers import json_response, make_doc

from codegen import paths
from codegen.documents import Document, load_documents
from codegen.generate import generate_package, tree_diff
from codegen.normalise import normalise
from codegen.sdk_keys import PROVENANCE_KEYS, find_sdk_keys, strip_sdk_keys
from codegen.spec import Report, iter_operations

Normalise = Callable[..., tuple[Document, Report]]


def _query(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "in": "query", "schema": {"type": "integer"}} for n in names]


def _list_op(op_id: str, params: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "operationId": op_id,
            "tags": ["Things"],
            "parameters": params,
            "responses": json_response(body),
        }
    }


def _post(op_id: str, body_schema: dict[str, Any] | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": op_id,
        "tags": ["Things"],
        "responses": {"204": {"description": "ok"}},
    }
    if body_schema is not None:
        operation["requestBody"] = {"content": {"application/json": {"schema": body_schema}}}
    return {"post": operation}


THING_LIST = {"type": "array", "items": {"type": "object"}}


def test_the_documents_carry_no_sdk_keys() -> None:
    """No document under openapi/documents holds pagination, retry, limit or timestamp keys."""
    found = [
        f"{name}: {pointer} {key}"
        for name, doc in load_documents(paths.DOCUMENTS_DIR).items()
        for pointer, key in find_sdk_keys(doc)
    ]
    assert found == []


def test_provenance_keys_are_not_sdk_keys() -> None:
    """Stripping SDK knowledge keeps every provenance extension of every operation."""
    docs = load_documents(paths.DOCUMENTS_DIR)
    before = [
        {k: v for k, v in op.items() if k in PROVENANCE_KEYS}
        for doc in docs.values()
        for _p, _m, op in iter_operations(doc)
    ]
    for doc in docs.values():
        strip_sdk_keys(doc)
    after = [
        {k: v for k, v in op.items() if k in PROVENANCE_KEYS}
        for doc in docs.values()
        for _p, _m, op in iter_operations(doc)
    ]
    assert after == before
    assert all("x-synerise-source" in entry for entry in after)


def test_stripped_documents_regenerate_the_committed_code_byte_for_byte(tmp_path: Path) -> None:
    """Documents stripped of every SDK key (as a pulled document would be), written as JSON,
    normalised with the overlays and generated give exactly the committed package."""
    stripped = tmp_path / "documents"
    stripped.mkdir()
    removed = 0
    for name, doc in load_documents(paths.DOCUMENTS_DIR).items():
        removed += strip_sdk_keys(doc)
        (stripped / f"{Path(name).stem}.json").write_text(json.dumps(doc), encoding="utf-8")
    spec, _report = normalise(stripped, paths.OVERLAYS_DIR)
    (tmp_path / "out").mkdir()
    package = generate_package(spec, tmp_path / "out")
    assert tree_diff(package, paths.PACKAGE_DIR) == []
    assert removed == 0, "the committed documents still carry SDK keys"


def test_without_overlays_the_overlaid_behaviour_is_lost() -> None:
    """The overlays are what mark the write-named but repeatable POSTs safe (not the documents)."""
    with_overlays, _ = normalise(paths.DOCUMENTS_DIR, paths.OVERLAYS_DIR)
    bare, _ = normalise(paths.DOCUMENTS_DIR, paths.OVERLAYS_DIR / "does-not-exist")
    pause = "/automation-brain/diagrams/{diagramId}/pause"
    assert with_overlays["paths"][pause]["post"]["x-synerise-retry"] == "safe"
    assert "x-synerise-retry" not in bare["paths"][pause]["post"]


def test_page_limit_with_a_page_count_is_inferred_as_page_style(normalise_docs: Normalise) -> None:
    """page/limit over ``{data: [...], meta: {pages}}`` becomes style ``page`` with its total."""
    body = {
        "type": "object",
        "properties": {
            "data": THING_LIST,
            "meta": {"type": "object", "properties": {"pages": {"type": "integer"}}},
        },
    }
    doc, report = normalise_docs(
        {"a.yaml": make_doc({"/things": _list_op("listThings", _query("page", "limit"), body)})}
    )
    assert doc["paths"]["/things"]["get"]["x-synerise-pagination"] == {
        "style": "page",
        "items": "data",
        "page_param": "page",
        "size_param": "limit",
        "total": "meta.pages",
    }
    assert any("listThings" in line for line in report.inferences)


@pytest.mark.parametrize(
    ("params", "body", "expected"),
    [
        (
            ("pageIndex", "pageSize"),
            THING_LIST,
            {
                "style": "page-index",
                "items": "",
                "page_param": "pageIndex",
                "size_param": "pageSize",
            },
        ),
        (
            ("limit", "offset"),
            {
                "type": "object",
                "properties": {
                    "data": THING_LIST,
                    "metaData": {
                        "type": "object",
                        "properties": {"totalCount": {"type": "integer"}},
                    },
                },
            },
            {
                "style": "offset",
                "items": "data",
                "total": "metaData.totalCount",
                "page_param": "offset",
                "size_param": "limit",
            },
        ),
        (
            ("limit", "pageToken"),
            {
                "type": "object",
                "properties": {"data": THING_LIST, "nextPageToken": {"type": "string"}},
            },
            {
                "style": "cursor",
                "items": "data",
                "page_param": "pageToken",
                "size_param": "limit",
                "next": "nextPageToken",
            },
        ),
        (
            ("page", "limit"),
            {
                "type": "object",
                "properties": {
                    "data": THING_LIST,
                    "meta": {
                        "type": "object",
                        "properties": {
                            "totalPages": {"type": "integer"},
                            "link": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                },
            },
            {
                "style": "link",
                "items": "data",
                "page_param": "page",
                "size_param": "limit",
                "next": "meta.link",
                "total": "meta.totalPages",
            },
        ),
    ],
    ids=["page-index", "offset", "cursor", "link"],
)
def test_each_paging_shape_is_inferred(
    normalise_docs: Normalise,
    params: tuple[str, ...],
    body: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    """Each documented paging shape maps to its pagination style and field paths."""
    doc, _ = normalise_docs(
        {"a.yaml": make_doc({"/things": _list_op("listThings", _query(*params), body)})}
    )
    assert doc["paths"]["/things"]["get"]["x-synerise-pagination"] == expected


def test_an_ambiguous_paging_shape_is_listed_not_guessed(normalise_docs: Normalise) -> None:
    """page/limit over a bare array gets no pagination and a line under "needs a decision"."""
    doc, report = normalise_docs(
        {
            "a.yaml": make_doc(
                {"/things": _list_op("listThings", _query("page", "limit"), THING_LIST)}
            )
        }
    )
    assert "x-synerise-pagination" not in doc["paths"]["/things"]["get"]
    assert any("listThings" in line and "bare array" in line for line in report.decisions)
    assert "## Needs a human decision (1)" in report.render()


def test_an_overlay_overrides_and_can_switch_inference_off(normalise_docs: Normalise) -> None:
    """An overlay's pagination wins over the inferred one, and ``none`` removes it."""
    body = {"type": "object", "properties": {"data": THING_LIST}}
    doc, report = normalise_docs(
        {
            "a.yaml": make_doc(
                {
                    "/a": _list_op("listA", _query("page", "limit"), body),
                    "/b": _list_op("listB", _query("page", "limit"), body),
                }
            )
        },
        {
            "10-x.yaml": {
                "overlay": "1.0.0",
                "actions": [
                    {
                        "target": "$.paths['/a'].get",
                        "update": {"x-synerise-pagination": {"style": "link", "items": "data"}},
                    },
                    {"target": "$.paths['/b'].get", "update": {"x-synerise-pagination": "none"}},
                ],
            }
        },
    )
    assert doc["paths"]["/a"]["get"]["x-synerise-pagination"] == {"style": "link", "items": "data"}
    assert "x-synerise-pagination" not in doc["paths"]["/b"]["get"]
    assert any("listA" in line and "overrides" in line for line in report.inferences)


@pytest.mark.parametrize(
    ("op_id", "path", "body", "expected"),
    [
        ("sendThing", "/things", {"type": "object", "properties": {"eventSalt": {}}}, "event-salt"),
        ("sendThings", "/things", {"type": "array", "items": {"type": "object", "properties": {"eventSalt": {}}}}, "event-salt"),
        ("loginThing", "/uauth/v2/auth/login/profile", None, "safe"),
        ("searchThingsPost", "/things/search", None, "safe"),
        ("getThingsByIds", "/things/by-ids", None, "safe"),
        ("createThing", "/things", None, None),
        ("getOrCreateThing", "/things/get-or-create", None, None),
    ],
)  # fmt: skip
def test_retry_safety_of_a_post_is_inferred_conservatively(
    normalise_docs: Normalise, op_id: str, path: str, body: Any, expected: str | None
) -> None:
    """Salted bodies, logins and read-named POSTs are repeatable; a write verb anywhere is not."""
    doc, _ = normalise_docs({"a.yaml": make_doc({path: _post(op_id, body)})})
    assert doc["paths"][path]["post"].get("x-synerise-retry") == expected


def test_a_post_named_with_no_known_verb_needs_a_decision(normalise_docs: Normalise) -> None:
    """A POST whose name is neither a read nor a write is left unsafe and listed."""
    doc, report = normalise_docs({"a.yaml": make_doc({"/x": _post("frobnicateThing")})})
    assert "x-synerise-retry" not in doc["paths"]["/x"]["post"]
    assert any("frobnicateThing" in line for line in report.decisions)


def test_epoch_units_are_inferred_from_descriptions(normalise_docs: Normalise) -> None:
    """An integer documented in epoch milliseconds gets ``x-synerise-timestamp: epoch-millis``."""
    schemas = {
        "Thing": {
            "type": "object",
            "properties": {
                "created": {"type": "integer", "description": "Unix epoch milliseconds."},
                "count": {"type": "integer", "description": "How many."},
            },
        }
    }
    doc, _ = normalise_docs({"a.yaml": make_doc({}, schemas)})
    props = doc["components"]["schemas"]["Thing"]["properties"]
    assert props["created"]["x-synerise-timestamp"] == "epoch-millis"
    assert "x-synerise-timestamp" not in props["count"]
