"""The seam between generated endpoint modules and the hand-written client.

Generated modules (``synerise_async/api/**``) never do I/O. Each one describes its
operation with an :class:`Operation` record, builds a typed :class:`RequestParts` in
``_get_kwargs`` and parses a :class:`RawResponse` in ``_parse_response``. Its
``asyncio_detailed`` function hands all three to :meth:`Transport.request`, and its
``asyncio`` to :meth:`Transport.call`, which returns the model alone. ``SyneriseClient``
implements both, so auth, region, retries, error mapping, logging and limits apply to
every operation, including those added by the next regeneration.

Imports go one way: generated code imports this module (and ``types``); this module
imports nothing generated.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, Final, Generic, NoReturn, Protocol, TypeVar

import attrs
import orjson

__all__ = [
    "Operation",
    "Pagination",
    "RawResponse",
    "RequestOptions",
    "RequestParts",
    "Response",
    "Transport",
    "field_error",
    "json_body",
    "json_items_body",
    "query_argument",
    "request_id_from_headers",
    "unexpected_status",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@attrs.frozen(slots=True)
class Pagination:
    """How to walk an operation's pages, read from ``x-synerise-pagination``.

    Attribute paths use the generated models' Python names (``meta_data.total_count``);
    the ``*_key`` twins are the same paths in JSON keys (``metaData.totalCount``), which
    ``paginate(..., raw=True)`` follows through the decoded body instead. Parameter names
    are the generated functions' keyword arguments (``page_index``).
    """

    style: str
    """``page``, ``page-index``, ``offset``, ``link`` or ``cursor``."""
    items: str = ""
    """Dotted attribute path to the page's items; ``""`` when the response is a list."""
    page_param: str | None = None
    """Keyword that selects the page: ``page``, ``page_index``, ``offset``, ``page_token``."""
    size_param: str | None = None
    """Keyword that sets the page size: ``limit`` or ``page_size``."""
    total: str | None = None
    """Dotted attribute path to the total (items for ``offset``, pages for ``page``)."""
    next: str | None = None
    """Dotted attribute path to the next cursor token or the list of links."""
    items_key: str = ""
    """``items`` in JSON keys."""
    total_key: str | None = None
    """``total`` in JSON keys."""
    next_key: str | None = None
    """``next`` in JSON keys."""
    statuses: tuple[int, ...] = (200,)
    """Success statuses documented with a JSON body; raw mode refuses any other 2xx."""


@attrs.frozen(slots=True)
class Operation:
    """What the client needs to know about one API operation, fixed at generation time."""

    operation_id: str
    method: str
    path: str
    tag: str
    security: tuple[str, ...] = ()
    """Security scheme names accepted (``JWT``, ``Basic``, ``TrackerKey``); empty: none."""
    api_version: str | None = None
    """Value of the ``Api-Version`` header this operation requires, if any."""
    retry: str | None = None
    """For non-idempotent methods: ``safe`` or ``event-salt`` (see ``x-synerise-retry``)."""
    pagination: Pagination | None = None
    deprecated: bool = False
    unconfirmed: bool = False
    """True when the spec marks the path or shape as not confirmed by any source."""
    query_types: Mapping[str, str] = attrs.field(factory=dict, eq=False)
    """JSON type of each query parameter by wire name, checked before sending."""
    path_types: Mapping[str, str] = attrs.field(factory=dict, eq=False)
    """JSON type of each path parameter by Python name, checked before sending."""
    accept: str | None = None
    """The ``Accept`` header, when the success response is not JSON (``text/csv``)."""
    max_items: int | None = None
    """Most items an array request body may hold (``maxItems``)."""
    max_body_bytes: int | None = None
    """Largest request body the API accepts (``x-synerise-max-body-bytes``)."""


@attrs.frozen(slots=True)
class RequestOptions:
    """Per-call options (Stainless style) that a resource method passes to ``request``.

    Every field defaults to "use the client's setting".
    """

    timeout: float | None = None
    """Seconds for the whole call, across its retries (the per-attempt timeout stays a
    client option)."""
    extra_headers: Mapping[str, str] | None = None
    """Headers added to (or overriding) the client's and the operation's headers."""
    extra_query: Mapping[str, Any] | None = None
    """Query parameters added to the operation's own."""
    max_retries: int | None = None
    """Overrides ``RetryPolicy.max_retries`` for this call."""


