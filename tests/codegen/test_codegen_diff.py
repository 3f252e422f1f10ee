"""`python -m codegen diff`: one small spec per kind of change, the shipped spec, the CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from codegen_helpers import json_response, make_doc, op

from codegen import paths
from codegen.diff import diff_specs, load_spec, render_markdown, render_summary
from codegen.documents import Document

REF = "#/components/schemas/"
SHIPPED = paths.PACKAGE_DIR / "api" / "openapi.json"


def _lines(old: Document, new: Document) -> list[str]:
    """Every reported change as 'label: [BREAKING] text'."""
    result = diff_specs(old, new)
    lines = [f"added {op.label()}" for op in result.added]
    lines += [f"removed {op.label()}" for op in result.removed]
    for ref, changes in result.changed:
        lines += [f"{ref.operation_id}: {'BREAKING ' * c.breaking}{c.text}" for c in changes]
    return lines


def _param(
    name: str, where: str = "query", required: bool = False, **schema: Any
) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema or {"type": "string"}}


def _one(parameters: list[dict[str, Any]], path: str = "/things") -> Document:
    return make_doc({path: {"get": op("listThings", parameters=parameters)}})


def test_operations_added_and_removed_are_listed_and_removal_is_breaking() -> None:
    """An added operation is listed plainly; a removed one is flagged breaking."""
    old = make_doc({"/a": {"get": op("getA")}, "/b": {"get": op("getB")}})
    new = make_doc({"/a": {"get": op("getA")}, "/c": {"post": op("postC")}})
    result = diff_specs(old, new)
    assert [o.label() for o in result.added] == ["`postC` (POST /c)"]
    assert [o.label() for o in result.removed] == ["`getB` (GET /b)"]
    assert result.breaking == [("`getB` (GET /b)", "operation removed")]


def test_operation_id_renamed_on_the_same_path_is_one_breaking_change() -> None:
    """Same method and path (parameter names aside) with a new operationId is a rename, not remove + add."""
    old = make_doc({"/a/{id}": {"get": op("getA", parameters=[_param("id", "path", True)])}})
    new = make_doc({"/a/{aId}": {"get": op("fetchA", parameters=[_param("aId", "path", True)])}})
    assert _lines(old, new) == [
        "fetchA: BREAKING operationId renamed `getA` -> `fetchA` (the function is renamed)",
        "fetchA: moved from GET /a/{id} (same function name)",
        "fetchA: BREAKING path parameter `id` renamed `aId`",
    ]


def test_operation_moved_to_another_path_keeps_its_identity() -> None:
    """An operationId found on another path is a move (not breaking), not remove + add."""
    old = make_doc({"/v3/a": {"get": op("getA")}})
    new = make_doc({"/v4/a": {"get": op("getA")}})
    assert _lines(old, new) == ["getA: moved from GET /v3/a (same function name)"]


def test_parameters_added_removed_and_required_changes() -> None:
    """Removed and newly required parameters break; an optional addition does not."""
    old = _one([_param("gone"), _param("q"), _param("sort", required=True)])
    new = _one([_param("q", required=True), _param("sort"), _param("extra", type="integer")])
    assert sorted(_lines(old, new)) == [
        "listThings: BREAKING query parameter `gone` removed",
        "listThings: BREAKING query parameter `q` now required",
        "listThings: query parameter `extra` added (optional, integer)",
        "listThings: query parameter `sort` now optional",
    ]


def test_required_parameter_added_is_breaking() -> None:
    """A new required parameter breaks existing calls."""
    assert _lines(_one([]), _one([_param("must", "header", True)])) == [
        "listThings: BREAKING header parameter `must` added (required, string)"
    ]


def test_query_parameter_rename_is_detected_by_location_and_type() -> None:
    """One removed and one added query parameter of the same type are reported as a rename."""
    old = _one([_param("page", type="integer"), _param("searchBy")])
    new = _one([_param("page", type="integer"), _param("search_by")])
    assert _lines(old, new) == [
        "listThings: BREAKING query parameter `searchBy` renamed `search_by`"
    ]


def test_parameters_of_different_types_are_not_taken_for_a_rename() -> None:
    """A removed string and an added integer parameter stay a removal and an addition."""
    lines = _lines(_one([_param("a")]), _one([_param("b", type="integer")]))
    assert lines == [
        "listThings: BREAKING query parameter `a` removed",
        "listThings: query parameter `b` added (optional, integer)",
    ]


def test_retyped_parameters_and_enum_values() -> None:
    """A type change and a removed enum value break; an added enum value does not."""
    old = _one([_param("n", type="integer"), _param("kind", type="string", enum=["a", "b"])])
    new = _one([_param("n", type="string"), _param("kind", type="string", enum=["b", "c"])])
    assert sorted(_lines(old, new)) == [
        'listThings: BREAKING query parameter `kind` enum values removed: "a"',
        "listThings: BREAKING query parameter `n` retyped integer -> string",
        'listThings: query parameter `kind` enum values added: "c"',
    ]


def _body_op(schema: dict[str, Any], required: bool = False) -> Document:
    body = {"required": required, "content": {"application/json": {"schema": schema}}}
    return make_doc({"/things": {"post": op("addThing", requestBody=body)}})


def test_request_body_field_changes() -> None:
    """Removed, newly required, retyped and required-added body fields break; optional additions do not."""
    old = _body_op(
        {
            "type": "object",
            "properties": {
                "a": {"type": "string"},
                "b": {"type": "string"},
                "c": {"type": "integer"},
                "gone": {"type": "string"},
            },
        }
    )
    new = _body_op(
        {
            "type": "object",
            "required": ["b", "must"],
            "properties": {
                "a": {"type": "string"},
                "b": {"type": "string"},
                "c": {"type": "number"},
                "must": {"type": "string"},
                "maybe": {"type": "string"},
            },
        },
        required=True,
    )
    assert sorted(_lines(old, new)) == [
        "addThing: BREAKING request body field `b` now required",
        "addThing: BREAKING request body field `c` retyped integer -> number",
        "addThing: BREAKING request body field `gone` removed",
        "addThing: BREAKING request body field `must` added (required)",
        "addThing: BREAKING request body now required",
        "addThing: request body field `maybe` added (optional)",
    ]


def test_response_field_changes_follow_references() -> None:
    """Fields removed or made optional in a referenced response model break; a new field does not."""
    schemas: dict[str, Any] = {
        "Page": {
            "type": "object",
            "properties": {"data": {"type": "array", "items": {"$ref": REF + "Item"}}},
        },
        "Item": {
            "type": "object",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "old": {"type": "string"},
            },
        },
    }
    new_schemas = copy.deepcopy(schemas)
    item = new_schemas["Item"]
    item["required"] = ["id"]
    del item["properties"]["old"]
    item["properties"]["fresh"] = {"type": "boolean"}
    paths_ = {"/things": {"get": op("listThings", responses=json_response({"$ref": REF + "Page"}))}}
    assert sorted(_lines(make_doc(paths_, schemas), make_doc(paths_, new_schemas))) == [
        "listThings: BREAKING response 200 field `data[].name` now optional (may be missing)",
        "listThings: BREAKING response 200 field `data[].old` removed",
        "listThings: response 200 field `data[].fresh` added (optional)",
    ]


def test_response_status_and_content_type_changes() -> None:
    """A success status or content type that disappears breaks parsing."""
    old = make_doc({"/r": {"get": op("report", responses=json_response({"type": "object"}))}})
    new = make_doc(
        {
            "/r": {
                "get": op("report", responses=json_response({"type": "string"}, "200", "text/csv"))
            }
        }
    )
    assert _lines(old, new) == [
        "report: BREAKING response 200 content type `application/json` removed",
        "report: response 200 content type `text/csv` added",
    ]


def test_removed_model_is_breaking_and_markdown_flags_every_breaking_change() -> None:
    """A removed component schema is a breaking change; the Markdown marks each one BREAKING."""
    old = make_doc({"/a": {"get": op("getA")}}, {"Gone": {"type": "object"}})
    new = make_doc(
        {"/a": {"get": op("getA")}, "/b": {"get": op("getB")}}, {"New": {"type": "object"}}
    )
    result = diff_specs(old, new)
    markdown = render_markdown(result, "old.json", "new.json")
    assert "- **BREAKING** `Gone` removed" in markdown and "- `New` added" in markdown
    assert "#### Operations added (1)\n\n- `getB` (GET /b)" in markdown
    assert "**1 breaking change(s)**" in markdown
    summary = render_summary(result)
    assert summary.startswith("API changes since the shipped spec: 1 operation(s) added")
    assert "BREAKING model `Gone`: removed" in summary


def _optional_query(param: dict[str, Any]) -> bool:
    return param.get("in") == "query" and not param.get("required")


def _modified_shipped() -> tuple[Document, Document, list[str]]:
    """The shipped spec, and a copy with three operations added and some changed."""
    old: Document = json.loads(SHIPPED.read_text(encoding="utf-8"))
    new = copy.deepcopy(old)
    added = []
    for index in range(3):
        op_id = f"listNewThings{index}"
        new["paths"][f"/v4/new-things-{index}"] = {"get": op(op_id, "Events")}
        added.append(op_id)
    listed = next(
        (path, method, operation)
        for path, item in new["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
        and any(_optional_query(p) for p in operation.get("parameters") or [])
    )
    query = next(p for p in listed[2]["parameters"] if _optional_query(p))
    query["required"] = True
    return old, new, added


def test_shipped_spec_against_a_modified_copy_lists_the_added_operations() -> None:
    """Main's shipped spec vs a copy with operations added lists exactly those, and the new required parameter."""
    old, new, added = _modified_shipped()
    result = diff_specs(old, new)
    assert [o.operation_id for o in result.added] == added
    assert result.removed == [] and len(result.changed) == 1
    (changes,) = [c for _ref, c in result.changed]
    assert [c.breaking for c in changes] == [True] and "now required" in changes[0].text
    assert diff_specs(old, old).empty


