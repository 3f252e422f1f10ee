"""A synthetic spec the size of Synerise's full API, for timing regeneration (W6).

``write_documents(directory, operations=730, schemas=1000, tags=25)`` writes one YAML
document per tag in the layout of ``openapi/documents`` (components per document, shared
``ErrorResponse``, JWT/Basic security, ``x-synerise-pagination`` on list operations), so
the whole ``make generate`` pipeline (load, merge, pre-flight, generate, post-hooks) runs
on it. The mix per tag: paginated lists, gets by id, creates and updates with bodies,
deletes and a statistics call; schemas are objects of 6-14 properties mixing strings,
integers, numbers, booleans, date-times, enums, arrays, nested references and maps.

One more document, ``features.yaml``, carries what published specs carry and the
normaliser or the generator must survive (``FEATURES``: allOf / oneOf / anyOf with and
without discriminator, nullable fields, integer, number and mixed enums, free-form and
map objects, a schema defined in two documents, operations without an operationId or
with odd characters in it, a path parameter named differently per method, text/csv and
octet-stream responses, 204s, exploded array query parameters). Its operations and
schemas count towards the totals asked for; ``features=False`` leaves it out.
``tests/codegen/test_codegen_synthetic.py`` checks each feature occurs and that the
result generates, imports and passes ``mypy --strict``.

Run ``python -m bench.synthspec OUT_DIR`` to write one.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

__all__ = ["FEATURES", "build_documents", "write_documents"]

_ERROR = {
    "type": "object",
    "description": "The error body.",
    "properties": {
        "timestamp": {"type": "string", "format": "date-time"},
        "status": {"type": "integer"},
        "error": {"type": "string"},
        "message": {"type": "string"},
        "path": {"type": "string"},
    },
}
_SECURITY_SCHEMES = {
    "JWT": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "Basic": {"type": "http", "scheme": "basic"},
}
_ERRORS = {
    code: {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
    for code, text in (("400", "Bad request."), ("401", "Unauthorized."), ("429", "Slow down."))
}
_SCALARS: tuple[dict[str, Any], ...] = (
    {"type": "string"},
    {"type": "integer", "format": "int64"},
    {"type": "number", "format": "double"},
    {"type": "boolean"},
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "uuid"},
)


def _tag_name(t: int) -> str:
    return f"Area{t:02d}"


def _schema_name(t: int, k: int) -> str:
    return f"Area{t:02d}Entity{k:02d}"


def _schema(t: int, k: int, per_tag: int, rng: int) -> dict[str, Any]:
    """Object schema ``k`` of tag ``t``: deterministic, varied, references only later ones."""
    props: dict[str, Any] = {"id": {"type": "string", "description": "Identifier."}}
    count = 6 + (rng % 9)
    for p in range(1, count):
        kind = (rng + p * 7) % 10
        name = f"field{p:02d}{('Name', 'Value', 'Count', 'Flag', 'Time', 'Ref')[p % 6]}"
        later = k + 1 + (p % 3)
        if kind < 6:
            props[name] = dict(_SCALARS[kind], description=f"Property {p}.")
        elif kind == 6:
            props[name] = {
                "type": "string",
                "enum": [f"State{e}{k}" for e in range(3 + p % 3)],
                "description": "A state.",
            }
        elif kind == 7 and later < per_tag:
            props[name] = {"$ref": f"#/components/schemas/{_schema_name(t, later)}"}
        elif kind == 8 and later < per_tag:
            props[name] = {
                "type": "array",
                "items": {"$ref": f"#/components/schemas/{_schema_name(t, later)}"},
            }
        else:
            props[name] = {"type": "object", "additionalProperties": {"type": "string"}}
    return {
        "type": "object",
        "description": f"Entity {k} of area {t}.",
        "required": ["id"],
        "properties": props,
    }


def _list_schema(t: int, k: int) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["data", "meta"],
        "properties": {
            "data": {
                "type": "array",
                "items": {"$ref": f"#/components/schemas/{_schema_name(t, k)}"},
            },
            "meta": {"$ref": f"#/components/schemas/Area{t:02d}PageMeta"},
        },
    }


def _responses(code: str, schema: str | None) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "Success."}
    if schema is not None:
        ok["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {code: ok, **_ERRORS}


def _operation(op_id: str, tag: str, summary: str, **extra: Any) -> dict[str, Any]:
    return {
        "operationId": op_id,
        "tags": [tag],
        "summary": summary,
        "description": f"{summary} (synthetic).",
        "security": [{"JWT": []}, {"Basic": []}],
        **extra,
    }


def _document(t: int, ops: int, per_tag: int) -> dict[str, Any]:
    tag = _tag_name(t)
    schemas: dict[str, Any] = {"ErrorResponse": _ERROR}
    schemas[f"Area{t:02d}PageMeta"] = {
        "type": "object",
        "required": ["page", "limit", "pages", "total"],
        "properties": {n: {"type": "integer"} for n in ("page", "limit", "pages", "total")},
    }
    entities = per_tag - 1 - (ops + 5) // 6
    for k in range(entities):
        schemas[_schema_name(t, k)] = _schema(t, k, entities, t * 31 + k * 17)
    paths: dict[str, Any] = {}
    base = f"/area{t:02d}"
    i = 0
    for k in range(ops):
        kind = k % 6
        entity = k % entities
        name = _schema_name(t, entity)
        res = f"{base}/r{k // 6:02d}"
        if kind == 0:
            list_name = f"Area{t:02d}List{k // 6:02d}"
            schemas[list_name] = _list_schema(t, entity)
            paths.setdefault(res, {})["get"] = _operation(
                f"listArea{t:02d}Items{k:03d}",
                tag,
                f"List resource {k} of area {t}",
                parameters=[
                    {"name": "page", "in": "query", "schema": {"type": "integer", "default": 1}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 10}},
                    {"name": "search", "in": "query", "schema": {"type": "string"}},
                ],
                responses=_responses("200", list_name),
                **{
                    "x-synerise-pagination": {
                        "style": "page",
                        "items": "data",
                        "page_param": "page",
                        "size_param": "limit",
                        "total": "meta.pages",
                    }
                },
            )
        elif kind == 1:
            paths.setdefault(res, {})["post"] = _operation(
                f"createArea{t:02d}Item{k:03d}",
                tag,
                f"Create resource {k} of area {t}",
                requestBody={
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                    },
                },
                responses=_responses("201", name),
            )
        else:
            item = f"{res}/{{itemId}}" if kind < 5 else f"{res}/{{itemId}}/stats{k:03d}"
            method = {2: "get", 3: "put", 4: "delete", 5: "get"}[kind]
            path_param = {
                "name": "itemId",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
            extra: dict[str, Any] = {"parameters": [path_param]}
            if kind == 3:
                extra["requestBody"] = {
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                    }
                }
            code, body = ("204", None) if kind == 4 else ("200", name)
            paths.setdefault(item, {})[method] = _operation(
                f"{method}Area{t:02d}Item{k:03d}",
                tag,
                f"{method.upper()} resource {k} of area {t}",
                responses=_responses(code, body),
                **extra,
            )
        i += 1
    return {
        "openapi": "3.0.3",
        "info": {"title": f"Synthetic {tag}", "version": "4.4"},
        "servers": [{"url": "https://api.synerise.com"}],
        "tags": [{"name": tag, "description": f"Synthetic area {t}."}],
        "paths": paths,
        "components": {"securitySchemes": _SECURITY_SCHEMES, "schemas": schemas},
    }


def build_documents(
    operations: int = 730, schemas: int = 1000, tags: int = 25, *, features: bool = True
) -> dict[str, dict[str, Any]]:
    """The documents, keyed by file name. Totals come out at about the numbers asked.

    With ``features`` (the default) one of them is ``features.yaml`` (see FEATURES); its
    operations and schemas count towards the totals.
    """
    docs: dict[str, dict[str, Any]] = {}
    if features:
        extra = _features_document()
        docs["features.yaml"] = extra
        operations -= sum(len(item) for item in extra["paths"].values())
        schemas -= len(extra["components"]["schemas"])
    operations, schemas = max(operations, 1), max(schemas, 1)
    tags = max(1, min(tags, operations))
    for t in range(tags):
        ops = operations // tags + (1 if t < operations % tags else 0)
        per_tag = schemas // tags + (1 if t < schemas % tags else 0)
        docs[f"area{t:02d}.yaml"] = _document(t, ops, max(per_tag, (ops + 5) // 6 + 3))
    if features:
        docs["area00.yaml"]["components"]["schemas"]["SharedAudit"] = _SHARED_AUDIT
    return dict(sorted(docs.items()))


# --- what published specs carry ----------------------------------------------------------
# One more document, "features.yaml", whose operations and schemas carry each construct
# the published Synerise documents (and OpenAPI specs in general) use and the generator
# or our normaliser must survive. Each entry of FEATURES names one; the test of the
# synthetic spec checks every name occurs.

FEATURES = (
    "allOf",
    "oneOf",
    "oneOf+discriminator",
    "anyOf",
    "anyOf+discriminator",
    "nullable",
    "integer enum",
    "number enum",
    "mixed enum",
    "free-form object",
    "map object",
    "same schema in two documents",
    "no operationId",
    "odd operationId",
    "path parameter named differently per method",
    "text/csv response",
    "octet-stream response",
    "204",
    "exploded array query parameter",
)

_F = "#/components/schemas/"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": _F + name}


def _json(schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
    return {
        code: {"description": "Success.", "content": {"application/json": {"schema": schema}}},
        **_ERRORS,
    }


def _feature_schemas() -> dict[str, Any]:
    kind = {"type": "string", "description": "Which variant this is."}
    return {
        "ErrorResponse": _ERROR,
        # same name and content as in area00.yaml: the merge keeps one
        "SharedAudit": _SHARED_AUDIT,
        "FeatureBase": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "created": {"type": "string", "format": "date-time"},
            },
        },
        "FeatureExtended": {
            "description": "allOf of a base and its own properties.",
            "allOf": [
                _ref("FeatureBase"),
                {"type": "object", "properties": {"label": {"type": "string"}}},
            ],
        },
        "FeatureCat": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": kind, "lives": {"type": "integer"}},
        },
        "FeatureDog": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": kind, "goodBoy": {"type": "boolean"}},
        },
        "FeatureFish": {
            "allOf": [
                _ref("FeatureBase"),
                {"type": "object", "properties": {"kind": kind, "fins": {"type": "integer"}}},
            ],
        },
        "FeaturePet": {
            "description": "oneOf with a discriminator (mapping to component schemas).",
            "oneOf": [_ref("FeatureCat"), _ref("FeatureDog"), _ref("FeatureFish")],
            "discriminator": {
                "propertyName": "kind",
                "mapping": {
                    "cat": _F + "FeatureCat",
                    "dog": _F + "FeatureDog",
                    "fish": "FeatureFish",
                },
            },
        },
        "FeaturePetOrText": {
            "description": "oneOf without a discriminator, of a model and a scalar.",
            "oneOf": [_ref("FeatureCat"), {"type": "string"}],
        },
        "FeatureBird": {
            "type": "object",
            "properties": {"kind": kind, "wings": {"type": "integer"}},
        },
        "FeatureHamster": {
            "type": "object",
            "properties": {"kind": kind, "wheel": {"type": "boolean"}},
        },
        "FeatureAnyPet": {
            "description": "anyOf with a discriminator, no mapping (the names are the values).",
            "anyOf": [_ref("FeatureBird"), _ref("FeatureHamster")],
            "discriminator": {"propertyName": "kind"},
        },
        "FeatureAnyShape": {
            "description": "anyOf without a discriminator.",
            "anyOf": [_ref("FeatureBase"), _ref("FeatureDog")],
        },
        "FeatureEverything": {
            "type": "object",
            "required": ["id", "priority"],
            "properties": {
                "id": {"type": "string"},
                "note": {"type": "string", "nullable": True},
                "count": {"type": "integer", "nullable": True},
                "seen": {"type": "string", "format": "date-time", "nullable": True},
                "due": {"type": "string", "format": "date", "nullable": True},
                "times": {"type": "array", "items": {"type": "string", "format": "date-time"}},
                "maybeTimes": {
                    "type": "array",
                    "nullable": True,
                    "items": {"type": "string", "format": "date-time", "nullable": True},
                },
                "timesById": {
                    "type": "object",
                    "additionalProperties": {"type": "string", "format": "date-time"},
                },
                "owner": {"allOf": [_ref("FeatureBase")], "nullable": True},
                "priority": {"type": "integer", "enum": [1, 2, 3]},
                "weight": {"type": "number", "enum": [0.5, 1, 2.5]},
                "ratio": {"type": "number", "enum": [1.0, 2.0]},
                "mixed": {"enum": ["auto", 0, 1]},
                "state": {"type": "string", "enum": ["on", "off", None], "nullable": True},
                "attributes": {"type": "object", "description": "Free-form."},
                "extra": {"type": "object", "additionalProperties": True},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "pets": {"type": "object", "additionalProperties": _ref("FeatureCat")},
                "matrix": {
                    "type": "array",
                    "items": {"type": "array", "items": {"type": "integer"}},
                },
                "pet": _ref("FeaturePet"),
                "anyPet": _ref("FeatureAnyPet"),
                "shape": _ref("FeatureAnyShape"),
                "petOrText": _ref("FeaturePetOrText"),
                "extended": _ref("FeatureExtended"),
                "audit": _ref("SharedAudit"),
            },
        },
    }


_SHARED_AUDIT = {
    "type": "object",
    "description": "Defined identically in two documents.",
    "properties": {"by": {"type": "string"}, "at": {"type": "string", "format": "date-time"}},
}


def _features_document() -> dict[str, Any]:
    tag = "Features"
    item_param = {"name": "itemId", "in": "path", "required": True, "schema": {"type": "string"}}
    other_name = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    exploded = [
        {
            "name": "ids",
            "in": "query",
            "style": "form",
            "explode": True,
            "schema": {"type": "array", "items": {"type": "string"}},
        },
        {
            "name": "at",
            "in": "query",
            "explode": True,
            "schema": {"type": "array", "items": {"type": "string", "format": "date-time"}},
        },
        {
            "name": "since",
            "in": "query",
            "schema": {"type": "string", "format": "date-time", "nullable": True},
        },
        {
            "name": "levels",
            "in": "query",
            "explode": True,
            "schema": {"type": "array", "items": {"type": "integer", "enum": [1, 2, 3]}},
        },
    ]
    body = {
        "required": True,
        "content": {"application/json": {"schema": _ref("FeatureEverything")}},
    }
    csv = {
        "200": {
            "description": "A CSV file.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **_ERRORS,
    }
    octet = {
        "200": {
            "description": "A binary file.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
        **_ERRORS,
    }
    no_content = {"204": {"description": "Done."}, **_ERRORS}

    def operation(op_id: str | None, summary: str, **extra: Any) -> dict[str, Any]:
        built = _operation(op_id or "", tag, summary, **extra)
        if op_id is None:
            del built["operationId"]
        return built

    paths: dict[str, Any] = {
        "/features/everything": {
            "get": operation(
                "getFeatureEverything", "Everything", responses=_json(_ref("FeatureEverything"))
            ),
            "post": operation(
                "createFeatureEverything",
                "Create",
                requestBody=body,
                responses=_json(_ref("FeatureEverything"), "201"),
            ),
        },
        "/features/pets": {
            "get": operation(
                "listFeaturePets",
                "Pets",
                parameters=exploded,
                responses=_json({"type": "array", "items": _ref("FeaturePet")}),
            ),
            "post": operation(
                "addFeaturePet",
                "Add a pet",
                requestBody={"content": {"application/json": {"schema": _ref("FeaturePet")}}},
                responses=_json(_ref("FeatureAnyPet"), "201"),
            ),
        },
        "/features/shapes": {
            "get": operation("getFeatureShape", "Shape", responses=_json(_ref("FeatureAnyShape"))),
            "put": operation(
                "putFeatureText",
                "Pet or text",
                requestBody={"content": {"application/json": {"schema": _ref("FeaturePetOrText")}}},
                responses=_json(_ref("FeaturePetOrText")),
            ),
        },
        "/features/extended": {
            "get": operation(
                "getFeatureExtended", "allOf", responses=_json(_ref("FeatureExtended"))
            ),
        },
        "/features/free-form": {
            "get": operation(
                "getFeatureFreeForm",
                "Free-form",
                responses=_json({"type": "object", "additionalProperties": True}),
            ),
            "post": operation(
                "postFeatureMap",
                "Map",
                requestBody={
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": {"type": "integer"},
                            }
                        }
                    }
                },
                responses=no_content,
            ),
        },
        # No operationId: the normaliser names them from method and path.
        "/features/anonymous/{itemId}": {
            "get": operation(
                None,
                "No operationId",
                parameters=[item_param],
                responses=_json(_ref("FeatureBase")),
            ),
            "delete": operation(
                None, "No operationId either", parameters=[item_param], responses=no_content
            ),
        },
        # Odd characters in operationIds.
        "/features/odd/dots": {
            "get": operation(
                "get-feature.odd/dots v2", "Odd id", responses=_json(_ref("FeatureBase"))
            ),
        },
        "/features/odd/digit": {
            "post": operation("2fa-verify (beta)", "Starts with a digit", responses=no_content),
        },
        # The path template names {itemId}; PUT declares its path parameter as "id".
        "/features/items/{itemId}": {
            "get": operation(
                "getFeatureItem",
                "Item",
                parameters=[item_param],
                responses=_json(_ref("FeatureBase")),
            ),
            "put": operation(
                "putFeatureItem",
                "Item under another name",
                parameters=[other_name],
                requestBody={"content": {"application/json": {"schema": _ref("FeatureBase")}}},
                responses=_json(_ref("FeatureBase")),
            ),
        },
        # The same resource under two path keys with different placeholder names.
        "/features/boxes/{boxId}": {
            "get": operation(
                "getFeatureBox",
                "Box",
                parameters=[{**item_param, "name": "boxId"}],
                responses=_json(_ref("FeatureBase")),
            ),
        },
        "/features/boxes/{id}": {
            "delete": operation(
                "deleteFeatureBox", "Box by id", parameters=[other_name], responses=no_content
            ),
        },
        "/features/export.csv": {
            "get": operation("exportFeatureCsv", "CSV", responses=csv),
        },
        "/features/export.bin": {
            "get": operation("exportFeatureBinary", "Binary", responses=octet),
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Synthetic features", "version": "4.4"},
        "servers": [{"url": "https://api.synerise.com"}],
        "tags": [{"name": tag, "description": "What published specs carry."}],
        "paths": paths,
        "components": {"securitySchemes": _SECURITY_SCHEMES, "schemas": _feature_schemas()},
    }


def write_documents(
    directory: Path, operations: int = 730, schemas: int = 1000, tags: int = 25
) -> dict[str, int]:
    """Write the documents into ``directory``; return the operation and schema counts."""
    directory.mkdir(parents=True, exist_ok=True)
    docs = build_documents(operations, schemas, tags)
    names: set[str] = set()
    op_count = 0
    for file_name, doc in docs.items():
        (directory / file_name).write_text(
            yaml.safe_dump(doc, sort_keys=False, width=100), encoding="utf-8"
        )
        names.update(doc["components"]["schemas"])
        op_count += sum(len(methods) for methods in doc["paths"].values())
    return {"operations": op_count, "schemas": len(names), "documents": len(docs)}


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic spec (W6).")
    parser.add_argument("out", type=Path)
    parser.add_argument("--operations", type=int, default=730)
    parser.add_argument("--schemas", type=int, default=1000)
    parser.add_argument("--tags", type=int, default=25)
    args = parser.parse_args()
    print(write_documents(args.out, args.operations, args.schemas, args.tags))


if __name__ == "__main__":
    main()
