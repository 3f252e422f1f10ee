"""Generated resource namespaces: ``client.<tag>.<operation>(...)`` for every operation.

The generator's file list is fixed, so ``generate`` writes ``synerise_async/resources/``
itself (from the same ``Endpoint`` objects the endpoint templates see), before the
post-hooks format everything:

* ``resources/<tag>.py``: ``<Tag>Resource`` (methods return the parsed model) and
  ``<Tag>ResourceWithRawResponse`` (methods return the whole ``Response``). Each method
  takes the arguments of the module's ``asyncio`` function without ``client=``, plus the
  keyword-only per-call options, and imports its operation module only when called.
* ``resources/__init__.py``: ``GeneratedClient``, the mixin ``SyneriseClient`` inherits:
  one property per tag (cached on the client after first use), ``with_raw_response``, and
  the ``paginate`` overloads that map each paginated operation to its item type (seen by
  mypy only; no runtime cost).
* ``resources/_base.py``: the ``Resource`` base class and the options helper.

Generated code imports only ``_transport``, ``types``, ``api`` and ``models`` at runtime
(``_pagination`` is imported for type checking only): imports go one way.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
from openapi_python_client.parser.openapi import Endpoint, EndpointCollection
from openapi_python_client.parser.properties import ListProperty, ModelProperty
from openapi_python_client.parser.properties.union import UnionProperty
from openapi_python_client.strings import safe_for_docstring

from .errors import CodegenError
from .operations import OperationMeta, success_responses, success_type

__all__ = ["OPTION_NAMES", "write_resources"]

OPTION_NAMES = ("timeout", "extra_headers", "extra_query", "max_retries")
"""Keyword-only per-call options every resource method takes (Stainless names)."""
_OPTION_PARAMS = (
    "timeout: float | None = None",
    "extra_headers: Mapping[str, str] | None = None",
    "extra_query: Mapping[str, Any] | None = None",
    "max_retries: int | None = None",
)
_IMPORT = re.compile(r"^from \.\.\.(models\.\w+|types) import (.+)$")
_STDLIB_IMPORT = re.compile(r"^(import \w+|from [a-z_][\w.]* import [\w, ]+)$")
_DEFAULT_CLASS = re.compile(r"^([A-Za-z_]\w*)\.")


@attrs.frozen
class _Param:
    name: str
    """The Python name in the resource method (suffixed when it clashes with an option)."""
    target: str
    """The keyword of the module's ``_get_kwargs``."""
    annotation: str
    default: str | None
    positional: bool


@attrs.frozen
class _Method:
    name: str
    tag: str
    meta: OperationMeta
    params: tuple[_Param, ...]
    returns: str
    doc: str


def write_resources(
    collections: dict[Any, EndpointCollection],
    operations: dict[str, OperationMeta],
    models: dict[str, ModelProperty],
    package_dir: Path,
    header: str,
) -> None:
    """Write ``package_dir/resources/`` for the endpoint collections of one generation."""
    out = package_dir / "resources"
    out.mkdir(exist_ok=True)
    tags = sorted(str(tag) for tag in collections)
    by_tag = {str(tag): collection for tag, collection in collections.items()}
    overloads: list[tuple[str, str, set[str]]] = []
    for tag in tags:
        endpoints = sorted(by_tag[tag].endpoints, key=lambda e: str(e.name))
        methods = [_method(tag, e, _meta(operations, e)) for e in endpoints]
        source = _tag_module(tag, methods, endpoints)
        (out / f"{tag}.py").write_text(f"{header}\n{source}", encoding="utf-8")
        for endpoint, method in zip(endpoints, methods, strict=True):
            if method.meta.pagination is not None:
                overloads.append(_paginated(endpoint, method, models))
    (out / "_base.py").write_text(f"{header}\n{_BASE}", encoding="utf-8")
    (out / "__init__.py").write_text(f"{header}\n{_init_module(tags, overloads)}", encoding="utf-8")


# --- one tag --------------------------------------------------------------------------


def _meta(operations: dict[str, OperationMeta], endpoint: Endpoint) -> OperationMeta:
    try:
        return operations[str(endpoint.name)]
    except KeyError:
        raise CodegenError(f"no operation metadata for module {endpoint.name!r}") from None


