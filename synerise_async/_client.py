"""SyneriseClient: owns the aiohttp session and runs the request pipeline for every call.

One call is layered like httpx's ``send``, each layer one concern:

- :meth:`SyneriseClient.request`: prepare once (``_request.prepare``: types checked, query
  and body encoded, "safe to repeat" decided), apply the call's timeout, parse the result;
  when a fresh credential is at hand it makes the first attempt itself (``_send_once``)
  and hands the outcome to the layers below only if it is not a success, so a call that
  succeeds at once runs through two coroutines fewer;
- ``_send_with_retries``: back off and retry what ``_retry`` says may be retried, map a
  final status >= 400 or transport failure to a typed error;
- ``_send_handling_auth``: attach the credential, and on a 401 drop that token, log in
  once and replay once;
- ``_send_once``: take a concurrency slot and make one HTTP attempt.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import random
import sys
import time
import warnings
import weakref
from asyncio import get_running_loop
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from functools import cached_property, partial
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Final, TypeVar, overload

import aiohttp
import attrs
import orjson
from multidict import istr

from ._auth import Auth, AuthStats, Token, TokenCache, TokenManager
from ._encoding import redact_url
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    ClientClosedError,
    ConfigurationError,
    RateLimitError,
    SyneriseError,
    excerpt,
    parse_error_body,
    scrubbed_cause,
    status_error_class,
)
from ._pagination import AsyncPaginator, operation_module
from ._ratelimit import RateLimit, RateLimiter, limiter_for
from ._regions import Region, resolve_base_url
from ._request import FormBody, PreparedRequest, prepare
from ._retry import RetryPolicy, failure_retry_delay, parse_retry_after, status_retry_delay
from ._slots import Slots
from ._transport import (
    Operation,
    RawResponse,
    RequestOptions,
    RequestParts,
    Response,
    request_id_from_headers,
)
from ._version import __version__
from .resources import GeneratedClient

if TYPE_CHECKING:
    from ._events import EventsAPI

__all__ = ["ClientStats", "SyneriseClient"]

T = TypeVar("T")

logger = logging.getLogger("synerise_async")

DEFAULT_TIMEOUT: Final = 30.0
DEPRECATION_HEADER: Final = istr("X-API-DEPRECATED")
"""Sent by Synerise on calls to deprecated endpoints (its value is the notice). An ``istr``:
multidict looks it up without case-folding it first (177 against 668 instructions)."""
DEFAULT_MAX_CONCURRENCY: Final = 64
DEFAULT_CONNECTION_LIMIT: Final = 100
USER_AGENT: Final = (
    f"synerise-async/{__version__} python/{platform.python_version()} aiohttp/{aiohttp.__version__}"
)
_AUTH_OPERATION_PREFIX: Final = "auth:"
_SDK_HEADERS: Final = {"Accept": "application/json", "User-Agent": USER_AGENT}
"""Sent with every request: by the own session as automatic headers (``_OwnSessionRequest``),
through a caller's session beside each call's headers."""


class _OwnSessionRequest(aiohttp.ClientRequest):
    """The request class of the client's own session: Accept and User-Agent join the headers
    aiohttp adds when a request has none of that name.

    Given per request, or as session defaults, aiohttp merges them into every request's
    headers one by one: 1.4k CPU instructions per request for the User-Agent alone
    (``python -m bench.instructions``, concurrency 1). An operation's own Accept or a
    caller's User-Agent still wins: aiohttp adds these only where the request has none.
    """

    DEFAULT_HEADERS = {  # noqa: RUF012 (aiohttp declares it so; never mutated)
        **aiohttp.ClientRequest.DEFAULT_HEADERS,
        **{istr(name): value for name, value in _SDK_HEADERS.items()},
    }


@attrs.define
class ClientStats:
    """Counters of one client (shared by its ``with_options`` views), for diagnostics."""

    requests: int = 0
    """HTTP attempts sent, retries and replays included."""
    retries_by_cause: dict[str, int] = attrs.field(factory=dict)
    """Retries counted by cause: ``429``, ``503``, ``timeout``, ``connection``, ..."""
    replays_after_401: int = 0

    def count_retry(self, cause: str) -> None:
        self.retries_by_cause[cause] = self.retries_by_cause.get(cause, 0) + 1


@attrs.define(eq=False)
class _Shared:
    """State shared by a client and its ``with_options`` views."""

    owns_session: bool
    session: aiohttp.ClientSession | None
    loop: asyncio.AbstractEventLoop | None = None
    closed: bool = False
    slots: Slots | None = None
    tokens: TokenManager | None = None
    warned_deprecations: set[str] = attrs.field(factory=set)
    stats: ClientStats = attrs.field(factory=ClientStats)
    session_timeout: aiohttp.ClientTimeout | None = None
    """The default timeout of the client's own session (``None`` for a caller's session)."""


@attrs.frozen(slots=True)
class _Failure:
    """An attempt that produced no HTTP response (internal to the retry loop)."""

    error: type[APIConnectionError]
    reason: str
    unsent: bool
    """The connection could not even be opened: the request surely never arrived."""
    cause: str
    """Label for ``ClientStats.retries_by_cause``."""
    exc: BaseException


class SyneriseClient(GeneratedClient):
    """An asynchronous client for the Synerise API.

    Use it as an async context manager (or call :meth:`aclose`)::

        async with SyneriseClient(WorkspaceAuth(api_key=key), region=Region.AZURE_EU) as client:
            workflows = await client.automation.get_paginated_diagrams(page=1, limit=50)

    Every generated operation is a method ``client.<tag>.<operation>(...)`` (see
    ``synerise_async.resources``); the module functions take the client as ``client=``.
    Keyword options:

    - ``region``: a :class:`Region` or a name (``"eu"``, ``"us"``, ``"gcp"``);
      ``base_url`` overrides it (a proxy or the fake server). With neither,
      ``SYNERISE_BASE_URL`` / ``SYNERISE_REGION`` are read, then Azure EU.
    - ``timeout``: seconds for one attempt (or an ``aiohttp.ClientTimeout``).
    - ``retry``: a :class:`RetryPolicy`; per call via :meth:`with_options`.
    - ``max_concurrency``: requests in flight at once (the client's own pool has
      ``min(connection_limit, max_concurrency)`` connections; a session you pass gets
      slots counted on top of its pool).
    - ``session``: your own ``aiohttp.ClientSession``; it is never closed by the client.
    - ``headers``: extra headers for every request.
    - ``token_cache``: share tokens between clients or processes.
    - ``jwt_public_key``: a PEM key; when given, tokens must carry a valid RS512 signature.
    - ``tracker_key``: sent as ``?token=`` to operations that accept only a tracker key.
    - ``allow_insecure_http``: permit ``http://`` to non-loopback hosts (off by default).
    - ``rate_limit``: a client-side budget, a :class:`RateLimit` (adaptive token bucket
      in this process) or a shared limiter such as :class:`RedisRateLimiter`; off by default.
    - ``clock`` / ``sleep``: time sources, injectable for tests.
    """

    # Slots, not instance-dict entries: once a cached tag property (``client.workspaces``)
    # has written to ``__dict__``, CPython 3.11 stops specialising the call path's
    # ``self._...`` reads of dict attributes; slot reads stay specialised.
    __slots__ = (
        "__dict__",  # the cached tag properties and a view's _is_view
        "__weakref__",
        "_auth",
        "_base_url",
        "_clock",
        "_connection_limit",
        "_headers",
        "_jwt_public_key",
        "_last_authorized",
        "_max_concurrency",
        "_random",
        "_rate_limiter",
        "_retry",
        "_root",
        "_shared",
        "_sleep",
        "_static_auth_header",
        "_static_requests",
        "_timeout",
        "_token_cache",
        "_tracker_key",
    )

    _is_view = False
    """True for ``with_options`` views, which share (and never close) the parent's session."""

    def __init__(
        self,
        auth: Auth | None = None,
        *,
        region: Region | str | None = None,
        base_url: str | None = None,
        timeout: float | aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        connection_limit: int = DEFAULT_CONNECTION_LIMIT,
        session: aiohttp.ClientSession | None = None,
        headers: Mapping[str, str] | None = None,
        token_cache: TokenCache | None = None,
        jwt_public_key: str | bytes | None = None,
        tracker_key: str | None = None,
        allow_insecure_http: bool = False,
        rate_limit: RateLimit | RateLimiter | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if auth is not None and not isinstance(auth, Auth):
            raise ConfigurationError(
                f"auth must be WorkspaceAuth, BasicAuth, ProfileAuth, AnonymousProfileAuth, "
                f"UserAuth or TokenAuth, not {type(auth).__name__}"
            )
        if max_concurrency < 1 or connection_limit < 1:
            raise ConfigurationError("max_concurrency and connection_limit must be >= 1")
        self._base_url = resolve_base_url(region, base_url, allow_insecure_http=allow_insecure_http)
        self._auth = auth
        self._static_auth_header = auth.static_header() if auth is not None else None
        self._timeout = _attempt_timeout(timeout)
        self._retry = _retry_policy(retry) if retry is not None else RetryPolicy()
        self._max_concurrency = max_concurrency
        self._connection_limit = connection_limit
        # The client's own session adds Accept and User-Agent as aiohttp's automatic headers
        # (see _OwnSessionRequest); a caller's session gets them with every request.
        self._headers = {} if session is None else dict(_SDK_HEADERS)
        if headers is not None:
            self._headers.update(_header_map(headers))
        self._token_cache = token_cache
        self._jwt_public_key = jwt_public_key
        self._tracker_key = tracker_key
        self._clock = clock
        self._sleep = sleep
        self._random = random.random
        self._shared = _Shared(owns_session=session is None, session=session)
        self._root: weakref.ref[SyneriseClient] = weakref.ref(self)
        """The client views are made from (a view's copy keeps it): logins use its options,
        not those of whichever view happened to need the first token."""
        self._last_authorized: tuple[tuple[Token | None, float], object, Mapping[str, str]] = (
            (None, float("-inf")),
            None,
            {},
        )
        """The token manager's last ``held`` (token, refresh time), the headers and those
        headers with that token: most requests carry the client's headers unchanged, so the
        dict is built once per token, not per call, and a call checks it without a lookup."""
        self._static_requests: dict[int, PreparedRequest] = {}
        """Prepared requests of operations without parameters, by ``id(operation)`` (each
        holds its operation, so the id stays unique; this client's headers, base URL and
        tracker key are fixed, so they never go stale)."""
        # scale-out: the rate budget (None when off), waited for in _send_handling_auth and
        # told of each response in _send_once.
        self._rate_limiter: RateLimiter | None = limiter_for(rate_limit)

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """The API base URL requests go to."""
        return self._base_url

    @property
    def auth(self) -> Auth | None:
        """The authentication strategy (its secrets are never printed)."""
        return self._auth

    @property
    def stats(self) -> ClientStats:
        """Request and retry counters."""
        return self._shared.stats

    @property
    def auth_stats(self) -> AuthStats | None:
        """Login/refresh counters of the token manager, once one exists."""
        tokens = self._shared.tokens
        return None if tokens is None else tokens.stats

    @cached_property
    def events(self) -> EventsAPI:
        """Operations tagged ``events`` plus bulk delivery: ``await client.events.send_many(events)``."""
        from ._events import EventsAPI  # deferred: the client imports no resource module

        return EventsAPI(self)

    @property
    def is_closed(self) -> bool:
        return self._shared.closed

    def __repr__(self) -> str:
        state = "closed" if self._shared.closed else "open"
        return f"<SyneriseClient {self._base_url} auth={self._auth!r} {state}>"

    async def __aenter__(self) -> SyneriseClient:
        self._session_for_loop()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session (if the client created it). Safe to call twice.

        Raises :class:`SyneriseError` when called from another event loop than the one the
        client was used on (the session can only be closed there); the client stays open.
        """
        shared = self._shared
        if shared.closed:
            return
        if shared.loop is not None and shared.loop is not asyncio.get_running_loop():
            raise SyneriseError(
                "this SyneriseClient belongs to another event loop; close it from that loop"
            )
        shared.closed = True
        tokens = shared.tokens
        if tokens is not None:
            await tokens.aclose()
        if shared.owns_session and shared.session is not None:
            await shared.session.close()

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        shared = getattr(self, "_shared", None)
        if shared is None or shared.closed or not shared.owns_session or shared.session is None:
            return
        if self._is_view:
            return
        _warn(
            f"unclosed {self!r}: use 'async with SyneriseClient(...)' or 'await client.aclose()'",
            ResourceWarning,
            source=self,
        )

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | aiohttp.ClientTimeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SyneriseClient:
        """A view of this client with other per-call options, sharing its session and tokens.

        The options are checked like the constructor's (a bad value is a
        :class:`ConfigurationError`).
        """
        new_retry = _retry_policy(retry) if retry is not None else None
        new_timeout = _attempt_timeout(timeout) if timeout is not None else None
        new_headers = _header_map(headers) if headers is not None else None
        view = object.__new__(SyneriseClient)
        for name in _CLIENT_SLOTS:
            setattr(view, name, getattr(self, name))
        cached = GeneratedClient.CACHED_ATTRIBUTES  # resources bound to this client
        view.__dict__.update((k, v) for k, v in self.__dict__.items() if k not in cached)
        view._static_requests = {}  # prepared with this client's headers
        view._is_view = True
        if new_retry is not None:
            view._retry = new_retry
        if new_timeout is not None:
            view._timeout = new_timeout
        if new_headers:
            view._headers = {**self._headers, **new_headers}
        return view

    def _session_for_loop(self) -> aiohttp.ClientSession:
        shared = self._shared
        if shared.closed:
            raise ClientClosedError("this SyneriseClient is closed; create a new one")
        loop = asyncio.get_running_loop()
        if shared.loop is None:
            shared.loop = loop
            if shared.session is None:
                # Every request in flight holds a connection, so a pool of
                # min(connection_limit, max_concurrency) bounds both: no slots to count.
                limit = min(self._connection_limit, self._max_concurrency)
                shared.session_timeout = self._timeout
                shared.session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=limit, ttl_dns_cache=300),
                    request_class=_OwnSessionRequest,
                    timeout=self._timeout,
                    auto_decompress=True,
                )
            else:
                shared.slots = Slots(self._max_concurrency)
        elif shared.loop is not loop:
            raise SyneriseError(
                "this SyneriseClient belongs to another event loop; create one client per loop"
            )
        assert shared.session is not None
        return shared.session

    def _token_manager(self) -> TokenManager:
        shared = self._shared
        if shared.tokens is None:
            assert self._auth is not None
            root = self._root()
            shared.tokens = TokenManager(
                self._auth,
                root if root is not None else self,
                cache=self._token_cache,
                clock=self._clock,
                verify_key=self._jwt_public_key,
                # scale-out: a shared cache keeps one credential's tokens per deployment.
                namespace=self._base_url,
            )
        return shared.tokens

    # ------------------------------------------------------------------ the protocol

    def request(
        self,
        operation: Operation,
        kwargs: RequestParts | Mapping[str, Any] | None,
        parse: Callable[[RawResponse], T],
        options: RequestOptions | None = None,
    ) -> Coroutine[Any, Any, Response[T]]:
        """Run one generated operation through the pipeline; the whole response (see
        :class:`Transport`)."""
        return self.call(operation, kwargs, partial(_with_response, parse), options)

    def call(
        self,
        operation: Operation,
        kwargs: RequestParts | Mapping[str, Any] | None,
        parse: Callable[[RawResponse], T],
        options: RequestOptions | None = None,
    ) -> Coroutine[Any, Any, T]:
        """Run one generated operation through the pipeline; what ``parse`` makes of the
        response (see :class:`Transport`).

        A plain method that prepares the request (bad arguments raise here) and returns the
        coroutine that sends it, so the common call (no per-call options, no rate budget)
        runs as one coroutine, :meth:`_send_once`: it reads the credential when awaited and
        hands over to the login, retry and 401 layers only when it must.
        """
        if kwargs is None and options is None:
            # An operation without parameters: the same request every time, prepared once.
            prepared = self._static_requests.get(id(operation))
            if prepared is None:
                prepared = self._prepare(operation, None, None)
                self._static_requests[id(operation)] = prepared
        else:
            prepared = self._prepare(operation, kwargs, options)
        if options is None and prepared.authenticate and self._rate_limiter is None:
            return self._send_once(prepared, None, parse)
        return self._call_through_layers(prepared, parse, options)

    async def _call_through_layers(
        self,
        prepared: PreparedRequest,
        parse: Callable[[RawResponse], T],
        options: RequestOptions | None,
    ) -> T:
        """A call with per-call options, a rate budget, no credential or a login to wait for."""
        if options is None:
            raw = await self._send_with_retries(prepared, self._retry)
        else:
            policy = _call_policy(self._retry, options)
            if options.timeout is not None:
                raw = await self._send_within(prepared, policy, options.timeout)
            else:
                raw = await self._send_with_retries(prepared, policy)
        try:
            return parse(raw)
        except SyneriseError:
            raise
        except Exception as exc:
            raise self._validation_error(prepared, raw, exc) from exc

    def _validation_error(
        self, prepared: PreparedRequest, raw: RawResponse, exc: Exception
    ) -> APIResponseValidationError:
        """The typed error for a success that ``parse`` could not read."""
        operation = prepared.operation
        # Generated parsers add "while parsing <Model>" notes: they locate the mismatch.
        where = "; ".join(getattr(exc, "__notes__", ())[:3])
        return APIResponseValidationError(
            f"{operation.operation_id}: response body does not match the spec "
            f"({type(exc).__name__}: {_short(exc)}{'; ' + where if where else ''})",
            status_code=raw.status_code,
            body_excerpt=excerpt(raw.content),
            method=prepared.method,
            url=prepared.redacted_url,
            operation_id=operation.operation_id,
            request_id=request_id_from_headers(raw.headers),
        )

    def _prepare(
        self,
        operation: Operation,
        kwargs: RequestParts | Mapping[str, Any] | None,
        options: RequestOptions | None,
    ) -> PreparedRequest:
        if kwargs is None:
            parts = RequestParts(method=operation.method, url=operation.path)
        elif isinstance(kwargs, RequestParts):
            parts = kwargs
        else:
            parts = RequestParts.from_mapping(kwargs)
        return prepare(
            operation,
            parts,
            base_url=self._base_url,
            headers=self._headers,
            options=options,
            tracker_key=(
                self._tracker_key
                if self._tracker_key is not None and self._wants_tracker_key(operation)
                else None
            ),
        )

    async def auth_request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        bearer: str | None = None,
        api_version: str | None = None,
    ) -> Any:
        """An unauthenticated call made by an auth strategy (a login is always safe to repeat)."""
        operation = Operation(
            operation_id=_AUTH_OPERATION_PREFIX + path,
            method=method,
            path=path,
            tag="authorization",
            api_version=api_version,
            retry="safe",
        )
        parts = RequestParts(
            method=method,
            url=path,
            params=params or None,
            headers=None if bearer is None else {"Authorization": f"Bearer {bearer}"},
            json=json,
        )
        prepared = prepare(
            operation, parts, base_url=self._base_url, headers=self._headers, authenticate=False
        )
        raw = await self._send_with_retries(prepared, self._retry)
        if not raw.content:
            return None
        try:
            return raw.json()
        except orjson.JSONDecodeError as exc:
            raise APIResponseValidationError(
                f"{method} {path}: login response is not JSON",
                status_code=raw.status_code,
                body_excerpt=excerpt(raw.content),
                method=method,
                url=redact_url(self._base_url + path),
                operation_id=operation.operation_id,
                request_id=request_id_from_headers(raw.headers),
            ) from exc

    def _paginator(
        self,
        operation: object,
        params: dict[str, Any],
        *,
        max_items: int | None,
        prefetch: bool,
        raw: bool = False,
    ) -> AsyncPaginator[Any]:
        """The runtime of ``paginate``, whose per-operation item types are generated
        (``GeneratedClient.paginate`` in ``synerise_async.resources``)."""
        module = operation_module(operation)
        return AsyncPaginator(self, module, params, max_items=max_items, prefetch=prefetch, raw=raw)

    # ------------------------------------------------------------------ the pipeline

    async def _send_within(
        self, prepared: PreparedRequest, policy: RetryPolicy, call_timeout: float
    ) -> RawResponse:
        """``_send_with_retries`` bounded by the call's timeout (retries included)."""
        try:
            async with asyncio.timeout(call_timeout):
                return await self._send_with_retries(prepared, policy)
        except TimeoutError:
            pass
        # Raised outside the except block: the error carries no chained asyncio internals.
        raise APITimeoutError(
            f"{prepared.operation.operation_id}: no answer within the call's timeout of "
            f"{call_timeout} s (retries included)",
            method=prepared.method,
            url=prepared.redacted_url,
            operation_id=prepared.operation.operation_id,
        )

    async def _send_with_retries(
        self,
        prepared: PreparedRequest,
        policy: RetryPolicy,
        *,
        first: tuple[RawResponse | _Failure, Token | None] | None = None,
        started: float | None = None,
    ) -> RawResponse:
        """Attempts until one is final; a final failure or status >= 400 raises.

        ``first`` is the outcome of an attempt :meth:`_send_once` already made for
        :meth:`call` (and the token it carried), taken as this loop's first attempt;
        ``started`` is when the call began.
        """
        operation = prepared.operation
        stats = self._shared.stats
        if started is None:
            started = self._clock()
        attempts = 0
        retries = 0
        while True:
            outcome, made = await self._send_handling_auth(prepared, first)
            first = None
            attempts += made
            if isinstance(outcome, _Failure):
                delay = failure_retry_delay(
                    unsent=outcome.unsent,
                    retries=retries,
                    policy=policy,
                    repeat_safe=prepared.repeat_safe,
                    elapsed=self._clock() - started,
                    rand=self._random,
                )
                if delay is None:
                    break
                cause = outcome.cause
            else:
                status = outcome.status_code
                if status < 400:
                    if operation.deprecated or DEPRECATION_HEADER in outcome.headers:
                        self._warn_deprecated(operation, outcome.headers.get(DEPRECATION_HEADER))
                    return outcome
                now = self._clock()
                delay = status_retry_delay(
                    status,
                    outcome.headers,
                    retries=retries,
                    policy=policy,
                    repeat_safe=prepared.repeat_safe,
                    elapsed=now - started,
                    now=now,
                    rand=self._random,
                )
                if delay is None:
                    raise self._status_error(prepared, outcome, attempts)
                cause = str(status)
            stats.count_retry(cause)
            self._log_retry(operation, cause, attempts, delay)
            retries += 1
            await self._sleep(delay)
        # Chained to a scrubbed stand-in, raised outside any except block: the aiohttp
        # exception (whose request info holds the Authorization header) is in no chain.
        raise outcome.error(
            f"{operation.operation_id}: {outcome.reason}",
            method=prepared.method,
            url=prepared.redacted_url,
            operation_id=operation.operation_id,
            attempts=attempts,
        ) from scrubbed_cause(outcome.exc)

    async def _send_handling_auth(
        self,
        prepared: PreparedRequest,
        first: tuple[RawResponse | _Failure, Token | None] | None = None,
    ) -> tuple[RawResponse | _Failure, int]:
        """One attempt with the credential attached; after a 401, one replay with a new token.

        ``first``: the attempt was already made (by :meth:`_send_once`, for :meth:`call`);
        only its 401 is handled.
        Returns the outcome and the number of HTTP attempts made (1 or 2).
        """
        # The rate budget is waited for before the credential is attached, so a long wait
        # cannot make the request carry a token that expired meanwhile.
        limiter = self._rate_limiter
        if first is not None:
            outcome, token = first
        else:
            if limiter is not None:
                await limiter.acquire()
            if not prepared.authenticate:
                return await self._send_once(prepared, prepared.headers), 1
            headers, token = await self._authorize(prepared)
            outcome = await self._send_once(prepared, headers)
        if (
            token is None
            or isinstance(outcome, _Failure)
            or outcome.status_code != 401
            or not self._can_reauthenticate()
        ):
            return outcome, 1
        # The token we attached was rejected: drop exactly it, log in once, replay once.
        self._shared.stats.replays_after_401 += 1
        await self._token_manager().invalidate(token)
        if limiter is not None:
            await limiter.acquire()
        headers, token = await self._authorize(prepared)
        return await self._send_once(prepared, headers), 2

    @overload
    async def _send_once(
        self, prepared: PreparedRequest, headers: Mapping[str, str]
    ) -> RawResponse | _Failure: ...

    @overload
    async def _send_once(
        self, prepared: PreparedRequest, headers: None, parse: Callable[[RawResponse], T]
    ) -> T: ...

    async def _send_once(
        self,
        prepared: PreparedRequest,
        headers: Mapping[str, str] | None,
        parse: Callable[[RawResponse], Any] | None = None,
    ) -> Any:
        """One HTTP attempt, within ``max_concurrency``; no response -> a ``_Failure``.

        Given ``parse`` (by :meth:`call`, with no ``headers``), it is the whole call: the
        credential is read now, a success is parsed, and any other outcome is the first
        attempt of :meth:`_send_with_retries`, whose answer is parsed. A call that must
        first wait for a login goes to :meth:`_call_through_layers` instead.
        """
        # Unpacked once: a named tuple's fields cost a generic attribute lookup each.
        operation, method, url, query, base_headers, body, _, _ = prepared
        shared = self._shared
        token: Token | None = None
        started = 0.0
        if headers is None:
            started = self._clock()
            held, cached_base, cached = self._last_authorized
            tokens = shared.tokens
            if (
                tokens is not None
                and tokens.held is held
                and base_headers is cached_base
                and started < held[1]
                and operation.security
            ):
                # The common call: the token last attached is still fresh (see _authorize_now).
                headers, token = cached, held[0]
            else:
                found = self._authorize_now(prepared, started)
                if found is None:
                    return await self._call_through_layers(prepared, parse, None)  # type: ignore[arg-type]
                headers, token = found
        if shared.loop is not get_running_loop() or shared.closed:
            self._session_for_loop()  # binds the first loop, or raises why it cannot
        session = shared.session
        assert session is not None
        # Only a caller's session needs slots: the client's own pool is already that small.
        slots = shared.slots
        if slots is not None and not slots.try_acquire():
            await slots.acquire()
        timeout = self._timeout
        failure: _Failure | None = None
        try:
            shared.stats.requests += 1
            # aiohttp takes about 2.9k fewer instructions per request (of ~360k) when given
            # only what differs from the session's defaults.
            if body is None and not query and timeout is shared.session_timeout:
                context = session.request(method, url, headers=headers)
            else:
                context = session.request(
                    method,
                    url,
                    params=query,
                    # A form can be sent only once: each attempt builds its own.
                    data=body.build() if isinstance(body, FormBody) else body,
                    headers=headers,
                    timeout=timeout,
                )
            async with context as resp:
                content = await resp.read()
                status = resp.status
                resp_headers = resp.headers
        except (TimeoutError, aiohttp.ClientError) as exc:
            failure = _classify_failure(exc)
        finally:
            if slots is not None:
                slots.release()
        # Past the except block: whatever follows raises with no aiohttp exception in its
        # context (its request info holds the Authorization header).
        if failure is not None:
            if parse is None:
                return failure
            raw = await self._send_with_retries(
                prepared, self._retry, first=(failure, token), started=started
            )
        else:
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("%s %s -> %d", method, prepared.redacted_url, status)
            limiter = self._rate_limiter
            if limiter is not None:
                await limiter.on_response(status)  # a 429 cuts the (shared) budget
            raw = RawResponse(status, resp_headers, content)
            if parse is None:
                return raw
            if status >= 400:
                raw = await self._send_with_retries(
                    prepared, self._retry, first=(raw, token), started=started
                )
            elif operation.deprecated or DEPRECATION_HEADER in resp_headers:
                self._warn_deprecated(operation, resp_headers.get(DEPRECATION_HEADER))
        try:
            return parse(raw)
        except SyneriseError:
            raise
        except Exception as exc:
            raise self._validation_error(prepared, raw, exc) from exc

    def _wants_tracker_key(self, operation: Operation) -> bool:
        if self._tracker_key is None or "TrackerKey" not in operation.security:
            return False
        if self._auth is None:
            return True
        return not ({"JWT", "Basic"} & set(operation.security))

    def _authorize_now(
        self, prepared: PreparedRequest, now: float
    ) -> tuple[Mapping[str, str], Token | None] | None:
        """The attempt's headers with the credential and the token used (for a 401 replay),
        or ``None`` when a token must first be fetched (then :meth:`_authorize` awaits it).

        Synchronous, so the common call (a fresh token in hand) creates no coroutine.
        """
        operation = prepared.operation
        tokens = self._shared.tokens  # exists once a token auth has logged in
        if tokens is not None and operation.security:
            held = tokens.held  # tokens.fresh() without the call
            token, soft_at = held
            if token is None or now >= soft_at:
                return None
            headers = prepared.headers
            last = self._last_authorized
            if last[0] is held and last[1] is headers:
                return last[2], token  # read-only: aiohttp copies the headers it is given
            authorized = {**headers, "Authorization": "Bearer " + token.value}
            self._last_authorized = (held, headers, authorized)
            return authorized, token
        if self._auth is None or not operation.security:
            return prepared.headers, None
        static = self._static_auth_header
        if static is None:
            return None  # a token auth before its first login: _authorize awaits one
        if "Basic" not in operation.security:
            raise ConfigurationError(
                f"{operation.operation_id} does not accept Basic auth (accepts: "
                f"{', '.join(operation.security)}); use a JWT-based auth such as WorkspaceAuth"
            )
        return {**prepared.headers, "Authorization": static}, None

    async def _authorize(self, prepared: PreparedRequest) -> tuple[Mapping[str, str], Token | None]:
        """Like :meth:`_authorize_now`, waiting for a login or refresh when one is needed."""
        found = self._authorize_now(prepared, self._clock())
        if found is not None:
            return found
        token = await (self._shared.tokens or self._token_manager()).token()
        return {**prepared.headers, "Authorization": "Bearer " + token.value}, token

    def _can_reauthenticate(self) -> bool:
        return self._auth is not None and self._auth.reauthenticates

    def _status_error(self, prepared: PreparedRequest, raw: RawResponse, attempts: int) -> APIError:
        operation = prepared.operation
        status, headers, content = raw.status_code, raw.headers, raw.content
        body = parse_error_body(content)
        detail = (body.message or body.error) if body is not None else None
        text = detail if detail else excerpt(content) or "no body"
        cls = status_error_class(status)
        message = f"{operation.operation_id}: HTTP {status}: {text}"
        common: dict[str, Any] = {
            "status_code": status,
            "headers": headers,
            "body": body,
            "body_excerpt": excerpt(content),
            "method": prepared.method,
            "url": prepared.redacted_url,
            "operation_id": operation.operation_id,
            "attempts": attempts,
            "request_id": request_id_from_headers(headers),
        }
        if cls is RateLimitError:
            return RateLimitError(
                message, retry_after=parse_retry_after(headers, self._clock()), **common
            )
        return cls(message, **common)

    def _warn_deprecated(self, operation: Operation, notice: str | None) -> None:
        warned = self._shared.warned_deprecations
        if operation.operation_id in warned:
            return
        warned.add(operation.operation_id)
        reason = f": {notice}" if notice else ""
        warnings.warn(
            f"Synerise marks {operation.method} {operation.path} ({operation.operation_id}) "
            f"as deprecated{reason}",
            DeprecationWarning,
            stacklevel=_outside_package_stacklevel(),
        )

    @staticmethod
    def _log_retry(operation: Operation, cause: str, attempts: int, delay: float) -> None:
        logger.debug(
            "%s: retrying after %s (attempt %d) in %.3f s",
            operation.operation_id,
            cause,
            attempts,
            delay,
        )


