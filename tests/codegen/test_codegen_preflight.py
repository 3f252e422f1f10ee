"""One test per defect class the pre-flight pass fixes or refuses (CODEGEN-NOTES items)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from codegen_helpers import json_response, make_doc, op

from codegen.documents import Document
from codegen.errors import CodegenError
from codegen.spec import Report

Normalise = Callable[..., tuple[Document, Report]]
REF = "#/components/schemas/"


def _problems(normalise_docs: Normalise, docs: dict[str, Document]) -> str:
    with pytest.raises(CodegenError) as info:
        normalise_docs(docs)
    return info.value.render()


def test_duplicate_operation_ids_fail(normalise_docs: Normalise) -> None:
    """Two operations with one operationId fail, naming both (item 1)."""
    doc = make_doc({"/a": {"get": op("getThing")}, "/b": {"get": op("getThing")}})
    message = _problems(normalise_docs, {"a.yaml": doc})
    assert "duplicate operationId 'getThing'" in message
    assert "GET /a" in message and "GET /b" in message


def test_operation_ids_that_share_a_module_name_fail(normalise_docs: Normalise) -> None:
    """operationIds that differ only in case style would overwrite one module, so they fail."""
    doc = make_doc({"/a": {"get": op("getThing")}, "/b": {"get": op("get_thing")}})
    assert "both become module 'get_thing'" in _problems(normalise_docs, {"a.yaml": doc})


def test_missing_operation_id_is_named_from_method_and_path(normalise_docs: Normalise) -> None:
    """An operation without operationId gets <method><PathWords>, reported as needing a decision (item 2)."""
    doc = make_doc({"/v4/things/{thingId}/items": {"get": op(None), "post": op(None)}})
    doc["paths"]["/v4/things/{thingId}/items"]["parameters"] = [
        {"name": "thingId", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    doc["paths"]["/v4/things"] = {"get": op("getV4ThingsByThingIdItems")}
    merged, report = normalise_docs({"a.yaml": doc})
    item = merged["paths"]["/v4/things/{thingId}/items"]
    # the natural name is taken by another operation, so the synthesised one is numbered
    assert item["get"]["operationId"] == "getV4ThingsByThingIdItems2"
    assert item["post"]["operationId"] == "postV4ThingsByThingIdItems"
    decisions = [line for line in report.lines if line.startswith("NEEDS A DECISION")]
    assert len(decisions) == 2 and "POST /v4/things/{thingId}/items" in decisions[1]


@pytest.mark.parametrize(
    ("odd", "clean"),
    [
        ("get-thing.by/id v2", "getThingByIdV2"),
        ("2fa-verify (beta)", "get2faVerifyBeta"),
        ("List things", "ListThings"),
    ],
)
def test_odd_operation_ids_are_respelled_as_identifiers(
    normalise_docs: Normalise, odd: str, clean: str
) -> None:
    """An operationId with punctuation or a leading digit becomes camelCase words; the original is kept."""
    merged, report = normalise_docs({"a.yaml": make_doc({"/a": {"get": op(odd)}})})
    get = merged["paths"]["/a"]["get"]
    assert get["operationId"] == clean
    assert get["x-synerise-original-operation-id"] == odd
    assert any(f"respelled {clean!r}" in line for line in report.lines)


def test_path_parameter_named_differently_per_method_follows_the_template(
    normalise_docs: Normalise,
) -> None:
    """A method declaring `id` for `{thingId}` has its parameter renamed to the template's name."""
    param = {"name": "thingId", "in": "path", "required": True, "schema": {"type": "string"}}
    other = {**param, "name": "id"}
    item = {
        "get": op("getThing", parameters=[param]),
        "delete": op("deleteThing", parameters=[other]),
    }
    merged, report = normalise_docs({"a.yaml": make_doc({"/things/{thingId}": item})})
    assert merged["paths"]["/things/{thingId}"]["delete"]["parameters"] == [param]
    assert merged["paths"]["/things/{thingId}"]["get"]["parameters"] == [param]
    assert any("path parameter 'id' renamed 'thingId'" in line for line in report.lines)