def _method(tag: str, endpoint: Endpoint, meta: OperationMeta) -> _Method:
    params: list[_Param] = []
    for prop in endpoint.path_parameters:
        params.append(_param(prop, positional=True))
    if len(endpoint.bodies) == 1:
        body = endpoint.bodies[0].prop
        annotation = (
            json_body_annotation(body)
            if endpoint.bodies[0].body_type == "json"
            else body.get_type_string().as_unembedded_code()
        )
        params.append(_Param("body", "body", annotation, None if body.required else "UNSET", False))
    elif len(endpoint.bodies) > 1:
        types = [
            b.prop.get_type_string(no_optional=True).as_unembedded_code() for b in endpoint.bodies
        ]
        required = all(b.prop.required for b in endpoint.bodies)
        annotation = " | ".join(types) + ("" if required else " | Unset")
        params.append(_Param("body", "body", annotation, None if required else "UNSET", False))
    for group in (
        endpoint.query_parameters,
        endpoint.header_parameters,
        endpoint.cookie_parameters,
    ):
        params.extend(_param(prop, positional=False) for prop in group)
    taken = {p.name for p in params}
    renamed = []
    for p in params:
        if p.name in OPTION_NAMES:
            name = p.name + "_"
            while name in taken:
                name += "_"
            taken.add(name)
            p = attrs.evolve(p, name=name)
        renamed.append(p)
    return _Method(
        name=str(endpoint.name),
        tag=tag,
        meta=meta,
        params=tuple(renamed),
        returns=success_type(endpoint),
        doc=_docstring(endpoint, meta, tag),
    )


def json_body_annotation(prop: Any) -> str:
    """The annotation of a JSON body argument, as ``body_type`` in endpoint_macros.py.jinja
    spells it: a model body (or a oneOf / anyOf of models) also takes a mapping, a list of
    models a sequence of either."""
    optional = "" if prop.required else " | Unset"
    if prop.template == "model_property.py.jinja":
        model = prop.get_type_string(no_optional=True).as_unembedded_code()
        return f"{model} | Mapping[str, Any]{optional}"
    inner = getattr(prop, "inner_property", None)
    if prop.template == "list_property.py.jinja" and inner.template == "model_property.py.jinja":
        model = inner.get_type_string(no_optional=True).as_unembedded_code()
        return f"Sequence[{model} | Mapping[str, Any]]{optional}"
    variants = getattr(prop, "inner_properties", None)
    if prop.template == "union_property.py.jinja" and all(
        v.template == "model_property.py.jinja" for v in variants
    ):
        models = " | ".join(
            v.get_type_string(no_optional=True).as_unembedded_code() for v in variants
        )
        return f"{models} | Mapping[str, Any]{optional}"
    return str(prop.get_type_string().as_unembedded_code())


def _param(prop: Any, *, positional: bool) -> _Param:
    if prop.default is not None:
        default: str | None = prop.default.python_code.as_unembedded_code()
    elif not prop.required:
        default = "UNSET"
    else:
        default = None
    name = str(prop.python_name)
    annotation = prop.get_type_string().as_unembedded_code()
    return _Param(name, name, annotation, default, positional)


def _docstring(endpoint: Endpoint, meta: OperationMeta, tag: str) -> str:
    summary = safe_for_docstring(endpoint.summary or meta.operation_id).strip().rstrip(".")
    lines = [f"``{meta.method} {meta.path}`` — {summary}."]
    if endpoint.description:
        lines.append("")
        text = safe_for_docstring(endpoint.description).strip()
        for paragraph in text.split("\n\n"):
            lines.extend(textwrap.wrap(" ".join(paragraph.split()), 88) or [""])
            lines.append("")
        lines.pop()
    if meta.deprecated:
        lines += ["", "Deprecated by Synerise."]
    lines += [
        "",
        f"Operation ``{meta.operation_id}``, the same call as",
        f"``synerise_async.api.{tag}.{endpoint.name}.asyncio``. The options ``timeout``",
        "(the whole call, across retries), ``extra_headers``, ``extra_query`` and",
        "``max_retries`` apply to this call only.",
    ]
    return "\n".join(lines)


def _imports(endpoints: Iterable[Endpoint]) -> dict[str, set[str]]:
    """Names by module (``models.profile``, ``types``) the endpoints' signatures may use."""
    found: dict[str, set[str]] = {}
    for endpoint in endpoints:
        for statement in endpoint.relative_imports:
            match = _IMPORT.match(statement.strip())
            if match:
                names = {n.strip() for n in match.group(2).split(",")}
                found.setdefault(match.group(1), set()).update(names)
    return found


