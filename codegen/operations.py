"""What the templates need to know about each operation beyond what the generator keeps.

openapi-python-client 0.29.1's ``Endpoint`` does not keep the operation's raw data, so
``x-synerise-*`` extensions and the security scheme names never reach a template (the
``endpoint.data.model_extra`` the brief expected does not exist in this version). Codegen
reads them from the normalised document here, keyed by the generator's module name for
the operationId, and hands the templates ready-made Python source (see ``generate``).
"""

from __future__ import annotations

from typing import Any

import attrs
from openapi_python_client.parser.openapi import Endpoint
from openapi_python_client.parser.properties import ModelProperty
from openapi_python_client.parser.properties.union import UnionProperty
from openapi_python_client.parser.responses import NONE_SOURCE, Response

from .documents import Document
from .errors import CodegenError
from .preflight import python_name
from .spec import iter_operations

__all__ = [
    "OperationMeta",
    "collect_operations",
    "operation_source",
    "pagination_style",
    "success_responses",
    "success_type",
]


@attrs.frozen
class OperationMeta:
    """The spec facts one generated ``Operation(...)`` record is built from."""

    operation_id: str
    method: str
    path: str
    security: tuple[str, ...]
    api_version: str | None
    retry: str | None
    pagination: dict[str, Any] | None
    deprecated: bool
    unconfirmed: bool
    query_types: tuple[tuple[str, str], ...] = ()
    """(wire name, JSON type) of each query parameter, for the client's pre-send check."""
    max_items: int | None = None
    """``maxItems`` of an array request body."""
    max_body_bytes: int | None = None
    """``x-synerise-max-body-bytes`` of the operation."""
    path_types: tuple[tuple[str, str], ...] = ()
    """(wire name, JSON type) of each path parameter, for the client's pre-send check."""
    accept: str | None = None
    """The success response's media type(s) when not JSON, for the ``Accept`` header."""


def _resolve(doc: Document, schema: Any) -> Any:
    """Follow local ``$ref``s (``#/components/...``) to the schema they name."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 20:
        node: Any = doc
        for part in str(schema["$ref"]).lstrip("#/").split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema, seen = node, seen + 1
    return schema if isinstance(schema, dict) else {}


def _json_type(doc: Document, schema: Any) -> str | None:
    resolved = _resolve(doc, schema)
    kind = resolved.get("type")
    if kind is None and "enum" in resolved:
        values = resolved["enum"]
        kind = "string" if all(isinstance(v, str) for v in values) else None
    return str(kind) if kind else None


def _query_types(
    doc: Document, operation: dict[str, Any], location: str = "query"
) -> tuple[tuple[str, str], ...]:
    pairs = []
    for parameter in operation.get("parameters") or []:
        parameter = _resolve(doc, parameter)
        if parameter.get("in") != location:
            continue
        kind = _json_type(doc, parameter.get("schema"))
        if kind is not None:
            pairs.append((str(parameter["name"]), kind))
    return tuple(pairs)


def _body_max_items(doc: Document, operation: dict[str, Any]) -> int | None:
    body = _resolve(doc, operation.get("requestBody"))
    media = (body.get("content") or {}).get("application/json") or {}
    schema = _resolve(doc, media.get("schema"))
    limit = schema.get("maxItems") if schema.get("type") == "array" else None
    return int(limit) if isinstance(limit, int) else None


def _accept(doc: Document, operation: dict[str, Any]) -> str | None:
    """The media types of the success responses, when they are not (only) JSON."""
    types: list[str] = []
    for code, response in (operation.get("responses") or {}).items():
        if str(code).startswith("2"):
            for media in _resolve(doc, response).get("content") or {}:
                if media not in types:
                    types.append(str(media))
    if not types or all(t == "application/json" or t.endswith("+json") for t in types):
        return None
    return ", ".join(types)


def collect_operations(doc: Document) -> dict[str, OperationMeta]:
    """Operation facts keyed by module name (``python_name(operationId)``)."""
    found: dict[str, OperationMeta] = {}
    for path, method, operation in iter_operations(doc):
        op_id = str(operation["operationId"])
        names: list[str] = []
        for requirement in operation.get("security") or []:
            names.extend(n for n in requirement if n not in names)
        found[python_name(op_id)] = OperationMeta(
            operation_id=op_id,
            method=method.upper(),
            path=path,
            security=tuple(names),
            api_version=operation.get("x-synerise-api-version"),
            retry=operation.get("x-synerise-retry"),
            pagination=operation.get("x-synerise-pagination"),
            deprecated=bool(operation.get("deprecated", False)),
            unconfirmed=bool(operation.get("x-synerise-unconfirmed", False)),
            query_types=_query_types(doc, operation),
            max_items=_body_max_items(doc, operation),
            max_body_bytes=operation.get("x-synerise-max-body-bytes"),
            path_types=_query_types(doc, operation, "path"),
            accept=_accept(doc, operation),
        )
    return found


def success_responses(endpoint: Endpoint) -> list[Response]:
    """Documented responses below 400: the only ones a generated parser ever sees."""
    return [
        r
        for r in endpoint.responses.patterns
        if r.status_code.range is not None and r.status_code.range[0] < 400
    ]


def success_type(endpoint: Endpoint) -> str:
    """The parsed type of a success response (``None`` for no-content responses)."""
    types: list[str] = []
    for response in success_responses(endpoint):
        if _is_empty(response):
            text = "None"
        else:
            text = response.prop.get_type_string().as_unembedded_code()
        if text not in types:
            types.append(text)
    return " | ".join(sorted(types)) if types else "None"


def operation_source(
    meta: OperationMeta, endpoint: Endpoint, models: dict[str, ModelProperty]
) -> str:
    """Python source of the module's ``Operation(...)`` record (only non-default fields)."""
    fields: list[str] = [
        f"operation_id={meta.operation_id!r}",
        f"method={meta.method!r}",
        f"path={meta.path!r}",
        f"tag={str(endpoint.tags[0])!r}",
    ]
    if meta.security:
        fields.append(f"security={meta.security!r}")
    for name in ("api_version", "retry"):
        value = getattr(meta, name)
        if value is not None:
            fields.append(f"{name}={str(value)!r}")
    if meta.pagination is not None:
        fields.append(f"pagination={_pagination_source(meta, endpoint, models)}")
    if meta.deprecated:
        fields.append("deprecated=True")
    if meta.unconfirmed:
        fields.append("unconfirmed=True")
    if meta.query_types:
        fields.append(f"query_types={dict(meta.query_types)!r}")
    path_types = _by_python_name(endpoint, meta.path_types)
    if path_types:
        fields.append(f"path_types={path_types!r}")
    if meta.accept is not None:
        fields.append(f"accept={meta.accept!r}")
    for name in ("max_items", "max_body_bytes"):
        value = getattr(meta, name)
        if value is not None:
            fields.append(f"{name}={int(value)!r}")
    return "Operation(" + ", ".join(fields) + ")"


