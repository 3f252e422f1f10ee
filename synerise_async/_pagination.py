"""Async paginators over generated operations.

The strategy comes from the operation's ``OPERATION.pagination`` record, generated from
``x-synerise-pagination`` in the spec: page/limit with a page count, pageIndex/pageSize
over bare arrays, limit/offset with a total, next links, and cursor tokens. Each style is a
small strategy class that only says what comes after a page: the next call's keyword
arguments, a :class:`RequestParts` for a server-provided link, or ``None`` at the end.
Only the current page (plus, with ``prefetch=True``, the next one) is held in memory.

``raw=True`` skips the generated models: each body is decoded once with orjson and the
same strategies walk it by JSON keys (the record's ``*_key`` paths), yielding the dicts
as decoded.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import re
import sys
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Generator,
    Mapping,
    Sequence,
)
from types import ModuleType
from typing import Any, Final, Generic, Protocol, TypeAlias, TypeVar
from urllib.parse import parse_qsl, urlsplit

import attrs
import orjson

from ._errors import ConfigurationError, PaginationError
from ._transport import (
    Operation,
    Pagination,
    RawResponse,
    RequestParts,
    Response,
    Transport,
    unexpected_status,
)

__all__ = ["AsyncPaginator", "Page", "operation_module"]

T = TypeVar("T")


@attrs.frozen(slots=True)
class Page(Generic[T]):
    """One page: its items and the whole parsed response (for metadata)."""

    items: Sequence[T]
    response: Response[Any]
    number: int
    """1 for the first page fetched by this paginator, then 2, 3, ..."""


def _attr_path(value: Any, path: str | None) -> Any:
    """Follow a dotted attribute path through generated models; unset or missing -> None."""
    if not path:
        return value
    for name in path.split("."):
        if isinstance(value, dict):  # raw mode's decoded JSON (which never holds Unset)
            value = value.get(name)
        elif value is None:
            return None
        else:
            value = getattr(value, name, None)
            if value is not None and type(value).__name__ == "Unset":
                return None
    return value


def _wire_paths(pagination: Pagination) -> Pagination:
    """The record with its attribute paths swapped for their JSON-key twins (raw mode)."""
    return attrs.evolve(
        pagination,
        items=pagination.items_key,
        total=pagination.total_key,
        next=pagination.next_key,
    )


def _raw_parser(operation_id: str, pagination: Pagination) -> Callable[[RawResponse], Any]:
    """Raw mode's stand-in for the generated ``_parse_response``: the body as orjson
    decodes it, after the same documented-status check.

    An items path that leads to something other than a list is a body that does not match
    the spec, as model mode would find building the model: ``ValueError`` here, which the
    client turns into :class:`APIResponseValidationError`.
    """
    statuses = pagination.statuses
    path = pagination.items_key or "the top level"
    keys = pagination.items_key.split(".") if pagination.items_key else []

    def parse(response: RawResponse) -> Any:
        if response.status_code not in statuses:
            unexpected_status(operation_id, response)
        body = orjson.loads(response.content)
        items = body
        for key in keys:
            if items is None:  # an absent or null object on the way: no items, as Unset is
                break
            if type(items) is not dict:
                raise ValueError(
                    f"expected an object on the way to {path!r}, got {type(items).__name__}"
                )
            items = items.get(key)
        if items is not None and type(items) is not list:
            raise ValueError(f"expected a list at {path!r}, got {type(items).__name__}")
        return body

    return parse


def _items(parsed: Any, pagination: Pagination) -> Sequence[Any]:
    items = _attr_path(parsed, pagination.items)
    if type(items) is list:  # what both modes give for a body that matches the spec
        return items
    if items is None:
        return ()
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        raise PaginationError(
            f"expected a list at {pagination.items or 'the top level'!r}, got {type(items).__name__}"
        )
    return items


def _next_link(links: Any) -> str | None:
    """The ``url`` of the ``rel == "next"`` entry of a links list."""
    if not isinstance(links, Sequence):
        return None
    for link in links:
        rel = _attr_path(link, "rel")
        rel = getattr(rel, "value", rel)
        if str(rel).lower() == "next":
            url = _attr_path(link, "url")
            return str(url) if url else None
    return None


_LINK_PART = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


def _next_from_link_header(header: str | None) -> str | None:
    """The target of ``rel="next"`` in a ``Link`` header, e.g. ``<https://...?page=2>; rel="next"``."""
    if not header:
        return None
    for match in _LINK_PART.finditer(header):
        for param in match.group(2).split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').lower().split():
                return match.group(1).strip() or None
    return None