def _stdlib_imports(endpoints: Iterable[Endpoint]) -> list[str]:
    """``import datetime``, ``from uuid import UUID``: what parameter types may need."""
    found = set()
    for endpoint in endpoints:
        for statement in endpoint.relative_imports:
            statement = statement.strip()
            if _STDLIB_IMPORT.match(statement) and " typing " not in f"{statement} ":
                found.add(statement)
    return sorted(found)


def _tag_module(tag: str, methods: list[_Method], endpoints: list[Endpoint]) -> str:
    cls = _class_name(tag)
    imports = _imports(endpoints)
    runtime_names = {
        m.group(1)
        for method in methods
        for p in method.params
        if p.default is not None and (m := _DEFAULT_CLASS.match(p.default))
    }
    if any(p.default == "UNSET" for method in methods for p in method.params):
        runtime_names.add("UNSET")
    runtime: list[str] = []
    checking: list[str] = [*_stdlib_imports(endpoints), "from .._transport import Response"]
    for module, names in sorted(imports.items()):
        now = sorted(names & runtime_names)
        later = sorted(names - runtime_names - {"UNSET"})
        if now:
            runtime.append(f"from ..{module} import {', '.join(now)}")
        if later:
            checking.append(f"from ..{module} import {', '.join(later)}")
    missing = runtime_names - {n for names in imports.values() for n in names}
    if missing:
        raise CodegenError(
            f"resources/{tag}.py: defaults use names with no import: {sorted(missing)}"
        )
    parts = [
        f'"""Operations tagged ``{tag}`` as methods: ``client.{tag}.<operation>(...)``.',
        "",
        f"``client.with_raw_response.{tag}.<operation>(...)`` returns the whole ``Response``.",
        "Each method imports its operation module on first call.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Coroutine, Mapping, Sequence",
        "from typing import TYPE_CHECKING, Any",
        "",
        *runtime,
        "from ._base import LazyModule, Resource, coroutine_method, request_options",
        "",
        "if TYPE_CHECKING:",
        *(f"    {line}" for line in checking),
        *(
            f"    from ..api.{tag} import {method.name} as {_module_alias(method.name)}"
            for method in methods
        ),
        "else:",
        *(
            f"    {_module_alias(method.name)} = LazyModule("
            f'globals(), "{_module_alias(method.name)}", "..api.{tag}.{method.name}", __package__)'
            for method in methods
        ),
        "",
        f'__all__ = ["{cls}", "{cls}WithRawResponse"]',
        "",
    ]
    for raw in (False, True):
        name = f"{cls}WithRawResponse" if raw else cls
        what = "the whole ``Response``" if raw else "the parsed model"
        parts += [
            "",
            f"class {name}(Resource):",
            f'    """Operations tagged ``{tag}``; each method returns {what}."""',
            "",
            "    __slots__ = ()",
            f"    _tag = {tag!r}",
        ]
        for method in methods:
            parts.append("")
            parts.append(_method_source(method, raw=raw))
    return "\n".join(parts) + "\n"


def _method_source(method: _Method, *, raw: bool) -> str:
    signature = ["self"]
    positional = [p for p in method.params if p.positional]
    keyword = [p for p in method.params if not p.positional]
    for p in positional:
        signature.append(_declare(p))
    signature.append("*")
    signature.extend(_declare(p) for p in keyword)
    signature.extend(_OPTION_PARAMS)
    returns = f"Response[{method.returns}]" if raw else method.returns
    call = ", ".join(f"{p.target}={p.name}" for p in method.params)
    doc = textwrap.indent(method.doc, " " * 8).lstrip()
    # An operation without parameters hands the client None: it then sends the request
    # it prepared for the operation's first call (the method and path never change).
    parts = f"_op._get_kwargs({call})" if method.params else "None"
    verb = "request" if raw else "call"  # call: the model alone, no Response built
    result = f"self._client.{verb}(_op.OPERATION, {parts}, _op._parse_response, options)"
    alias = _module_alias(method.name)
    # A plain method returning the client's coroutine: the call then runs as one coroutine
    # (an ``async def`` here would add a second, about 4k instructions of ~350k per call).
    # ``coroutine_method`` keeps it a coroutine function to asyncio, mock and inspect.
    return "\n".join(
        [
            "    @coroutine_method",
            f"    def {method.name}({', '.join(signature)}) -> Coroutine[Any, Any, {returns}]:",
            f'        """{doc}\n        """',
            f"        _op = {alias}",
            # Inline, not a call: most calls set no option.
            "        options = (",
            "            None",
            "            if timeout is None and extra_headers is None and extra_query is None",
            "            and max_retries is None",
            "            else request_options(timeout, extra_headers, extra_query, max_retries)",
            "        )",
            f"        return {result}",
        ]
    )