def test_cli_prints_markdown_and_fails_on_breaking_only_when_asked(tmp_path: Path) -> None:
    """The CLI exits 0 with the report, 3 with --fail-on-breaking on a breaking change, 1 on a missing input."""
    old, new, added = _modified_shipped()
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    (tmp_path / "new.json").write_text(json.dumps(new), encoding="utf-8")
    base = [
        sys.executable,
        "-m",
        "codegen",
        "diff",
        str(tmp_path / "old.json"),
        str(tmp_path / "new.json"),
    ]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *extra], capture_output=True, text=True, cwd=paths.ROOT, check=False
        )

    plain = run()
    assert plain.returncode == 0
    assert all(f"`{op_id}`" in plain.stdout for op_id in added)
    assert run("--fail-on-breaking").returncode == 3
    missing = subprocess.run(
        [*base[:4], str(tmp_path / "nope.json"), base[5]],
        capture_output=True,
        text=True,
        cwd=paths.ROOT,
        check=False,
    )
    assert missing.returncode == 1 and "no such file" in missing.stderr


def test_documents_directory_at_a_git_revision_matches_the_spec_shipped_there() -> None:
    """`HEAD:openapi/documents` is normalised with its overlays and equals the spec generated from it."""
    documents, _ = load_spec("HEAD:openapi/documents")
    shipped, _ = load_spec("HEAD:synerise_async/api/openapi.json")
    assert diff_specs(shipped, documents).empty
    assert len(shipped["paths"]) > 50


