"""openapi/COVERAGE.md is generated from the documents, is current, and shows real coverage."""

from __future__ import annotations

from typing import Any

import pytest

from codegen.coverage import COVERAGE_DATA, COVERAGE_FILE, collect, render, render_current
from codegen.documents import load_documents, load_yaml
from codegen.errors import CodegenError
from codegen.paths import DOCUMENTS_DIR


def test_coverage_file_is_up_to_date() -> None:
    """The committed COVERAGE.md equals a fresh rendering (run `make coverage` after a spec change)."""
    assert COVERAGE_FILE.read_text(encoding="utf-8") == render_current()


def test_the_spec_has_at_least_260_operations() -> None:
    """The documents hold at least 260 operations, with unique operationIds."""
    ops = collect(load_documents(DOCUMENTS_DIR))
    assert len(ops) >= 260
    ids = [op.operation_id for op in ops]
    assert len(ids) == len(set(ids))


def test_the_issue_areas_are_covered() -> None:
    """Loyalty, assets, recommendation campaigns, profile account and analytics all have operations."""
    tags = {op.tag for op in collect(load_documents(DOCUMENTS_DIR))}
    assert {"Loyalty", "Assets", "RecommendationCampaigns", "ProfileAccount", "Analytics"} <= tags


def test_unplaceable_operations_stay_out_of_the_spec() -> None:
    """Each operation listed as unplaceable has a reason and is not in any document."""
    data: dict[str, Any] = load_yaml(COVERAGE_DATA)
    present = {(op.method, op.path) for op in collect(load_documents(DOCUMENTS_DIR))}
    assert len(data["unplaceable"]) == 25
    for item in data["unplaceable"]:
        assert item["reason"].strip(), item
        assert (item["method"], item["path"]) not in present, item


def test_an_operation_outside_every_category_is_an_error() -> None:
    """A tag that no category claims makes the renderer fail instead of dropping the operation."""
    doc = {
        "openapi": "3.0.3",
        "paths": {"/x": {"get": {"operationId": "x", "tags": ["Mystery"], "responses": {}}}},
    }
    data = {"categories": [{"name": "Known", "tags": ["Other"]}]}
    with pytest.raises(CodegenError, match="no category"):
        render({"x.yaml": doc}, data)


def test_counts_follow_the_documents() -> None:
    """Operations are counted per category, confidence and unconfirmed flag as the documents say."""
    op = {"tags": ["A"], "x-synerise-source": ["https://github.com/o/r/blob/c/f"], "responses": {}}
    doc = {
        "openapi": "3.0.3",
        "paths": {
            "/a": {"get": {**op, "operationId": "a1", "x-synerise-confidence": "confirmed"}},
            "/b": {
                "post": {
                    **op,
                    "operationId": "a2",
                    "x-synerise-confidence": "confirmed-usage",
                    "x-synerise-unconfirmed": True,
                }
            },
        },
    }
    data = {
        "categories": [{"name": "Cat", "tags": ["A"], "published": 9}, {"name": "Empty"}],
        "unplaceable": [],
    }
    text = render({"d.yaml": doc}, data)
    assert "| Cat |  | 2 | 9 | confirmed 1, confirmed-usage 1 | 1 | 0 |" in text
    assert "Categories without operations (no source read shows one): Empty" in text
    assert "| github.com/o/r | 2 |" in text