def _module_alias(operation: str) -> str:
    """The tag module's global for an operation module (a ``LazyModule`` until first use)."""
    return f"_{operation}"


def _declare(p: _Param) -> str:
    text = f"{p.name}: {p.annotation}"
    return text if p.default is None else f"{text} = {p.default}"


def _class_name(tag: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in tag.split("_")) + "Resource"


# --- pagination typing ----------------------------------------------------------------


def _paginated(
    endpoint: Endpoint, method: _Method, models: dict[str, ModelProperty]
) -> tuple[str, str, set[str]]:
    """(response type, item type, imports) of one paginated operation."""
    label = f"{method.meta.operation_id} x-synerise-pagination"
    body = next(
        (r.prop for r in success_responses(endpoint) if r.source["attribute"] != "None"), None
    )
    if body is None:
        raise CodegenError(f"{label}: the operation has no success response body to page through.")
    prop: Any = body
    for segment in filter(None, str((method.meta.pagination or {}).get("items", "")).split(".")):
        model = _as_model(prop)
        model = None if model is None else models.get(model.class_info.name, model)
        if model is None:
            raise CodegenError(f"{label}: items path goes through a non-object.")
        children = (model.required_properties or []) + (model.optional_properties or [])
        prop = next((c for c in children if c.name == segment), None)
        if prop is None:
            raise CodegenError(f"{label}: no property {segment!r} in {model.class_info.name}.")
    if isinstance(prop, UnionProperty):
        lists = [p for p in prop.inner_properties if isinstance(p, ListProperty)]
        prop = lists[0] if len(lists) == 1 else prop
    if not isinstance(prop, ListProperty):
        raise CodegenError(f"{label}: the items are not a list.")
    item = prop.inner_property.get_type_string(no_optional=True).as_unembedded_code()
    statements = (
        body.get_imports(prefix="...")
        | body.get_lazy_imports(prefix="...")
        | prop.get_imports(prefix="...")
        | prop.get_lazy_imports(prefix="...")
    )
    return method.returns, item, set(statements)


def _as_model(prop: Any) -> ModelProperty | None:
    if isinstance(prop, ModelProperty):
        return prop
    if isinstance(prop, UnionProperty):
        found = [p for p in prop.inner_properties if isinstance(p, ModelProperty)]
        return found[0] if len(found) == 1 else None
    return None