def test_undeclared_path_placeholder_gets_a_parameter_and_extra_ones_fail(
    normalise_docs: Normalise,
) -> None:
    """A template placeholder nobody declares becomes a required string; a surplus declaration fails."""
    merged, _ = normalise_docs({"a.yaml": make_doc({"/a/{aId}": {"get": op("getA")}})})
    assert merged["paths"]["/a/{aId}"]["get"]["parameters"] == [
        {"name": "aId", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    surplus = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
        for n in ("x", "y")
    ]
    doc = make_doc({"/b/{bId}": {"get": op("getB", parameters=surplus)}})
    assert "path parameters ['x', 'y'] do not match" in _problems(normalise_docs, {"a.yaml": doc})


def test_star_content_type_becomes_json(normalise_docs: Normalise) -> None:
    """`*/*` request and response media types become application/json (item 5)."""
    body = {"content": {"*/*": {"schema": {"type": "object"}}}}
    operation = op(
        "postThing", requestBody=body, responses=json_response({"type": "object"}, media="*/*")
    )
    doc, report = normalise_docs({"a.yaml": make_doc({"/a": {"post": operation}})})
    post = doc["paths"]["/a"]["post"]
    assert list(post["requestBody"]["content"]) == ["application/json"]
    assert list(post["responses"]["200"]["content"]) == ["application/json"]
    assert any("*/* -> application/json" in line for line in report.lines)


@pytest.mark.parametrize("name", ["page", "limit", "offset", "pageSize", "pageIndex"])
def test_number_page_params_become_integers(normalise_docs: Normalise, name: str) -> None:
    """A `type: number` page/size query parameter becomes an integer (item 11)."""
    param = {
        "name": name,
        "in": "query",
        "schema": {"type": "number", "format": "double", "default": 1.0},
    }
    doc, _ = normalise_docs({"a.yaml": make_doc({"/a": {"get": op("list", parameters=[param])}})})
    schema = doc["paths"]["/a"]["get"]["parameters"][0]["schema"]
    assert schema == {"type": "integer", "default": 1}


def test_other_number_params_stay_numbers(normalise_docs: Normalise) -> None:
    """Only the page/size parameters change; a `price` stays a number."""
    param = {"name": "price", "in": "query", "schema": {"type": "number"}}
    doc, _ = normalise_docs({"a.yaml": make_doc({"/a": {"get": op("list", parameters=[param])}})})
    assert doc["paths"]["/a"]["get"]["parameters"][0]["schema"] == {"type": "number"}


def test_api_version_header_is_removed_and_recorded(normalise_docs: Normalise) -> None:
    """The Api-Version header leaves the parameters and becomes x-synerise-api-version (item 12)."""
    api_version = {
        "name": "Api-Version",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "enum": ["4.4"]},
    }
    keep = {"name": "q", "in": "query", "schema": {"type": "string"}}
    operation = op("list", parameters=[{"$ref": "#/components/parameters/ApiVersion"}, keep])
    doc, _ = normalise_docs(
        {"a.yaml": make_doc({"/v4/a": {"get": operation}}, parameters={"ApiVersion": api_version})}
    )
    get = doc["paths"]["/v4/a"]["get"]
    assert get["parameters"] == [keep]
    assert get["x-synerise-api-version"] == "4.4"


def test_path_level_api_version_applies_to_every_method(normalise_docs: Normalise) -> None:
    """An Api-Version declared on the path item is recorded on each of its operations."""
    header = {"name": "api-version", "in": "header", "schema": {"type": "string", "default": "4.4"}}
    item = {"parameters": [header], "get": op("getA"), "delete": op("deleteA")}
    doc, _ = normalise_docs({"a.yaml": make_doc({"/a": item})})
    assert "parameters" not in doc["paths"]["/a"]
    assert {doc["paths"]["/a"][m]["x-synerise-api-version"] for m in ("get", "delete")} == {"4.4"}


@pytest.mark.parametrize("reserved", ["Client", "Response", "File", "Unset", "Error", "unset"])
def test_reserved_schema_names_are_renamed(normalise_docs: Normalise, reserved: str) -> None:
    """A schema named like a generated type gets a Model suffix and every $ref follows (item 6)."""
    schemas = {reserved: {"type": "object", "properties": {"id": {"type": "integer"}}}}
    operation = op("getIt", responses=json_response({"$ref": REF + reserved}))
    doc, _ = normalise_docs({"a.yaml": make_doc({"/a": {"get": operation}}, schemas)})
    new = reserved + "Model"
    assert new in doc["components"]["schemas"] and reserved not in doc["components"]["schemas"]
    assert doc["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] == {"$ref": REF + new}


def test_schema_names_differing_only_in_case_fail(normalise_docs: Normalise) -> None:
    """Two schemas that would share a module file fail (item 6, upstream #1163)."""
    schemas = {"ABTest": {"type": "object"}, "AbTest": {"type": "object"}}
    assert "both become" in _problems(normalise_docs, {"a.yaml": make_doc({}, schemas)})


def _pet_schemas(cat: dict[str, Any]) -> dict[str, Any]:
    return {
        "Base": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"type": "string"}, "name": {"type": "string"}},
        },
        "Cat": cat,
        "Dog": {
            "type": "object",
            "properties": {"kind": {"type": "string"}, "barks": {"type": "boolean"}},
        },
        "Pet": {
            "oneOf": [{"$ref": REF + "Cat"}, {"$ref": REF + "Dog"}],
            "discriminator": {
                "propertyName": "kind",
                "mapping": {"cat": REF + "Cat", "dog": "Dog"},
            },
        },
    }


