"""The spec the fake serves: loading, per-operation request checks, and routing.

The fake follows the normalised, merged document that code generation works from, so it
answers exactly the paths, parameters and bodies the generated client sends. Its only
source is the package data ``synerise_async/api/openapi.json`` (written by
``make generate`` and shipped in the wheel); a caller may pass another document.
Everything here is computed once per process and shared by all fakes.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote

import attrs
import orjson

from ._schema import Problem, SchemaCompiler, Validator, render_path

__all__ = [
    "OperationSpec",
    "ParamSpec",
    "Router",
    "Spec",
    "load_spec",
]

PACKAGE_SPEC: Final = ("synerise_async", "api/openapi.json")
_METHODS: Final = ("get", "put", "post", "delete", "patch", "head", "options")
_INT_RE: Final = re.compile(r"-?\d+\Z")
_AUTH_TAG: Final = "Authorization"


class SpecNotFoundError(RuntimeError):
    """No spec document could be found for the fake."""


@attrs.frozen(slots=True)
class ParamSpec:
    """One query or path parameter: how to decode its text and how to check the result."""

    name: str
    location: str
    required: bool
    kind: str
    """JSON type of the value: ``string``, ``integer``, ``number``, ``boolean`` or ``array``."""
    item_kind: str
    """For arrays: the JSON type of the items."""
    explode: bool
    validator: Validator
    schema: Any = attrs.field(default=None, repr=False)
    """The parameter's schema as written in the spec."""

    def decode(self, raw: list[str]) -> tuple[Any, str | None]:
        """``(value, None)`` or ``(rejected text, message)`` for the raw query values."""
        if self.kind == "array":
            values = raw
            if len(raw) == 1 and not self.explode:
                values = raw[0].split(",")
            out = []
            for text in values:
                value, error = _decode_scalar(self.item_kind, text)
                if error is not None:
                    return text, error
                out.append(value)
            return out, None
        if len(raw) > 1:
            return raw, "must be given once"
        return _decode_scalar(self.kind, raw[0])


def _decode_scalar(kind: str, text: str) -> tuple[Any, str | None]:
    if kind == "integer":
        if _INT_RE.match(text):
            return int(text), None
        return text, "must be an integer"
    if kind == "number":
        try:
            return float(text), None
        except ValueError:
            return text, "must be a number"
    if kind == "boolean":
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true", None
        return text, "must be true or false"
    return text, None


@attrs.define(slots=True, eq=False)
class OperationSpec:
    """What the fake needs to know about one operation, computed once from the spec."""

    operation_id: str
    method: str
    path: str
    tag: str
    security: tuple[str, ...]
    """Accepted security scheme names; empty for the login endpoints."""
    consumers: tuple[str, ...]
    deprecated: bool
    api_version: str | None
    success_status: int
    success_media: str | None
    success_example: Any
    statuses: frozenset[int]
    query: dict[str, ParamSpec]
    path_params: dict[str, ParamSpec]
    required_query: tuple[str, ...]
    body_media: tuple[str, ...]
    body_required: bool
    body_validator: Validator | None
    response_validator: Validator | None
    max_body_bytes: int | None
    pagination: Mapping[str, Any] | None
    raw: Mapping[str, Any] = attrs.field(repr=False)

    @property
    def is_auth(self) -> bool:
        """Login, refresh and workspace-selection calls (exempt from faults by default)."""
        return self.tag == _AUTH_TAG

    @property
    def json_body(self) -> bool:
        return "application/json" in self.body_media

    def check_params(
        self, query: Mapping[str, list[str]], path: Mapping[str, str], *, allow: frozenset[str]
    ) -> tuple[dict[str, Any], dict[str, Any], list[Problem]]:
        """Decode and check query and path parameters; unknown query names are problems."""
        problems: list[Problem] = []
        decoded_query: dict[str, Any] = {}
        for name, raw in query.items():
            param = self.query.get(name)
            if param is None:
                if name not in allow:
                    problems.append(
                        Problem(name, "is not a known parameter of this operation", raw[0])
                    )
                continue
            value, error = param.decode(raw)
            if error is not None:
                problems.append(Problem(name, error, value))
                continue
            before = len(problems)
            param.validator(value, None, problems)
            for problem in problems[before:]:
                problem.field = name + problem.field if problem.field.startswith("[") else name
            decoded_query[name] = value
        for name in self.required_query:
            if name not in query:
                problems.append(Problem(name, "is required", None))
        decoded_path: dict[str, Any] = {}
        for name, text in path.items():
            param = self.path_params.get(name)
            if param is None:
                decoded_path[name] = text
                continue
            value, error = param.decode([text])
            if error is not None:
                problems.append(Problem(name, error, value))
                continue
            before = len(problems)
            param.validator(value, None, problems)
            for problem in problems[before:]:
                problem.field = name
            decoded_path[name] = value
        return decoded_query, decoded_path, problems

    def check_body(self, body: Any) -> list[Problem]:
        """Problems of a decoded JSON body (empty when it is valid)."""
        problems: list[Problem] = []
        if self.body_validator is not None:
            self.body_validator(body, None, problems)
        return problems

    def check_response(self, body: Any) -> list[Problem]:
        """Problems of a success body the fake produced (used by the fake's own tests)."""
        problems: list[Problem] = []
        if self.response_validator is not None:
            self.response_validator(body, None, problems)
        return problems