def test_unknown_revision_is_a_clear_error() -> None:
    """A REV:path git cannot resolve fails with git's reason."""
    from codegen.errors import CodegenError

    with pytest.raises(CodegenError, match="git cat-file"):
        load_spec("no-such-rev-xyz:synerise_async/api/openapi.json")


def test_two_documents_directories_are_normalised_and_compared(tmp_path: Path) -> None:
    """Two documents directories (each with its overlays beside it) are normalised, then compared."""
    import yaml

    for version, operations in (
        ("old", {"/a": {"get": op("getA")}}),
        ("new", {"/a": {"get": op("getA")}, "/b": {"get": op("getB")}}),
    ):
        (tmp_path / version / "documents").mkdir(parents=True)
        (tmp_path / version / "overlays").mkdir()
        (tmp_path / version / "documents" / "a.yaml").write_text(
            yaml.safe_dump(make_doc(operations)), encoding="utf-8"
        )
    overlay = {
        "overlay": "1.0.0",
        "actions": [{"target": "$.paths['/a'].get", "update": {"deprecated": True}}],
    }
    (tmp_path / "new" / "overlays" / "fix.yaml").write_text(
        yaml.safe_dump(overlay), encoding="utf-8"
    )
    old, _ = load_spec(str(tmp_path / "old" / "documents"))
    new, _ = load_spec(str(tmp_path / "new" / "documents"))
    result = diff_specs(old, new)
    assert [o.operation_id for o in result.added] == ["getB"]
    assert [(ref.operation_id, [c.text for c in changes]) for ref, changes in result.changed] == [
        ("getA", ["now deprecated"])
    ]