# Not frozen: one is built on every call, and a frozen attrs class costs about 3x more to
# build (each field goes through object.__setattr__). The client reads it once, in prepare.
@attrs.define(slots=True)
class RequestParts:
    """What a generated ``_get_kwargs`` hands the client: one request, not yet encoded.

    ``url`` is the path relative to the base URL; with ``path_params`` it is a template
    (``/catalogs/bags/{catalog_id}``) the client fills in after checking the values' types.
    ``params`` are the operation's query parameters by wire name, encoded by the client;
    ``query`` holds pre-encoded ``(name, value)`` pairs (a server-provided next link) and
    replaces ``params``. At most one body: ``json`` (any JSON value), ``content`` (raw),
    or ``data`` / ``files`` (a form).
    """

    method: str
    url: str
    path_params: Mapping[str, Any] | None = None
    params: Mapping[str, Any] | None = None
    query: Sequence[tuple[str, str]] | None = None
    headers: Mapping[str, str] | None = None
    json: Any = None
    content: bytes | str | None = None
    data: Mapping[str, Any] | None = None
    files: Sequence[tuple[str, Any]] | None = None
    all_salted: bool = False
    """The caller vouches that every event in the body carries an ``eventSalt``, so an
    ``event-salt`` operation may be retried (a pre-encoded ``content`` cannot be inspected)."""

    @classmethod
    def from_mapping(cls, kwargs: Mapping[str, Any]) -> RequestParts:
        """Build from the keyword dict older callers pass; unknown keys are refused."""
        from ._errors import ConfigurationError

        unknown = set(kwargs) - _PART_NAMES
        if unknown:
            raise ConfigurationError(
                f"unknown request part(s) {', '.join(sorted(unknown))}; "
                f"expected {', '.join(sorted(_PART_NAMES))}"
            )
        return cls(**kwargs)


_PART_NAMES: Final = frozenset(a.name for a in attrs.fields(RequestParts))


def _invalid_body(operation: Operation, value: Any, expected: str) -> NoReturn:
    from ._errors import ConfigurationError

    raise ConfigurationError(
        f"{operation.operation_id}: body must be {expected}, got {type(value).__name__}"
    )


def json_body(operation: Operation, value: Any, model: type[Any] | tuple[type[Any], ...]) -> Any:
    """The JSON of a request body given as the generated ``model`` (or one of the models of a
    ``oneOf`` / ``anyOf`` body, given as a tuple) or a plain mapping."""
    if isinstance(value, model):
        return value.to_dict()
    if isinstance(value, Mapping):
        return value
    names = model.__name__ if isinstance(model, type) else " or ".join(m.__name__ for m in model)
    _invalid_body(operation, value, f"{names} or a dict")


def json_items_body(operation: Operation, value: Any, model: type[Any]) -> list[Any]:
    """The JSON of an array body whose items are ``model`` instances or plain mappings."""
    if not isinstance(value, Sequence) or isinstance(value, str | bytes | Mapping):
        _invalid_body(operation, value, f"a list of {model.__name__} or dict")
    items: list[Any] = []
    for item in value:
        if isinstance(item, model):
            items.append(item.to_dict())
        elif isinstance(item, Mapping):
            items.append(item)
        else:
            _invalid_body(operation, item, f"a list of {model.__name__} or dict; an item")
    return items


def query_argument(operation: Operation, name: str, value: Any, expected: type[Any]) -> Any:
    """A query argument checked against its generated type before the generated code
    transforms it; an enum also accepts one of its values (``"desc"``).

    ``None`` and ``UNSET`` pass through (the generated code drops them).
    """
    if value is None or isinstance(value, expected) or type(value).__name__ == "Unset":
        return value
    if issubclass(expected, enum.Enum) and not isinstance(value, bool):
        try:
            return expected(value)
        except ValueError:
            pass
    from ._errors import ConfigurationError

    raise ConfigurationError(
        f"{operation.operation_id}: query parameter {name!r} must be {expected.__name__}, "
        f"got {type(value).__name__}"
    )


REQUEST_ID_HEADERS: Final = (
    "X-Request-Id",
    "X-Correlation-Id",
    "X-Amzn-RequestId",
    "X-Amz-Request-Id",
    "Request-Id",
    "X-Trace-Id",
)
"""Headers servers and their proxies use for the id of a response, in order of preference."""


def request_id_from_headers(headers: Mapping[str, str]) -> str | None:
    """The response's request id, from ``X-Request-Id`` or one of its usual relatives.

    aiohttp headers are case-insensitive; a plain dict is also searched case-insensitively.
    """
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    if isinstance(headers, dict):
        lowered = {k.lower(): v for k, v in headers.items()}
        for name in REQUEST_ID_HEADERS:
            found = lowered.get(name.lower())
            if found:
                return str(found)
    return None