def operation_module(operation: object) -> ModuleType:
    """The generated module behind what ``paginate`` was given.

    Accepted: the operation module, its ``asyncio`` / ``asyncio_detailed`` function, or a
    bound method of a generated resource (``client.profiles.list_clients``, also under
    ``client.with_raw_response``), whose name is the module's and whose resource knows
    its tag.
    """
    if isinstance(operation, ModuleType):
        return operation
    name = getattr(operation, "__name__", None)
    owner = getattr(operation, "__self__", None)
    tag = getattr(owner, "_tag", None)
    if isinstance(tag, str) and tag and isinstance(name, str):
        package = __name__.rpartition(".")[0]
        return importlib.import_module(f"{package}.api.{tag}.{name}")
    module = sys.modules.get(getattr(operation, "__module__", None) or "")
    if name in ("asyncio", "asyncio_detailed") and module is not None:
        return module
    raise ConfigurationError(
        f"{operation!r} is not a generated operation: pass its module, its asyncio / "
        "asyncio_detailed function or a client.<tag>.<operation> method"
    )


Step: TypeAlias = "dict[str, Any] | RequestParts"
"""What fetches a page: keyword arguments for the generated function, or a next link."""


class PageStrategy(Protocol):
    """What comes after a page, for one pagination style."""

    def next_step(
        self, params: Mapping[str, Any], page: Page[Any], short: bool
    ) -> Step | None:  # pragma: no cover - protocol
        """The step to the following page, or ``None`` when ``page`` was the last.

        ``params`` fetched ``page``; ``short`` says it held fewer items than asked for.
        """
        ...


@attrs.frozen
class PageNumberStrategy:
    """``page`` (1-based) or ``page-index`` styles: the page number goes up by one; the
    total page count, when the response has one, says where to stop."""

    pagination: Pagination

    def next_step(self, params: Mapping[str, Any], page: Page[Any], short: bool) -> Step | None:
        p = self.pagination
        assert p.page_param is not None
        current = int(params.get(p.page_param) or 1)
        total_pages = _attr_path(page.response.parsed, p.total) if p.total else None
        if isinstance(total_pages, int) and current >= total_pages:
            return None
        if not isinstance(total_pages, int) and short:
            return None
        return {**params, p.page_param: current + 1}


@attrs.frozen
class OffsetStrategy:
    """``offset`` style: skip the items seen so far; stop at the total or a short page."""

    pagination: Pagination

    def next_step(self, params: Mapping[str, Any], page: Page[Any], short: bool) -> Step | None:
        p = self.pagination
        assert p.page_param is not None
        offset = int(params.get(p.page_param) or 0) + len(page.items)
        total = _attr_path(page.response.parsed, p.total) if p.total else None
        if (isinstance(total, int) and offset >= total) or (not isinstance(total, int) and short):
            return None
        return {**params, p.page_param: offset}


@attrs.define
class CursorStrategy:
    """``cursor`` style: pass on the response's token; a token seen before is an error
    (the server would otherwise make us loop forever)."""

    pagination: Pagination
    operation_id: str
    seen: set[str] = attrs.field(factory=set)

    def next_step(self, params: Mapping[str, Any], page: Page[Any], short: bool) -> Step | None:
        p = self.pagination
        assert p.page_param is not None
        token = _attr_path(page.response.parsed, p.next)
        if not token:
            return None
        token = str(token)
        if token in self.seen or token == params.get(p.page_param):
            raise PaginationError(
                f"{self.operation_id}: the server repeated cursor token; stopping "
                "instead of looping forever"
            )
        self.seen.add(token)
        return {**params, p.page_param: token}