def _init_module(tags: list[str], paginated: list[tuple[str, str, set[str]]]) -> str:
    by_response: dict[str, str] = {}
    statements: set[str] = set()
    for response, item, imports in paginated:
        if by_response.setdefault(response, item) != item:
            raise CodegenError(
                f"paginated operations returning {response} page through different item "
                f"types ({by_response[response]}, {item}); paginate() cannot type both"
            )
        statements |= imports
    used = set(re.findall(r"\w+", " ".join(f"{r} {i}" for r, i in by_response.items())))
    names: dict[str, set[str]] = {}
    for statement in statements:
        match = _IMPORT.match(statement.strip())
        if match:
            wanted = {n.strip() for n in match.group(2).split(",")} & used
            if wanted:
                names.setdefault(match.group(1), set()).update(wanted)
    checking = [
        "from .._pagination import AsyncPaginator",
        "from .._transport import Response, Transport",
        *(f"from ..{module} import {', '.join(sorted(n))}" for module, n in sorted(names.items())),
        *(
            f"from .{tag} import {_class_name(tag)}, {_class_name(tag)}WithRawResponse"
            for tag in tags
        ),
    ]
    lines = [
        _INIT_HEAD,
        "from ._base import LazyModule",
        "",
        "if TYPE_CHECKING:",
        *(f"    {line}" for line in checking),
        *(f"    from . import {tag} as _{tag}" for tag in tags),
        "else:",
        *(f'    _{tag} = LazyModule(globals(), "_{tag}", ".{tag}", __package__)' for tag in tags),
        "",
        _INIT_TYPES,
    ]
    lines += [
        "",
        "class RawResponses:",
        '    """``client.with_raw_response.<tag>``: the same methods, returning the whole ``Response``."""',
        "",
        '    __slots__ = ("__dict__", "_client")  # __dict__ holds the cached tag properties',
        "",
        "    def __init__(self, client: Transport) -> None:",
        "        self._client = client",
    ]
    for tag in tags:
        cls = f"{_class_name(tag)}WithRawResponse"
        lines += [
            "",
            "    @cached_property",
            f"    def {tag}(self) -> {cls}:",
            f'        """Operations tagged ``{tag}``, returning the whole ``Response``."""',
            f"        return _{tag}.{cls}(self._client)",
        ]
    cached = ", ".join(repr(name) for name in ["with_raw_response", *tags])
    lines += ["", "", _CLIENT_HEAD.replace("{cached}", "{" + cached + "}")]
    for tag in tags:
        cls = _class_name(tag)
        lines += [
            "",
            "    @cached_property",
            f"    def {tag}(self) -> {cls}:",
            f'        """Operations tagged ``{tag}``: ``client.{tag}.<operation>(...)``."""',
            f'        return _{tag}.{cls}(cast("Transport", self))',
        ]
    lines += ["", "    if TYPE_CHECKING:"]
    if by_response:  # raw=True first: the model overloads would take it into **params
        lines.append(_PAGINATE_RAW.format(paged=" | ".join(sorted(by_response))))
    for response, item in sorted(by_response.items()):
        lines += [
            "",
            "        @overload",
            "        def paginate(",
            "            self,",
            f"            operation: _Operation[{response}]",
            f"            | Callable[..., Awaitable[{response}]]",
            f"            | Callable[..., Awaitable[Response[{response}]]],",
            "            *,",
            "            max_items: int | None = None,",
            "            prefetch: bool = False,",
            "            raw: Literal[False] = False,",
            "            **params: Any,",
            f"        ) -> AsyncPaginator[{item}]: ...",
        ]
    tail = _PAGINATE_TAIL
    if not by_response:  # one overload alone is an error: keep just the implementation
        tail = tail[
            tail.index("\n        def paginate(\n            self,\n            operation: Any,") :
        ]
    lines.append(tail)
    return "\n".join(lines) + "\n"


_BASE = '''"""The base of the generated resource classes and the per-call options they take."""

from __future__ import annotations

import asyncio.coroutines
import importlib
import inspect
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, TypeVar

from .._transport import RequestOptions, Transport

__all__ = ["LazyModule", "Resource", "coroutine_method", "request_options"]

_F = TypeVar("_F", bound=Callable[..., Any])


def coroutine_method(method: _F) -> _F:
    """Mark a plain method that returns a coroutine as a coroutine function.

    Resource methods are plain ``def`` so that a call runs as the client's one coroutine;
    marked, ``asyncio.iscoroutinefunction`` and ``unittest.mock.create_autospec`` (an
    ``AsyncMock``) treat them as ``async def``, and so does ``inspect.iscoroutinefunction``
    from Python 3.12, the first with ``inspect.markcoroutinefunction``.
    """
    mark = getattr(inspect, "markcoroutinefunction", None)
    if mark is not None:
        return mark(method)  # type: ignore[no-any-return]
    # Python 3.11: the marker asyncio.iscoroutinefunction itself looks for.
    method._is_coroutine = asyncio.coroutines._is_coroutine  # type: ignore[attr-defined]
    return method


class LazyModule:
    """Stands in a module's namespace for a module not imported yet.

    The first attribute read imports the module and puts it in the namespace in place of
    this stand-in, so later calls read a plain global: a function-level ``from ... import``
    would instead run the import machinery (about a microsecond) on every call.
    """

    __slots__ = ("_alias", "_name", "_namespace", "_package")

    def __init__(
        self, namespace: MutableMapping[str, Any], alias: str, name: str, package: str
    ) -> None:
        self._namespace = namespace
        self._alias = alias
        self._name = name
        self._package = package

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._name, self._package)
        self._namespace[self._alias] = module
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<LazyModule {self._name!r}>"


class Resource:
    """Operations of one tag bound to a client (``client.<tag>``)."""

    __slots__ = ("_client",)
    _tag: str = ""
    """The tag, i.e. the ``synerise_async.api`` subpackage of the operations."""

    def __init__(self, client: Transport) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def request_options(
    timeout: float | None,
    extra_headers: Mapping[str, str] | None,
    extra_query: Mapping[str, Any] | None,
    max_retries: int | None,
) -> RequestOptions | None:
    """The ``RequestOptions`` of one call, or None when it sets none (the fast path)."""
    if timeout is None and extra_headers is None and extra_query is None and max_retries is None:
        return None
    return RequestOptions(
        timeout=timeout, extra_headers=extra_headers, extra_query=extra_query, max_retries=max_retries
    )
'''

