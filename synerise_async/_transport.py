"""The seam between generated endpoint modules and the hand-written client.

Generated modules (``synerise_async/api/**``) never do I/O. Each one describes its
operation with an :class:`Operation` record, builds request keyword arguments in
``_get_kwargs`` and parses a :class:`RawResponse` in ``_parse_response``. Its
``asyncio_detailed`` function hands all three to :meth:`Transport.request`, which
``SyneriseClient`` implements: auth, region, retries, error mapping, logging and limits
therefore apply to every operation, including those added by the next regeneration.

Imports go one way: generated code imports this module (and ``types``); this module
imports nothing generated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, NoReturn, Protocol, TypeVar

import attrs
import orjson

__all__ = [
    "Operation",
    "Pagination",
    "RawResponse",
    "RequestOptions",
    "Response",
    "Transport",
    "unexpected_status",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@attrs.frozen(slots=True)
class Pagination:
    """How to walk an operation's pages, read from ``x-synerise-pagination``.

    Attribute paths use the generated models' Python names (``meta_data.total_count``);
    parameter names are the generated functions' keyword arguments (``page_index``).
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


@attrs.frozen(slots=True)
class Response(Generic[T_co]):
    """A parsed response: status, headers, raw body and the parsed model."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes = attrs.field(repr=False)
    parsed: T_co


class Transport(Protocol):
    """What generated endpoint functions need from a client."""

    async def request(
        self,
        operation: Operation,
        kwargs: dict[str, Any],
        parse: Callable[[RawResponse], T],
        options: RequestOptions | None = None,
    ) -> Response[T]:
        """Send the request described by ``kwargs`` and parse a successful response.

        ``kwargs`` is what a generated ``_get_kwargs`` returns: ``method``, ``url`` (path
        relative to the base URL), and optionally ``params``, ``headers``, ``json``,
        ``data``, ``files``, ``content``; ``query`` (pre-encoded ``(name, value)`` pairs)
        replaces ``params`` when following a server-provided link. Statuses >= 400 raise before
        ``parse`` runs. ``options`` carries per-call overrides (see :class:`RequestOptions`).
        """
        ...


def unexpected_status(operation_id: str, response: RawResponse) -> NoReturn:
    """Raise for a success status the spec does not document for this operation."""
    from ._errors import UnexpectedStatusError

    raise UnexpectedStatusError(operation_id, response.status_code, response.content)
