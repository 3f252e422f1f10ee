"""Infer SDK knowledge from the spec's shape, for every operation no overlay decides.

With hundreds of operations an overlay per operation is not the plan: the published
documents show how an operation pages (its query parameters and response shape) and
whether a request may be repeated (its method, its body, its name). This pass runs after
the overlays, so an overlay always wins; an overlay can also say ``none`` to stop
inference for one operation. Shapes that fit no rule cleanly are not guessed: they are
listed in the report as needing a human decision (an overlay settles them).

Rules (first match wins):

Pagination (GET operations with a JSON success body)
- ``cursor``: a ``pageToken``/``cursor`` query parameter and a ``next…Token`` string in
  the body.
- ``page-index``: ``pageIndex`` + ``pageSize`` query parameters.
- ``offset``: ``offset`` + ``limit`` query parameters; the total is a ``totalCount`` /
  ``total`` count in the body (top level or one object down).
- ``link``: ``page`` + ``limit`` and a ``meta.link`` list of ``{rel, url}`` entries.
- ``page``: ``page`` + ``limit``/``pageSize`` and an object with ``pages`` /
  ``totalPages`` (the page count) next to the items.
The items are the body itself when it is an array, else its one array property (or
``data`` when there are several).

Retry safety (POST and PATCH; other methods are idempotent by HTTP)
- ``event-salt``: the body (or each item of an array body) has an ``eventSalt`` property.
- ``safe``: a login, refresh or workspace-selection call (``/auth/login…``,
  ``/auth/refresh…``), or an operationId that starts with a read verb (``get``, ``list``,
  ``search``, …) and names no write verb.
- otherwise not repeated after an ambiguous failure; POSTs whose name is neither a read
  nor a write verb are listed for a decision.

Timestamps: an integer or number property whose description says "epoch seconds" or
"epoch milliseconds" gets ``x-synerise-timestamp``.
"""

from __future__ import annotations

import re
from typing import Any

from .documents import Document
from .spec import Report, iter_operations, operation_label

__all__ = ["NONE", "infer_sdk_knowledge"]

NONE = "none"
"""An overlay value meaning "this operation has none; do not infer one"."""

PAGINATION = "x-synerise-pagination"
RETRY = "x-synerise-retry"
TIMESTAMP = "x-synerise-timestamp"

_READ_VERBS = (
    "get", "list", "search", "find", "query", "explain", "autocomplete", "check", "count",
    "preview", "fetch", "lookup", "describe", "validate", "verify", "calculate", "estimate",
)  # fmt: skip
_WRITE_WORDS = (
    "create", "update", "delete", "remove", "add", "set", "assign", "send", "import", "upload",
    "merge", "register", "change", "activate", "deactivate", "redeem", "run", "start", "stop",
    "pause", "enable", "disable", "copy", "duplicate", "batch", "link", "unlink", "save", "replace", "generate", "execute", "trigger", "publish", "archive", "move",
)  # fmt: skip
_AUTH_PATH = re.compile(r"/auth/(login|refresh)(/|$)")
_NEXT_TOKEN = re.compile(r"^next(page)?(token|cursor)$", re.IGNORECASE)
_EPOCH = re.compile(r"epoch\s+(milli\w*|seconds?)", re.IGNORECASE)
_PAGE_WORDS = frozenset({"page", "offset", "pageindex", "pagetoken", "cursor"})


def infer_sdk_knowledge(doc: Document, report: Report) -> None:
    """Fill in pagination, retry safety and timestamp units the overlays left open."""
    for path, method, operation in iter_operations(doc):
        label = operation_label(path, method, operation)
        _decide_pagination(doc, path, method, operation, label, report)
        _decide_retry(doc, method, path, operation, label, report)
    _infer_timestamps(doc, report)


# --- pagination ---------------------------------------------------------------------