def _outside_package_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning raised by this function's caller name the
    first line outside ``synerise_async``: the line that called the operation, however many
    of the package's frames (resource method, ``asyncio`` function, client) lie between."""
    level = 2  # the caller's caller: the first frame that may be outside the package
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_PACKAGE_PREFIX):
        frame = frame.f_back
        level += 1
    return level


_PACKAGE_PREFIX: Final = __name__.partition(".")[0] + "."
_CLIENT_SLOTS: Final = tuple(name for name in SyneriseClient.__slots__ if not name.startswith("__"))


def _with_response(parse: Callable[[RawResponse], T], raw: RawResponse) -> Response[T]:
    return Response(raw.status_code, raw.headers, raw.content, parse(raw))


def _attempt_timeout(timeout: object) -> aiohttp.ClientTimeout:
    """The per-attempt timeout from seconds or an ``aiohttp.ClientTimeout``, checked."""
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise ConfigurationError(
            f"timeout must be seconds or an aiohttp.ClientTimeout, not {type(timeout).__name__}"
        )
    if not timeout > 0 or timeout == float("inf"):
        raise ConfigurationError(f"timeout must be > 0 seconds, got {timeout!r}")
    return aiohttp.ClientTimeout(total=timeout)


def _retry_policy(retry: object) -> RetryPolicy:
    if not isinstance(retry, RetryPolicy):
        raise ConfigurationError(f"retry must be a RetryPolicy, not {type(retry).__name__}")
    return retry