_INIT_HEAD = '''"""Resource namespaces: every generated operation as ``client.<tag>.<operation>(...)``.

``<tag>`` and ``<operation>`` are the names of ``synerise_async.api.<tag>.<operation>``;
each method takes that module's ``asyncio`` arguments (without ``client=``) plus the
keyword-only per-call options ``timeout``, ``extra_headers``, ``extra_query`` and
``max_retries``, and returns the parsed model. ``client.with_raw_response.<tag>.<operation>``
returns the whole ``Response`` instead. Tag modules load on first access, operation
modules on first call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, TypeVar, cast, overload
'''

_INIT_TYPES = '''__all__ = ["GeneratedClient", "RawResponses"]

_R_co = TypeVar("_R_co", covariant=True)


class _Operation(Protocol[_R_co]):
    """A generated operation module whose ``asyncio`` returns ``_R_co`` (for ``paginate``)."""

    @property
    def asyncio(self) -> Callable[..., Awaitable[_R_co]]: ...
'''

_CLIENT_HEAD = '''class GeneratedClient:
    """Mixin of ``SyneriseClient``: one property per tag, raw responses, typed ``paginate``."""

    __slots__ = ()

    CACHED_ATTRIBUTES: ClassVar[frozenset[str]] = frozenset({cached})
    """The instance attributes the cached properties below store (each binds this client,
    so ``with_options`` must not copy them into a view)."""

    @cached_property
    def with_raw_response(self) -> RawResponses:
        """``client.with_raw_response.<tag>.<operation>(...)`` returns the whole ``Response``."""
        return RawResponses(cast("Transport", self))'''

_PAGINATE_RAW = """
        @overload
        def paginate(
            self,
            operation: _Operation[{paged}]
            | Callable[..., Awaitable[{paged}]]
            | Callable[..., Awaitable[Response[{paged}]]]
            | ModuleType,
            *,
            max_items: int | None = None,
            prefetch: bool = False,
            raw: Literal[True],
            **params: Any,
        ) -> AsyncPaginator[dict[str, Any]]: ..."""

_PAGINATE_TAIL = '''
        @overload
        def paginate(
            self,
            operation: ModuleType,
            *,
            max_items: int | None = None,
            prefetch: bool = False,
            raw: bool = False,
            **params: Any,
        ) -> AsyncPaginator[Any]: ...

        def paginate(
            self,
            operation: Any,
            *,
            max_items: int | None = None,
            prefetch: bool = False,
            raw: bool = False,
            **params: Any,
        ) -> AsyncPaginator[Any]:
            """Iterate every item of a paginated operation: ``async for x in client.paginate(op)``.

            ``operation`` is the operation module, its ``asyncio`` / ``asyncio_detailed``
            function or the bound resource method (``client.profiles.list_clients``); the
            item type is inferred from it. ``await`` the result for the first page only;
            ``.pages()`` iterates pages. ``raw=True`` yields the items as the dicts orjson
            decoded, without building models.
            """
            raise NotImplementedError  # what runs is the definition below

    else:

        def paginate(self, operation, *, max_items=None, prefetch=False, raw=False, **params):
            """Iterate every item of a paginated operation: ``async for x in client.paginate(op)``.

            ``operation`` is the operation module, its ``asyncio`` / ``asyncio_detailed``
            function or the bound resource method (``client.profiles.list_clients``).
            ``await`` the result for the first page only; ``.pages()`` iterates pages.
            ``raw=True`` yields the items as the dicts orjson decoded, without models.
            """
            return self._paginator(
                operation, params, max_items=max_items, prefetch=prefetch, raw=raw
            )'''