def _decide_pagination(
    doc: Document,
    path: str,
    method: str,
    operation: dict[str, Any],
    label: str,
    report: Report,
) -> None:
    given = operation.get(PAGINATION)
    if given == NONE:
        del operation[PAGINATION]
        report.decided(f"{label}: not paginated (overlay)")
        return
    inferred, doubt = _infer_pagination(doc, method, operation)
    if given is not None:
        if inferred is not None and inferred != given:
            report.decided(f"{label}: pagination from an overlay overrides inferred {inferred}")
        return
    if inferred is not None:
        operation[PAGINATION] = inferred
        report.inferred(f"{label}: pagination {_describe(inferred)}")
    elif doubt is not None:
        report.needs_decision(f"{label}: pagination? {doubt}")


def _infer_pagination(
    doc: Document, method: str, operation: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    """``(pagination, None)``, ``(None, why it is ambiguous)`` or ``(None, None)``."""
    query = {
        str(p["name"]).lower(): str(p["name"])
        for p in (_resolve(doc, p) for p in operation.get("parameters") or [])
        if p.get("in") == "query" and isinstance(p.get("name"), str)
    }
    paging = _PAGE_WORDS & query.keys()
    if method != "get":
        return None, None
    body = _success_body(doc, operation)
    if body is None:
        return None, ("paging parameters but no JSON success body" if paging else None)
    size = query.get("limit") or query.get("pagesize")
    if "pagetoken" in query or "cursor" in query:
        token = query.get("pagetoken") or query["cursor"]
        next_name = next((n for n in _properties(doc, body) if _NEXT_TOKEN.match(n)), None)
        items, doubt = _items(doc, body)
        if next_name is None or doubt:
            return None, doubt or f"{token!r} parameter but no next-token field in the body"
        return _spec("cursor", items, page_param=token, size_param=size, next=next_name), None
    if "pageindex" in query and "pagesize" in query:
        items, doubt = _items(doc, body)
        if doubt:
            return None, doubt
        return _spec(
            "page-index", items, page_param=query["pageindex"], size_param=query["pagesize"]
        ), None
    if "offset" in query and "limit" in query:
        items, doubt = _items(doc, body)
        if doubt:
            return None, doubt
        total = _find_field(doc, body, ("totalCount", "total", "count"))
        return _spec(
            "offset", items, total=total, page_param=query["offset"], size_param=query["limit"]
        ), None
    if "page" in query and size is not None:
        items, doubt = _items(doc, body)
        if doubt:
            return None, doubt
        if items == "":
            return None, "page/limit over a bare array (first page number and end unknown)"
        link = _find_field(doc, body, ("link",), kind="array")
        pages = _find_field(doc, body, ("pages", "totalPages"))
        if link is not None and "." in link:
            return _spec(
                "link", items, page_param=query["page"], size_param=size, next=link, total=pages
            ), None
        return _spec("page", items, page_param=query["page"], size_param=size, total=pages), None
    if paging:
        return None, f"paging parameter(s) {sorted(query[p] for p in paging)} fit no known style"
    return None, None


def _spec(style: str, items: str, **fields: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"style": style, "items": items}
    spec.update({key: value for key, value in fields.items() if value is not None})
    return spec


def _describe(spec: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in spec.items())


def _items(doc: Document, body: dict[str, Any]) -> tuple[str, str | None]:
    """The dotted path to the page's items, or a reason it is ambiguous."""
    if body.get("type") == "array":
        return "", None
    arrays = [
        n for n, s in _properties(doc, body).items() if _resolve(doc, s).get("type") == "array"
    ]
    if len(arrays) == 1:
        return arrays[0], None
    if "data" in arrays:
        return "data", None
    if not arrays:
        return "", "paging parameters but no list in the body"
    return "", f"several lists in the body ({', '.join(arrays)})"


def _find_field(
    doc: Document, body: dict[str, Any], names: tuple[str, ...], kind: str | None = None
) -> str | None:
    """Dotted path to the first of ``names`` at the top level or one object down."""
    props = _properties(doc, body)
    for name in names:
        if name in props and _has_kind(doc, props[name], kind):
            return name
    for outer, schema in props.items():
        inner = _properties(doc, _resolve(doc, schema))
        for name in names:
            if name in inner and _has_kind(doc, inner[name], kind):
                return f"{outer}.{name}"
    return None


def _has_kind(doc: Document, schema: Any, kind: str | None) -> bool:
    kind_found = _resolve(doc, schema).get("type")
    return kind_found == kind if kind else kind_found in ("integer", "number")


# --- retry safety ---------------------------------------------------------------------


def _decide_retry(
    doc: Document, method: str, path: str, operation: dict[str, Any], label: str, report: Report
) -> None:
    given = operation.get(RETRY)
    if given == NONE:
        del operation[RETRY]
        report.decided(f"{label}: not safe to repeat (overlay)")
        return
    if given is not None or method not in ("post", "patch"):
        return
    if _body_has(doc, operation, "eventSalt"):
        operation[RETRY] = "event-salt"
        report.inferred(f"{label}: retry 'event-salt' (the body carries eventSalt)")
    elif _AUTH_PATH.search(path):
        operation[RETRY] = "safe"
        report.inferred(f"{label}: retry 'safe' (a login or token refresh)")
    else:
        words = _words(str(operation.get("operationId", "")))
        writes = [w for w in words if w in _WRITE_WORDS]
        if words and words[0] in _READ_VERBS and not writes:
            operation[RETRY] = "safe"
            report.inferred(f"{label}: retry 'safe' (read verb {words[0]!r} in the operationId)")
        elif not writes:
            report.needs_decision(
                f"{label}: retry? the name shows no read or write verb; treated as not "
                "safe to repeat (an overlay can say x-synerise-retry: safe)"
            )


def _words(operation_id: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", operation_id)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+|\s+", spaced) if w]


