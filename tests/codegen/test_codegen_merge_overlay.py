"""Merging per-area documents and applying overlays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from codegen_helpers import make_doc, op

from codegen.documents import Document
from codegen.errors import CodegenError
from codegen.overlay import apply_overlay, parse_target
from codegen.spec import Report

Normalise = Callable[..., tuple[Document, Report]]
SHARED = {"ErrorResponse": {"type": "object", "properties": {"message": {"type": "string"}}}}


def test_identical_components_are_deduplicated(normalise_docs: Normalise) -> None:
    """A component present in two documents with the same content is kept once."""
    a = make_doc({"/a": {"get": op("getA")}}, SHARED)
    b = make_doc({"/b": {"get": op("getB")}}, SHARED)
    doc, _ = normalise_docs({"a.yaml": a, "b.yaml": b})
    assert doc["components"]["schemas"] == SHARED
    assert set(doc["paths"]) == {"/a", "/b"}


def test_same_component_name_with_different_content_fails(normalise_docs: Normalise) -> None:
    """Same name, different content: a loud failure naming both documents and the difference."""
    other = {"ErrorResponse": {"type": "object", "properties": {"message": {"type": "integer"}}}}
    with pytest.raises(CodegenError) as info:
        normalise_docs({"a.yaml": make_doc({}, SHARED), "b.yaml": make_doc({}, other)})
    message = info.value.render()
    assert "components/schemas/ErrorResponse differs between a.yaml and b.yaml" in message
    assert "/properties/message/type" in message


def test_same_method_on_same_path_in_two_documents_fails(normalise_docs: Normalise) -> None:
    """A path+method defined by two documents fails, naming both."""
    with pytest.raises(CodegenError, match=r"GET /a is defined in both a.yaml and b.yaml"):
        normalise_docs(
            {
                "a.yaml": make_doc({"/a": {"get": op("getA")}}),
                "b.yaml": make_doc({"/a": {"get": op("getA2")}}),
            }
        )


def test_different_methods_on_one_path_merge(normalise_docs: Normalise) -> None:
    """Two documents may add different methods to the same path."""
    doc, _ = normalise_docs(
        {
            "a.yaml": make_doc({"/a": {"get": op("getA")}}),
            "b.yaml": make_doc({"/a": {"post": op("postA")}}),
        }
    )
    assert set(doc["paths"]["/a"]) == {"get", "post"}


def test_overlay_update_remove_and_append(normalise_docs: Normalise) -> None:
    """Overlay actions merge objects, remove nodes and append to lists, in order."""
    schemas = {
        "Thing": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "integer"}, "legacy": {"type": "string"}},
        }
    }
    overlay = {
        "overlay": "1.0.0",
        "info": {"title": "t", "version": "1"},
        "actions": [
            {
                "target": "$.paths['/a'].get",
                "update": {"summary": "Get A.", "x-synerise-retry": "safe"},
            },
            {"target": "$.components.schemas.Thing.properties.legacy", "remove": True},
            {"target": '$.components.schemas["Thing"].required', "update": "name"},
        ],
    }
    doc, report = normalise_docs(
        {"a.yaml": make_doc({"/a": {"get": op("getA")}}, schemas)}, {"fix.yaml": overlay}
    )
    assert doc["paths"]["/a"]["get"]["summary"] == "Get A."
    assert doc["paths"]["/a"]["get"]["tags"] == ["Things"]  # merged, not replaced
    assert set(doc["components"]["schemas"]["Thing"]["properties"]) == {"id"}
    assert doc["components"]["schemas"]["Thing"]["required"] == ["id", "name"]
    assert sum(line.startswith("overlay fix.yaml") for line in report.lines) == 3


def test_overlay_target_that_matches_nothing_fails() -> None:
    """An overlay whose target no longer exists fails instead of silently doing nothing."""
    overlay: dict[str, Any] = {
        "actions": [{"target": "$.paths['/gone'].get", "update": {"summary": "x"}}]
    }
    with pytest.raises(CodegenError, match=r"no key '/gone'"):
        apply_overlay(make_doc(), overlay, "stale.yaml", Report())


@pytest.mark.parametrize(
    ("target", "segments"),
    [
        ("$", []),
        ("$.paths['/v4/x/{id}'].get", ["paths", "/v4/x/{id}", "get"]),
        ('$.components["schemas"].A.allOf[1]', ["components", "schemas", "A", "allOf", 1]),
        ("$.paths.x-synerise-thing", ["paths", "x-synerise-thing"]),
    ],
)
def test_overlay_target_syntax(target: str, segments: list[str | int]) -> None:
    """Simple paths split into keys and list indexes."""
    assert parse_target(target) == segments


def test_overlay_wildcards_are_refused() -> None:
    """Wildcards and filters are outside the supported subset and fail clearly."""
    with pytest.raises(ValueError, match="unsupported syntax"):
        parse_target("$.paths.*.get")