class RawResponse:
    """The bytes of one HTTP response, with the small surface generated parsers use."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Mapping[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    def json(self) -> Any:
        """Decode the body as JSON (orjson)."""
        return orjson.loads(self.content)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8, invalid bytes replaced."""
        return self.content.decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"<RawResponse {self.status_code} {len(self.content)} bytes>"


class Response(Generic[T_co]):
    """A parsed response: status, headers, raw body and the parsed model.

    Read-only, and equal when the four fields are. A plain slotted class rather than a
    frozen attrs one: one is built per call, and attrs' frozen ``__init__`` (one
    ``object.__setattr__`` per field) cost 1.3 against 0.45 µs.
    """

    __slots__ = ("_content", "_headers", "_parsed", "_status_code")

    def __init__(
        self, status_code: int, headers: Mapping[str, str], content: bytes, parsed: T_co
    ) -> None:
        self._status_code = status_code
        self._headers = headers
        self._content = content
        self._parsed = parsed

    @property
    def status_code(self) -> int:
        return self._status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._headers

    @property
    def content(self) -> bytes:
        return self._content

    @property
    def parsed(self) -> T_co:
        return self._parsed

    @property
    def request_id(self) -> str | None:
        """The server's id for this response (``X-Request-Id`` or a relative), if it sent one."""
        return request_id_from_headers(self._headers)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Response)
        return (
            self._status_code == other._status_code
            and self._headers == other._headers
            and self._content == other._content
            and self._parsed == other._parsed
        )

    __hash__ = None  # type: ignore[assignment]  # headers are a mutable mapping

    def __repr__(self) -> str:
        return (
            f"Response(status_code={self._status_code!r}, headers={self._headers!r}, "
            f"parsed={self._parsed!r})"
        )


class Transport(Protocol):
    """What generated endpoint functions, the paginator and the events sender need from a
    client."""

    @property
    def base_url(self) -> str:
        """The API base URL (the paginator refuses next links to any other host)."""
        ...

    def request(
        self,
        operation: Operation,
        kwargs: RequestParts | Mapping[str, Any] | None,
        parse: Callable[[RawResponse], T],
        options: RequestOptions | None = None,
    ) -> Coroutine[Any, Any, Response[T]]:
        """Send the request described by ``kwargs`` and parse a successful response.

        ``kwargs`` is what a generated ``_get_kwargs`` returns (a :class:`RequestParts`); a
        mapping with the same keys is accepted from older callers. ``None`` is what
        generated code passes for an operation without parameters: the request is then the
        operation's method and path, so a client may prepare it once. Statuses >= 400 raise
        before ``parse`` runs. ``options`` carries per-call overrides (see
        :class:`RequestOptions`).

        Returns a coroutine: an ``async def`` method satisfies the protocol, and so does a
        plain one that checks its arguments at once and returns a coroutine (as
        ``SyneriseClient`` does, to spare the common call a coroutine). Generated resource
        methods return it as their own, so nothing is sent and no credential is read before
        it is awaited.
        """
        ...

    def call(
        self,
        operation: Operation,
        kwargs: RequestParts | Mapping[str, Any] | None,
        parse: Callable[[RawResponse], T],
        options: RequestOptions | None = None,
    ) -> Coroutine[Any, Any, T]:
        """Like :meth:`request`, returning only what ``parse`` made of the response.

        What generated code uses when the caller asked for the model alone (``asyncio``,
        ``client.<tag>.<operation>()``): no :class:`Response` is built for it.
        """
        ...


def unexpected_status(operation_id: str, response: RawResponse) -> NoReturn:
    """Raise for a success status the spec does not document for this operation."""
    from ._errors import UnexpectedStatusError

    raise UnexpectedStatusError(
        operation_id,
        response.status_code,
        response.content,
        request_id=request_id_from_headers(response.headers),
    )


def field_error(model: str, field: str, exc: BaseException) -> NoReturn:
    """Raise ``ResponseFieldError`` for a lazily parsed model field that failed to parse.

    Generated models call this from ``__getattr__``; ``field`` is the wire name. The
    message names the model, the field and the cause (type, a short message and the
    "while parsing" notes of nested models), never the whole value.
    """
    from ._errors import ResponseFieldError

    text = str(exc)
    if len(text) > 200:
        text = text[:199] + "…"
    notes = "; ".join(getattr(exc, "__notes__", ())[:3])
    raise ResponseFieldError(
        f"{model}.{field}: response value does not match the spec "
        f"({type(exc).__name__}: {text}{'; ' + notes if notes else ''})",
        model=model,
        field=field,
    ) from exc