def test_discriminator_mapping_becomes_const_and_required(normalise_docs: Normalise) -> None:
    """Each mapped variant gets its discriminator value as a required const (item 7)."""
    cat = {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "description": "Kind."},
            "meows": {"type": "boolean"},
        },
    }
    doc, _ = normalise_docs({"a.yaml": make_doc({}, _pet_schemas(cat))})
    schemas = doc["components"]["schemas"]
    assert schemas["Cat"]["properties"]["kind"] == {
        "type": "string",
        "description": "Kind.",
        "const": "cat",
        "default": "cat",
    }
    assert schemas["Dog"]["properties"]["kind"]["const"] == "dog"
    assert "kind" in schemas["Cat"]["required"] and "kind" in schemas["Dog"]["required"]


def test_discriminated_allof_variant_is_flattened(normalise_docs: Normalise) -> None:
    """A variant built with allOf is flattened so its const does not clash with the base (item 7)."""
    cat = {
        "allOf": [
            {"$ref": REF + "Base"},
            {"type": "object", "properties": {"meows": {"type": "boolean"}}},
        ]
    }
    doc, _ = normalise_docs({"a.yaml": make_doc({}, _pet_schemas(cat))})
    flat = doc["components"]["schemas"]["Cat"]
    assert "allOf" not in flat
    assert set(flat["properties"]) == {"kind", "name", "meows"}
    assert flat["properties"]["kind"]["const"] == "cat" and flat["required"] == ["kind"]


def test_one_variant_under_two_discriminator_values_fails(normalise_docs: Normalise) -> None:
    """A schema mapped from two discriminator values cannot carry one const, so it fails."""
    schemas = _pet_schemas({"type": "object"})
    schemas["Pet"]["discriminator"]["mapping"]["kitten"] = REF + "Cat"
    assert "maps several values" in _problems(normalise_docs, {"a.yaml": make_doc({}, schemas)})


def test_enum_values_colliding_by_case_keep_the_first_spelling(normalise_docs: Normalise) -> None:
    """`usd`/`USD` would crash the generator; later spellings leave the enum (item 3)."""
    schemas = {"Currency": {"type": "string", "enum": ["usd", "USD", "eur", "e-ur", "e_ur"]}}
    doc, report = normalise_docs({"a.yaml": make_doc({}, schemas)})
    assert doc["components"]["schemas"]["Currency"]["enum"] == ["usd", "eur", "e-ur"]
    assert any("collide" in line for line in report.lines)


def test_integral_number_enum_becomes_integer_enum(normalise_docs: Normalise) -> None:
    """A `type: number` enum of whole numbers becomes an integer enum (item 4)."""
    schemas = {"Tier": {"type": "number", "format": "double", "enum": [1, 2.0, 3]}}
    doc, _ = normalise_docs({"a.yaml": make_doc({}, schemas)})
    assert doc["components"]["schemas"]["Tier"] == {"type": "integer", "enum": [1, 2, 3]}


def test_fractional_number_enum_is_dropped_and_recorded(normalise_docs: Normalise) -> None:
    """An enum of fractional numbers has no generated form: it is dropped, its values kept (item 4)."""
    schemas = {"Ratio": {"type": "number", "enum": [0.5, 1.5]}}
    doc, report = normalise_docs({"a.yaml": make_doc({}, schemas)})
    assert doc["components"]["schemas"]["Ratio"] == {
        "type": "number",
        "x-synerise-enum": [0.5, 1.5],
    }
    assert any("non-integral" in line and "dropped" in line for line in report.lines)


def test_mixed_type_enum_is_dropped_and_recorded(normalise_docs: Normalise) -> None:
    """An enum mixing strings and integers cannot be one enum class: dropped, values kept."""
    schemas = {"Mode": {"enum": ["auto", 0, 1]}, "Level": {"type": "integer", "enum": [1, 2]}}
    doc, report = normalise_docs({"a.yaml": make_doc({}, schemas)})
    assert doc["components"]["schemas"]["Mode"] == {"x-synerise-enum": ["auto", 0, 1]}
    assert doc["components"]["schemas"]["Level"] == {"type": "integer", "enum": [1, 2]}
    assert any("mixes integer/string" in line for line in report.lines)