def _body_has(doc: Document, operation: dict[str, Any], name: str) -> bool:
    body = _resolve(doc, operation.get("requestBody"))
    media = (body.get("content") or {}).get("application/json") or {}
    schema = _resolve(doc, media.get("schema"))
    if schema.get("type") == "array":
        schema = _resolve(doc, schema.get("items"))
    return name in _properties(doc, schema)


# --- timestamps -----------------------------------------------------------------------


def _infer_timestamps(doc: Document, report: Report) -> None:
    for schema_name, schema in ((doc.get("components") or {}).get("schemas") or {}).items():
        if not isinstance(schema, dict):
            continue
        for prop_name, prop in (schema.get("properties") or {}).items():
            if not isinstance(prop, dict) or TIMESTAMP in prop:
                continue
            if prop.get("type") not in ("integer", "number"):
                continue
            match = _EPOCH.search(str(prop.get("description", "")))
            if match is None:
                continue
            unit = "epoch-millis" if match[1].lower().startswith("milli") else "epoch-seconds"
            prop[TIMESTAMP] = unit
            report.inferred(f"{schema_name}.{prop_name}: timestamp {unit!r} (from its description)")


# --- schema helpers -------------------------------------------------------------------


def _resolve(doc: Document, node: Any) -> dict[str, Any]:
    """Follow local ``$ref``s to the node they name (``{}`` when it is not an object)."""
    for _ in range(20):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            break
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
    return node if isinstance(node, dict) else {}


def _properties(doc: Document, schema: dict[str, Any]) -> dict[str, Any]:
    """Properties of an object schema, ``allOf`` parts included."""
    props: dict[str, Any] = dict(schema.get("properties") or {})
    for part in schema.get("allOf") or []:
        props.update(_properties(doc, _resolve(doc, part)))
    return props


def _success_body(doc: Document, operation: dict[str, Any]) -> dict[str, Any] | None:
    for code, response in (operation.get("responses") or {}).items():
        if not str(code).startswith("2"):
            continue
        media = (_resolve(doc, response).get("content") or {}).get("application/json")
        if isinstance(media, dict) and media.get("schema") is not None:
            return _resolve(doc, media["schema"])
    return None