class _Node:
    __slots__ = ("literals", "operations", "param", "param_name")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.param_name: str | None = None
        self.operations: dict[str, OperationSpec] = {}


class Router:
    """Matches a path to an operation; literal segments win over parameters.

    ``/v4/clients/tags`` is ``listAllProfileTags``, not ``getProfile`` with
    ``clientID="tags"``, exactly as OpenAPI requires of concrete paths.
    """

    def __init__(self, operations: list[OperationSpec]) -> None:
        self._root = _Node()
        for op in operations:
            node = self._root
            for segment in _segments(op.path):
                if segment.startswith("{") and segment.endswith("}"):
                    name = segment[1:-1]
                    if node.param is None:
                        node.param = _Node()
                        node.param_name = name
                    elif node.param_name != name:
                        # Same position, other name (e.g. {SchemaAppId} vs {schemaIdentifier}):
                        # remember each operation's own name on the operation node.
                        pass
                    node = node.param
                else:
                    node = node.literals.setdefault(segment, _Node())
            node.operations[op.method] = op

    def match(
        self, method: str, raw_path: str
    ) -> tuple[OperationSpec | None, dict[str, str], bool]:
        """``(operation, path params, path exists)``; ``path exists`` tells 405 from 404."""
        segments = [unquote(s) for s in _segments(raw_path)]
        found = self._walk(self._root, segments, 0, [])
        if found is None:
            return None, {}, False
        node, values = found
        op = node.operations.get(method)
        if op is None:
            for candidate in _alternatives(self._root, segments):
                if method in candidate[0].operations:
                    node, values = candidate
                    op = node.operations[method]
                    break
        if op is None:
            return None, {}, True
        names = [s[1:-1] for s in _segments(op.path) if s.startswith("{") and s.endswith("}")]
        return op, dict(zip(names, values, strict=True)), True

    def allowed_methods(self, raw_path: str) -> list[str]:
        """The methods some operation serves at ``raw_path`` (the ``Allow`` of a 405)."""
        segments = [unquote(s) for s in _segments(raw_path)]
        methods = {m for node, _ in _alternatives(self._root, segments) for m in node.operations}
        return sorted(methods)

    def _walk(
        self, node: _Node, segments: list[str], index: int, values: list[str]
    ) -> tuple[_Node, list[str]] | None:
        if index == len(segments):
            return (node, values) if node.operations else None
        segment = segments[index]
        literal = node.literals.get(segment)
        if literal is not None:
            found = self._walk(literal, segments, index + 1, values)
            if found is not None:
                return found
        if node.param is not None and segment:
            return self._walk(node.param, segments, index + 1, [*values, segment])
        return None


def _alternatives(root: _Node, segments: list[str]) -> list[tuple[_Node, list[str]]]:
    """Every node matching ``segments`` (for a method only a less specific path has)."""
    out: list[tuple[_Node, list[str]]] = []

    def walk(node: _Node, index: int, values: list[str]) -> None:
        if index == len(segments):
            if node.operations:
                out.append((node, values))
            return
        literal = node.literals.get(segments[index])
        if literal is not None:
            walk(literal, index + 1, values)
        if node.param is not None and segments[index]:
            walk(node.param, index + 1, [*values, segments[index]])

    walk(root, 0, [])
    return out


def _segments(path: str) -> list[str]:
    return path.split("/")[1:]


@attrs.define(eq=False)
class Spec:
    """The loaded document, its operations by id, and the router."""

    document: Mapping[str, Any] = attrs.field(repr=False)
    source: str
    operations: dict[str, OperationSpec]
    router: Router = attrs.field(repr=False)
    compiler: SchemaCompiler = attrs.field(repr=False)


def _find_spec_bytes() -> tuple[bytes, str]:
    try:
        resource = importlib.resources.files(PACKAGE_SPEC[0]).joinpath(PACKAGE_SPEC[1])
        if resource.is_file():
            return resource.read_bytes(), f"package data {PACKAGE_SPEC[0]}/{PACKAGE_SPEC[1]}"
    except (ModuleNotFoundError, FileNotFoundError):
        pass
    raise SpecNotFoundError(
        "FakeSynerise needs the spec: synerise_async/api/openapi.json is missing "
        "(it ships with the package; in a source checkout run `make generate`)"
    )


@functools.cache
def _load_default() -> Spec:
    content, source = _find_spec_bytes()
    return build_spec(orjson.loads(content), source)


