"""Small helpers over raw OpenAPI dictionaries shared by the normaliser passes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .documents import Document

__all__ = [
    "HTTP_METHODS",
    "Report",
    "SchemaVisitor",
    "iter_operations",
    "iter_refs",
    "operation_label",
    "walk_schemas",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Keys under which a schema holds sub-schemas; `example`, `default` and `enum` hold data,
# not schemas, and must never be walked.
_SCHEMA_LIST_KEYS = ("allOf", "oneOf", "anyOf")
_SCHEMA_KEYS = ("items", "not", "additionalProperties")


class Report:
    """What the normaliser did, in a stable order, in three parts.

    - changes: every edit made to the spec (fixes, overlays);
    - inferences: SDK knowledge inferred from the spec's shape (``codegen/infer.py``) and
      the decisions overlays took instead;
    - decisions needed: shapes no rule fits, listed for a human rather than guessed.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.inferences: list[str] = []
        self.decisions: list[str] = []

    def fixed(self, message: str) -> None:
        """Record one change made to the spec."""
        self.lines.append(message)

    def inferred(self, message: str) -> None:
        """Record one fact inferred from the spec's shape."""
        self.inferences.append(message)

    def decided(self, message: str) -> None:
        """Record a decision an overlay took where inference would have acted."""
        self.inferences.append(message)

    def needs_decision(self, message: str) -> None:
        """Record an ambiguous shape left alone for a human to settle with an overlay."""
        self.decisions.append(message)

    def render(self) -> str:
        """The report as text (ends with a newline)."""
        parts = ["".join(f"- {line}\n" for line in self.lines) if self.lines else "No changes.\n"]
        if self.inferences:
            parts.append(f"\n## Inferred ({len(self.inferences)})\n")
            parts.extend(f"- {line}\n" for line in self.inferences)
        if self.decisions:
            parts.append(f"\n## Needs a human decision ({len(self.decisions)})\n")
            parts.extend(f"- {line}\n" for line in self.decisions)
        return "".join(parts)


def iter_operations(doc: Document) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield ``(path, method, operation)`` for every operation, in document order."""
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield path, method, operation


def operation_label(path: str, method: str, operation: dict[str, Any]) -> str:
    """``getThing (GET /things/{id})``: how problems name an operation."""
    op_id = operation.get("operationId")
    where = f"{method.upper()} {path}"
    return f"{op_id} ({where})" if op_id else where


def iter_refs(node: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """Yield ``(holder, ref)`` for every ``$ref`` string anywhere below ``node``.

    Examples are skipped: a ``$ref`` key inside an example is data, not a reference.
    """
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str):
                yield current, ref
            for key, value in current.items():
                if key not in ("example", "examples"):
                    stack.append(value)
        elif isinstance(current, list):
            stack.extend(current)


SchemaVisitor = Callable[[dict[str, Any], str], None]
"""Called with a schema dict and a PascalCase context name (used to name hoisted schemas)."""


def walk_schemas(doc: Document, visit: SchemaVisitor, pascal: Callable[[str], str]) -> None:
    """Call ``visit`` on every schema object of the document, parents before children.

    ``pascal`` turns a fragment (operationId, property name) into a PascalCase name part;
    the context name of a nested schema is its parent's context plus that part.
    """
    components = doc.get("components") or {}
    for name, schema in (components.get("schemas") or {}).items():
        _walk(schema, name, visit, pascal)
    for name, param in (components.get("parameters") or {}).items():
        _walk_parameter(param, pascal(name), visit, pascal)
    for name, response in (components.get("responses") or {}).items():
        _walk_media(response, pascal(name), visit, pascal)
    for name, body in (components.get("requestBodies") or {}).items():
        _walk_media(body, pascal(name), visit, pascal)
    for name, header in (components.get("headers") or {}).items():
        _walk_parameter(header, pascal(name), visit, pascal)
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for param in item.get("parameters") or []:
            _walk_parameter(param, pascal(path), visit, pascal)
    for path, method, operation in iter_operations(doc):
        context = pascal(str(operation.get("operationId") or f"{method} {path}"))
        for param in operation.get("parameters") or []:
            _walk_parameter(param, context, visit, pascal)
        body = operation.get("requestBody")
        if isinstance(body, dict):
            _walk_media(body, context + "Body", visit, pascal)
        for code, response in (operation.get("responses") or {}).items():
            if isinstance(response, dict):
                _walk_media(response, f"{context}Response{pascal(str(code))}", visit, pascal)


def _walk_parameter(
    param: Any, context: str, visit: SchemaVisitor, pascal: Callable[[str], str]
) -> None:
    if not isinstance(param, dict) or "$ref" in param:
        return
    name = param.get("name")
    context = context + pascal(name) if isinstance(name, str) else context
    if isinstance(param.get("schema"), dict):
        _walk(param["schema"], context, visit, pascal)
    _walk_media(param, context, visit, pascal)


def _walk_media(
    holder: Any, context: str, visit: SchemaVisitor, pascal: Callable[[str], str]
) -> None:
    if not isinstance(holder, dict) or "$ref" in holder:
        return
    for media in (holder.get("content") or {}).values():
        if isinstance(media, dict) and isinstance(media.get("schema"), dict):
            _walk(media["schema"], context, visit, pascal)
    for name, header in (holder.get("headers") or {}).items():
        _walk_parameter(header, context + pascal(name), visit, pascal)


def _walk(schema: Any, context: str, visit: SchemaVisitor, pascal: Callable[[str], str]) -> None:
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    visit(schema, context)
    for name, prop in (schema.get("properties") or {}).items():
        _walk(prop, context + pascal(name), visit, pascal)
    for key in _SCHEMA_KEYS:
        _walk(schema.get(key), context + ("Item" if key == "items" else ""), visit, pascal)
    for key in _SCHEMA_LIST_KEYS:
        for index, sub in enumerate(schema.get(key) or []):
            _walk(sub, f"{context}{pascal(key)}{index}", visit, pascal)