def test_relative_file_ref_is_copied_into_components(
    normalise_docs: Normalise, tmp_path: Path
) -> None:
    """`common.yaml#/components/schemas/X` becomes a local component (item 5)."""
    (tmp_path / "common").mkdir()
    common = {
        "components": {
            "schemas": {
                "Money": {
                    "type": "object",
                    "properties": {"currency": {"$ref": "#/components/schemas/Code"}},
                },
                "Code": {"type": "string"},
            }
        }
    }
    (tmp_path / "common" / "common.yaml").write_text(yaml.safe_dump(common), encoding="utf-8")
    operation = op(
        "getMoney",
        responses=json_response({"$ref": "../common/common.yaml#/components/schemas/Money"}),
    )
    doc, _ = normalise_docs({"a.yaml": make_doc({"/m": {"get": operation}})})
    schemas = doc["components"]["schemas"]
    assert schemas["Money"]["properties"]["currency"] == {"$ref": REF + "Code"}
    assert schemas["Code"] == {"type": "string"}


def test_http_ref_fails(normalise_docs: Normalise) -> None:
    """A remote http(s) $ref fails with a clear message; nothing is fetched (item 5)."""
    operation = op("getIt", responses=json_response({"$ref": "https://example.test/s.yaml#/X"}))
    message = _problems(normalise_docs, {"a.yaml": make_doc({"/a": {"get": operation}})})
    assert "remote references are not fetched" in message


def test_unresolvable_local_ref_fails(normalise_docs: Normalise) -> None:
    """A local $ref to a missing component fails before generation."""
    operation = op("getIt", responses=json_response({"$ref": REF + "Missing"}))
    assert "does not resolve" in _problems(
        normalise_docs, {"a.yaml": make_doc({"/a": {"get": operation}})}
    )


def test_global_security_is_copied_to_operations(normalise_docs: Normalise) -> None:
    """Global security reaches operations without their own; explicit ones are kept (item 10)."""
    doc = make_doc({"/a": {"get": op("getA"), "post": op("postA", security=[])}})
    doc["security"] = [{"JWT": []}]
    merged, _ = normalise_docs({"a.yaml": doc})
    assert merged["paths"]["/a"]["get"]["security"] == [{"JWT": []}]
    assert merged["paths"]["/a"]["post"]["security"] == []
    assert "security" not in merged


def test_inline_oneof_variants_are_hoisted(normalise_docs: Normalise) -> None:
    """Inline object variants of a oneOf move to named components (item 8)."""
    union = {
        "oneOf": [{"type": "object", "properties": {"a": {"type": "string"}}}, {"type": "string"}]
    }
    schemas = {"Holder": {"type": "object", "properties": {"value": union}}}
    doc, _ = normalise_docs({"a.yaml": make_doc({}, schemas)})
    variants = doc["components"]["schemas"]["Holder"]["properties"]["value"]["oneOf"]
    assert variants[0] == {"$ref": REF + "HolderValueVariant1"} and variants[1] == {
        "type": "string"
    }
    assert doc["components"]["schemas"]["HolderValueVariant1"]["properties"] == {
        "a": {"type": "string"}
    }


def test_default_response_is_dropped_next_to_a_success(normalise_docs: Normalise) -> None:
    """A `default` response beside a documented success is dropped (item 14)."""
    responses = {"200": {"description": "ok"}, "default": {"description": "error"}}
    doc, _ = normalise_docs({"a.yaml": make_doc({"/a": {"get": op("getA", responses=responses)}})})
    assert list(doc["paths"]["/a"]["get"]["responses"]) == ["200"]


def test_only_a_default_response_fails(normalise_docs: Normalise) -> None:
    """An operation whose only response is `default` fails: its success is undocumented."""
    doc = make_doc({"/a": {"get": op("getA", responses={"default": {"description": "any"}})}})
    assert "only a 'default' response" in _problems(normalise_docs, {"a.yaml": doc})


def test_pagination_extension_must_name_real_parameters(normalise_docs: Normalise) -> None:
    """x-synerise-pagination naming a parameter the operation lacks fails."""
    pagination = {"style": "page", "items": "data", "page_param": "page", "size_param": "limit"}
    params = [{"name": "page", "in": "query", "schema": {"type": "integer"}}]
    doc = make_doc(
        {"/a": {"get": op("list", parameters=params, **{"x-synerise-pagination": pagination})}}
    )
    assert "size_param 'limit' is not a query parameter" in _problems(
        normalise_docs, {"a.yaml": doc}
    )


def test_operation_without_tags_fails(normalise_docs: Normalise) -> None:
    """An untagged operation would land in a `default` folder, so it fails."""
    operation = op("getA")
    del operation["tags"]
    assert "no tags" in _problems(normalise_docs, {"a.yaml": make_doc({"/a": {"get": operation}})})