def _header_map(headers: object) -> dict[str, str]:
    if not isinstance(headers, Mapping):
        raise ConfigurationError(f"headers must be a mapping, not {type(headers).__name__}")
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ConfigurationError(
                f"headers must map str to str; {name!r} maps to a {type(value).__name__}"
            )
    return dict(headers)


def _call_policy(policy: RetryPolicy, options: RequestOptions) -> RetryPolicy:
    """The client's policy with the call's ``max_retries``; also checks the call's timeout."""
    if options.timeout is not None and (
        isinstance(options.timeout, bool)
        or not isinstance(options.timeout, int | float)
        or not options.timeout > 0
    ):
        raise ConfigurationError(f"timeout must be > 0 seconds, got {options.timeout!r}")
    if options.max_retries is None:
        return policy
    if (
        isinstance(options.max_retries, bool)
        or not isinstance(options.max_retries, int)
        or options.max_retries < 0
    ):
        raise ConfigurationError(f"max_retries must be an int >= 0, got {options.max_retries!r}")
    return attrs.evolve(policy, max_retries=options.max_retries)


def _classify_failure(exc: BaseException) -> _Failure:
    """Map an aiohttp/asyncio exception to our error class, noting whether it was surely unsent."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _Failure(
            APIConnectionError,
            f"cannot connect: {scrubbed_cause(exc).message}",
            unsent=True,
            cause="connect",
            exc=exc,
        )
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return _Failure(
            APITimeoutError, "request timed out", unsent=False, cause="timeout", exc=exc
        )
    return _Failure(
        APIConnectionError,
        f"connection failed: {type(exc).__name__}",
        unsent=False,
        cause="connection",
        exc=exc,
    )


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 1] + "…"