def _by_python_name(endpoint: Endpoint, types: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Path parameter types keyed by the generated argument name (what RequestParts carries)."""
    # Spec names are UntrustedString here; they are only compared, never emitted as code.
    names = {
        getattr(p.name, "get_untrusted_value", lambda n=p.name: str(n))(): str(p.python_name)
        for p in endpoint.path_parameters
    }
    return {names[wire]: kind for wire, kind in types if wire in names}


def pagination_style(meta: OperationMeta) -> str | None:
    """The pagination style for the registry, or None."""
    return None if meta.pagination is None else str(meta.pagination["style"])


def _pagination_source(
    meta: OperationMeta, endpoint: Endpoint, models: dict[str, ModelProperty]
) -> str:
    spec = meta.pagination or {}
    label = f"{meta.operation_id} x-synerise-pagination"
    body = _paged_body(endpoint, label)
    parts = [f"style={spec['style']!r}"]
    # The spec's paths are JSON keys: kept as the *_key fields for raw mode, translated
    # to the models' attribute names for model mode (which also checks they exist).
    wire: list[str] = []
    items = _attribute_path(body, str(spec.get("items", "")), label, models)
    if items:
        parts.append(f"items={items!r}")
        wire.append(f"items_key={str(spec['items'])!r}")
    for key in ("page_param", "size_param"):
        if spec.get(key) is not None:
            parts.append(f"{key}={_keyword(endpoint, str(spec[key]), label)!r}")
    for key in ("total", "next"):
        if spec.get(key):
            parts.append(f"{key}={_attribute_path(body, str(spec[key]), label, models)!r}")
            wire.append(f"{key}_key={str(spec[key])!r}")
    statuses = _body_statuses(endpoint, label)
    if statuses != (200,):
        wire.append(f"statuses={statuses!r}")
    return "Pagination(" + ", ".join(parts + wire) + ")"


def _body_statuses(endpoint: Endpoint, label: str) -> tuple[int, ...]:
    """The documented success statuses of a paged operation (all must carry a body)."""
    statuses: list[int] = []
    for response in success_responses(endpoint):
        if _is_empty(response):
            raise CodegenError(
                f"{label}: success status {response.status_code.pattern} has no body; "
                "a paginated operation needs a page body for every success status."
            )
        low, high = response.status_code.range
        statuses.extend(range(low, high + 1))
    return tuple(sorted(set(statuses)))


def _paged_body(endpoint: Endpoint, label: str) -> Any:
    for response in success_responses(endpoint):
        if not _is_empty(response):
            return response.prop
    raise CodegenError(f"{label}: the operation has no success response body to page through.")


def _keyword(endpoint: Endpoint, name: str, label: str) -> str:
    """The generated function's keyword for the query parameter ``name``."""
    for prop in endpoint.query_parameters:
        if prop.name == name:
            return str(prop.python_name)
    raise CodegenError(f"{label}: no query parameter {name!r}.")


def _attribute_path(prop: Any, dotted: str, label: str, models: dict[str, ModelProperty]) -> str:
    """``metaData.totalCount`` -> ``meta_data.total_count`` using the models' own names.

    Model properties nested in other models are unprocessed stubs, so each step looks the
    class up in ``models`` (the generator's processed models, by class name).
    """
    if not dotted:
        return ""
    names: list[str] = []
    current = prop
    for segment in dotted.split("."):
        stub = _as_model(current)
        model = None if stub is None else models.get(stub.class_info.name, stub)
        if model is None:
            raise CodegenError(
                f"{label}: cannot follow {dotted!r}: {'.'.join(names) or 'the body'} is not an object."
            )
        children = (model.required_properties or []) + (model.optional_properties or [])
        match = next((child for child in children if child.name == segment), None)
        if match is None:
            raise CodegenError(
                f"{label}: {dotted!r}: no property {segment!r} in {model.class_info.name}."
            )
        names.append(str(match.python_name))
        current = match
    return ".".join(names)


def _as_model(prop: Any) -> ModelProperty | None:
    if isinstance(prop, ModelProperty):
        return prop
    if isinstance(prop, UnionProperty):  # a nullable object is a union with None
        models = [p for p in prop.inner_properties if isinstance(p, ModelProperty)]
        return models[0] if len(models) == 1 else None
    return None


def _is_empty(response: Response) -> bool:
    # Compared by value: the generator deep-copies endpoints, so identity is lost.
    return response.source["attribute"] == NONE_SOURCE["attribute"]