def load_spec(document: Mapping[str, Any] | str | Path | None = None) -> Spec:
    """The spec for a fake: the default (cached per process), a file, or a document."""
    if document is None:
        return _load_default()
    if isinstance(document, str | Path):
        path = Path(document)
        return build_spec(orjson.loads(path.read_bytes()), str(path))
    return build_spec(document, "caller-supplied document")


def build_spec(document: Mapping[str, Any], source: str) -> Spec:
    """Compile every operation of ``document``."""
    compiler = SchemaCompiler(document)
    operations: dict[str, OperationSpec] = {}
    for path, item in (document.get("paths") or {}).items():
        shared_params = item.get("parameters") or []
        for method in _METHODS:
            raw = item.get(method)
            if raw is None:
                continue
            op = _operation(compiler, path, method.upper(), raw, shared_params)
            operations[op.operation_id] = op
    return Spec(
        document=document,
        source=source,
        operations=operations,
        router=Router(list(operations.values())),
        compiler=compiler,
    )


def _deref(compiler: SchemaCompiler, node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        node = compiler.resolve(node["$ref"])
    return node


def _param_kind(compiler: SchemaCompiler, schema: Any) -> tuple[str, str]:
    schema = _deref(compiler, schema) or {}
    kind = schema.get("type") or ("string" if "enum" not in schema else _enum_kind(schema["enum"]))
    item_kind = "string"
    if kind == "array":
        items = _deref(compiler, schema.get("items")) or {}
        item_kind = items.get("type") or "string"
    return kind, item_kind


def _enum_kind(values: list[Any]) -> str:
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    return "string"


def _operation(
    compiler: SchemaCompiler,
    path: str,
    method: str,
    raw: Mapping[str, Any],
    shared_params: list[Any],
) -> OperationSpec:
    params: dict[tuple[str, str], Any] = {}
    for param in [*shared_params, *(raw.get("parameters") or [])]:
        param = _deref(compiler, param)
        params[(param["name"], param["in"])] = param
    query: dict[str, ParamSpec] = {}
    path_params: dict[str, ParamSpec] = {}
    api_version = raw.get("x-synerise-api-version")
    for (name, location), param in params.items():
        if location == "header":
            if name.lower() == "api-version":
                enum = (_deref(compiler, param.get("schema")) or {}).get("enum") or ["4.4"]
                api_version = api_version or enum[0]
            continue
        if location not in ("query", "path"):
            continue
        schema = param.get("schema") or {}
        kind, item_kind = _param_kind(compiler, schema)
        spec = ParamSpec(
            name=name,
            location=location,
            required=bool(param.get("required")) or location == "path",
            kind=kind,
            item_kind=item_kind,
            explode=param.get("explode", param.get("style", "form") == "form"),
            validator=compiler.compile(schema, "request"),
            schema=schema,
        )
        (query if location == "query" else path_params)[name] = spec
    body = raw.get("requestBody")
    body = _deref(compiler, body) if body else None
    body_media: tuple[str, ...] = ()
    body_validator: Validator | None = None
    if body:
        content = body.get("content") or {}
        body_media = tuple(content)
        json_media = content.get("application/json") or content.get("multipart/form-data")
        if json_media is not None:
            body_validator = compiler.compile(json_media.get("schema") or {}, "request")
    responses = raw.get("responses") or {}
    statuses = frozenset(int(code) for code in responses if code.isdigit())
    success = sorted(code for code in statuses if 200 <= code < 300) or [200]
    success_status = success[0]
    success_response = _deref(compiler, responses.get(str(success_status))) or {}
    success_content = success_response.get("content") or {}
    success_media = next(iter(success_content), None)
    example = None
    response_validator: Validator | None = None
    if success_media is not None:
        media = success_content[success_media]
        example = media.get("example")
        if example is None:
            example = (_deref(compiler, media.get("schema")) or {}).get("example")
        if success_media == "application/json":
            response_validator = compiler.compile(media.get("schema") or {}, "response")
    security = tuple(name for requirement in raw.get("security") or () for name in requirement)
    return OperationSpec(
        operation_id=raw["operationId"],
        method=method,
        path=path,
        tag=(raw.get("tags") or ["default"])[0],
        security=security,
        consumers=tuple(raw.get("x-synerise-consumers") or ()),
        deprecated=bool(raw.get("deprecated")),
        api_version=api_version,
        success_status=success_status,
        success_media=success_media,
        success_example=example,
        statuses=statuses,
        query=query,
        path_params=path_params,
        required_query=tuple(name for name, p in query.items() if p.required),
        body_media=body_media,
        body_required=bool(body and body.get("required")),
        body_validator=body_validator,
        response_validator=response_validator,
        max_body_bytes=raw.get("x-synerise-max-body-bytes"),
        pagination=raw.get("x-synerise-pagination"),
        raw=raw,
    )


def problems_json(problems: list[Problem]) -> list[dict[str, Any]]:
    """``errors[]`` of a Synerise error body."""
    return [p.to_json() for p in problems]


__all__ += ["SpecNotFoundError", "problems_json", "render_path"]