@attrs.frozen
class LinkStrategy:
    """``link`` style: follow the ``rel="next"`` link of the body (``meta.link``, present
    only with ``includeMeta=true``) or else of the ``Link`` header (RFC 8288).

    With neither link, an operation that also takes a page number goes on by number: the
    ``X-Pagination-Page`` / ``X-Pagination-Total-Pages`` headers (sent instead of the body's
    meta with ``includeMeta=false``) say where to stop, else a short page does. Stopping
    at a missing link alone would silently drop every page after the first.
    """

    pagination: Pagination
    method: str
    base_url: str

    def next_step(self, params: Mapping[str, Any], page: Page[Any], short: bool) -> Step | None:
        headers = page.response.headers
        url = _next_link(_attr_path(page.response.parsed, self.pagination.next))
        if url is None:
            url = _next_from_link_header(headers.get("Link"))
        if url is not None:
            path, query = link_target(url, self.base_url)
            return RequestParts(method=self.method, url=path, query=query)
        page_param = self.pagination.page_param
        # After a followed link the step is a RequestParts, not keyword arguments.
        if page_param is None or short or not isinstance(params, Mapping):
            return None
        current = _header_int(headers, "X-Pagination-Page") or int(params.get(page_param) or 1)
        total_pages = _header_int(headers, "X-Pagination-Total-Pages")
        if total_pages is not None and current >= total_pages:
            return None
        return {**params, page_param: current + 1}


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def link_target(url: str, base_url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Path (relative to ``base_url``) and pre-encoded query of a next link.

    Links to another scheme or host are refused: following them would send credentials there.
    """
    parts = urlsplit(url)
    base = urlsplit(base_url)
    if parts.netloc and (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        raise PaginationError(
            f"next link points to another host ({parts.netloc}); not following it"
        )
    path = parts.path
    if base.path and path.startswith(base.path):
        path = path[len(base.path) :]
    return path, tuple(parse_qsl(parts.query, keep_blank_values=True))


_STYLES: Final = ("page", "page-index", "offset", "cursor", "link")


def strategy_for(
    operation: Operation, base_url: str, pagination: Pagination | None = None
) -> PageStrategy:
    """The strategy for an operation's pagination style (``pagination`` overrides the
    operation's record, e.g. with the JSON-key paths of raw mode)."""
    p = pagination or operation.pagination
    assert p is not None
    if p.style in ("page", "page-index"):
        return PageNumberStrategy(p)
    if p.style == "offset":
        return OffsetStrategy(p)
    if p.style == "cursor":
        return CursorStrategy(p, operation.operation_id)
    if p.style == "link":
        return LinkStrategy(p, operation.method, base_url)
    raise ConfigurationError(
        f"{operation.operation_id}: unknown pagination style {p.style!r} "
        f"(known: {', '.join(_STYLES)})"
    )


class AsyncPaginator(Generic[T]):
    """Items of every page: ``async for item in paginator``; ``await paginator`` for page one.

    ``pages()`` iterates :class:`Page` objects instead. ``max_items`` stops early;
    ``prefetch`` fetches the next page while the caller works on the current one; ``raw``
    yields the decoded JSON dicts instead of generated models (see the module docstring).
    """

    def __init__(
        self,
        client: Transport,
        operation: ModuleType,
        params: dict[str, Any],
        *,
        max_items: int | None = None,
        prefetch: bool = False,
        raw: bool = False,
    ) -> None:
        record = getattr(operation, "OPERATION", None)
        if not isinstance(record, Operation) or not all(
            hasattr(operation, name)
            for name in ("asyncio_detailed", "_get_kwargs", "_parse_response")
        ):
            raise ConfigurationError(
                f"{getattr(operation, '__name__', operation)!r} is not a generated operation module"
            )
        if record.pagination is None:
            raise ConfigurationError(f"{record.operation_id} is not a paginated operation")
        if max_items is not None and max_items < 0:
            raise ConfigurationError("max_items must be >= 0")
        accepted = inspect.signature(operation.asyncio_detailed).parameters
        unknown = sorted(set(params) - set(accepted) - {"client"})
        if unknown or "client" in params:
            raise ConfigurationError(
                f"{record.operation_id} takes no parameter(s) {', '.join(unknown or ['client'])}; "
                f"accepted: {', '.join(n for n in accepted if n != 'client')}"
            )
        pagination = _wire_paths(record.pagination) if raw else record.pagination
        strategy_for(record, client.base_url)  # an unknown style fails here, not mid-iteration
        self._client = client
        self._module = operation
        self._operation = record
        self._pagination: Pagination = pagination
        self._parse: Callable[[RawResponse], Any] = (
            _raw_parser(record.operation_id, pagination) if raw else operation._parse_response
        )
        self._params = dict(params)
        self._max_items = max_items
        self._prefetch = prefetch
        self._raw = raw

    def __repr__(self) -> str:
        raw = " raw" if self._raw else ""
        return (
            f"<AsyncPaginator {self._operation.operation_id} style={self._pagination.style}{raw}>"
        )

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return self._fetch(self._params).__await__()

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iter_items()

    async def _iter_items(self) -> AsyncIterator[T]:
        remaining = self._max_items
        if remaining == 0:
            return
        pages = self.pages()
        try:
            if remaining is None:  # the common case, with nothing to count per item
                async for page in pages:
                    for item in page.items:
                        yield item
                    # Let the page (and its response body) go before the next one is read:
                    # freed memory is reused while still in cache (W2, page size 1000).
                    del page
                return
            async for page in pages:
                for item in page.items:
                    yield item
                    remaining -= 1
                    if remaining == 0:
                        return
                del page
        finally:
            await pages.aclose()

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """Iterate pages until the last one (or ``max_items`` items have been seen)."""
        strategy = strategy_for(self._operation, self._client.base_url, self._pagination)
        step: Step | None = dict(self._params)
        params: Mapping[str, Any] = self._params
        pending: asyncio.Task[Page[T]] | None = None
        number = 0
        first_size = 0
        fetched = 0
        try:
            while step is not None:
                number += 1
                if pending is not None:
                    page, pending = await pending, None
                else:
                    page = await self._fetch(step, number)
                if isinstance(step, dict):
                    params = step
                first_size = first_size or len(page.items)
                fetched += len(page.items)
                step = None
                if page.items:
                    step = strategy.next_step(
                        params, page, self._is_short(params, page, first_size)
                    )
                if self._max_items is not None and fetched >= self._max_items:
                    step = None
                if step is not None and self._prefetch:
                    pending = asyncio.get_running_loop().create_task(self._fetch(step, number + 1))
                yield page
                del page  # not held while the next page is read (see _iter_items)
        finally:
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pending

    def _is_short(self, params: Mapping[str, Any], page: Page[T], first_size: int) -> bool:
        """Whether ``page`` held fewer items than asked for (or than the first page)."""
        size_param = self._pagination.size_param
        size = params.get(size_param) if size_param else None
        count = len(page.items)
        return count < size if isinstance(size, int) else count < first_size

    async def _fetch(self, step: Step, number: int = 1) -> Page[T]:
        # What asyncio_detailed does, with the parser this paginator was made with.
        parts = step if isinstance(step, RequestParts) else self._module._get_kwargs(**step)
        response = await self._client.request(self._operation, parts, self._parse)
        return Page(
            items=_items(response.parsed, self._pagination), response=response, number=number
        )
