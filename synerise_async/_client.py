"""SyneriseClient: owns the aiohttp session and runs the request pipeline for every call.

One call goes: resolve the URL against the region -> normalise parameters and encode the
body (orjson) -> obtain a credential (one login in flight for all callers) -> take a
concurrency slot -> send -> on 429 and safe-to-repeat failures back off and retry ->
map status >= 400 to a typed error -> hand the bytes to the generated parser.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import random
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from types import ModuleType, TracebackType
from typing import Any, Final, TypeVar

import aiohttp
import attrs
import orjson

from ._auth import Auth, AuthStats, Token, TokenCache, TokenManager
from ._encoding import SECRET_PARAMS, encode_query, redact_url
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    ConfigurationError,
    RateLimitError,
    SyneriseError,
    excerpt,
    parse_error_body,
    status_error_class,
)
from ._events import EventsAPI
from ._pagination import AsyncPaginator
from ._ratelimit import RateLimit, RateLimiter, limiter_for
from ._regions import Region, resolve_base_url
from ._retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from ._transport import Operation, RawResponse, RequestOptions, Response
from ._version import __version__

__all__ = ["ClientStats", "SyneriseClient"]

T = TypeVar("T")

logger = logging.getLogger("synerise_async")

DEFAULT_TIMEOUT: Final = 30.0
DEFAULT_MAX_CONCURRENCY: Final = 64
DEFAULT_CONNECTION_LIMIT: Final = 100
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
USER_AGENT: Final = (
    f"synerise-async/{__version__} python/{platform.python_version()} aiohttp/{aiohttp.__version__}"
)
_AUTH_OPERATION_PREFIX: Final = "auth:"


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
    slots: asyncio.Semaphore | None = None
    tokens: TokenManager | None = None
    warned_deprecations: set[str] = attrs.field(factory=set)
    stats: ClientStats = attrs.field(factory=ClientStats)


class _Failure(Exception):
    """An attempt that produced no HTTP response (internal to the retry loop)."""

    def __init__(
        self, error: type[APIConnectionError], reason: str, *, unsent: bool, cause: str
    ) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason
        self.unsent = unsent
        self.cause = cause


class SyneriseClient:
    """An asynchronous client for the Synerise API.

    Use it as an async context manager (or call :meth:`aclose`)::

        async with SyneriseClient(WorkspaceAuth(api_key=key), region=Region.AZURE_EU) as client:
            workflows = await get_paginated_diagrams.asyncio(client=client, page=1, limit=50)

    Every generated operation takes the client as ``client=``. Keyword options:

    - ``region``: a :class:`Region` or a name (``"eu"``, ``"us"``, ``"gcp"``);
      ``base_url`` overrides it (a proxy or the fake server). With neither,
      ``SYNERISE_BASE_URL`` / ``SYNERISE_REGION`` are read, then Azure EU.
    - ``timeout``: seconds for one attempt (or an ``aiohttp.ClientTimeout``).
    - ``retry``: a :class:`RetryPolicy`; per call via :meth:`with_options`.
    - ``max_concurrency``: requests in flight at once, on top of the connection pool.
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
        if isinstance(timeout, int | float) and timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, got {timeout!r}")
        self._base_url = resolve_base_url(region, base_url, allow_insecure_http=allow_insecure_http)
        self._auth = auth
        self._static_auth_header = auth.static_header() if auth is not None else None
        self._timeout = (
            timeout
            if isinstance(timeout, aiohttp.ClientTimeout)
            else aiohttp.ClientTimeout(total=timeout)
        )
        self._retry = retry if retry is not None else RetryPolicy()
        self._max_concurrency = max_concurrency
        self._connection_limit = connection_limit
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if headers:
            self._headers.update(headers)
        self._token_cache = token_cache
        self._jwt_public_key = jwt_public_key
        self._tracker_key = tracker_key
        self._clock = clock
        self._sleep = sleep
        self._random = random.random
        self._shared = _Shared(owns_session=session is None, session=session)
        # scale-out: the rate budget (None when off); see the two calls in _send.
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

    @property
    def events(self) -> EventsAPI:
        """Bulk event delivery: ``await client.events.send_many(events)``."""
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
        """Close the session (if the client created it). Safe to call twice."""
        shared = self._shared
        if shared.closed:
            return
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
        """A view of this client with other per-call options, sharing its session and tokens."""
        view = object.__new__(SyneriseClient)
        view.__dict__.update(self.__dict__)
        view._is_view = True
        if retry is not None:
            view._retry = retry
        if timeout is not None:
            view._timeout = (
                timeout
                if isinstance(timeout, aiohttp.ClientTimeout)
                else aiohttp.ClientTimeout(total=timeout)
            )
        if headers:
            view._headers = {**self._headers, **headers}
        return view

    def _session_for_loop(self) -> aiohttp.ClientSession:
        shared = self._shared
        if shared.closed:
            raise SyneriseError("this SyneriseClient is closed")
        loop = asyncio.get_running_loop()
        if shared.loop is None:
            shared.loop = loop
            shared.slots = asyncio.Semaphore(self._max_concurrency)
            if shared.session is None:
                shared.session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=self._connection_limit, ttl_dns_cache=300),
                    timeout=self._timeout,
                    auto_decompress=True,
                )
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
            shared.tokens = TokenManager(
                self._auth,
                self,
                cache=self._token_cache,
                clock=self._clock,
                verify_key=self._jwt_public_key,
                # scale-out: a shared cache keeps one credential's tokens per deployment.
                namespace=self._base_url,
            )
        return shared.tokens

    # ------------------------------------------------------------------ the protocol

    async def request(
        self,
        operation: Operation,
        kwargs: dict[str, Any],
        parse: Callable[[RawResponse], T],
        options: RequestOptions | None = None,
    ) -> Response[T]:
        """Run one generated operation through the pipeline (see :class:`Transport`)."""
        if options is None:
            raw = await self._send(operation, kwargs)
        else:
            raw = await self._send_with_options(operation, kwargs, options)
        try:
            parsed = parse(raw)
        except SyneriseError:
            raise
        except Exception as exc:
            # Generated parsers add "while parsing <Model>" notes: they locate the mismatch.
            where = "; ".join(getattr(exc, "__notes__", ())[:3])
            raise APIResponseValidationError(
                f"{operation.operation_id}: response body does not match the spec "
                f"({type(exc).__name__}: {_short(exc)}{'; ' + where if where else ''})",
                status_code=raw.status_code,
                body_excerpt=excerpt(raw.content),
                method=operation.method,
                url=redact_url(self._base_url + kwargs["url"]),
                operation_id=operation.operation_id,
            ) from exc
        return Response(
            status_code=raw.status_code, headers=raw.headers, content=raw.content, parsed=parsed
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
        kwargs: dict[str, Any] = {"method": method, "url": path}
        if json is not None:
            kwargs["json"] = json
        if params:
            kwargs["params"] = dict(params)
        if bearer is not None:
            kwargs["headers"] = {"Authorization": f"Bearer {bearer}"}
        raw = await self._send(operation, kwargs, authenticate=False)
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
            ) from exc

    def paginate(
        self,
        operation: ModuleType,
        *,
        max_items: int | None = None,
        prefetch: bool = False,
        **params: Any,
    ) -> AsyncPaginator[Any]:
        """Iterate every item of a paginated operation: ``async for item in client.paginate(op)``.

        ``await`` the result for the first page only; ``.pages()`` iterates pages.
        """
        return AsyncPaginator(self, operation, params, max_items=max_items, prefetch=prefetch)

    # ------------------------------------------------------------------ the pipeline

    async def _send_with_options(
        self, operation: Operation, kwargs: dict[str, Any], options: RequestOptions
    ) -> RawResponse:
        """Apply per-call options, then send; ``options.timeout`` bounds every attempt."""
        if options.extra_headers:
            kwargs = {
                **kwargs,
                "headers": {**(kwargs.get("headers") or {}), **options.extra_headers},
            }
        if options.extra_query:
            kwargs = {**kwargs, "params": {**(kwargs.get("params") or {}), **options.extra_query}}
        policy = self._retry
        if options.max_retries is not None:
            if options.max_retries < 0:
                raise ConfigurationError(f"max_retries must be >= 0, got {options.max_retries!r}")
            policy = attrs.evolve(policy, max_retries=options.max_retries)
        if options.timeout is None:
            return await self._send(operation, kwargs, policy=policy)
        if options.timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, got {options.timeout!r}")
        try:
            async with asyncio.timeout(options.timeout):
                return await self._send(operation, kwargs, policy=policy)
        except TimeoutError:
            raise APITimeoutError(
                f"{operation.operation_id}: no answer within the call's timeout of "
                f"{options.timeout} s (retries included)",
                method=operation.method,
                url=redact_url(self._base_url + kwargs["url"]),
                operation_id=operation.operation_id,
            ) from None

    async def _send(
        self,
        operation: Operation,
        kwargs: dict[str, Any],
        *,
        authenticate: bool = True,
        policy: RetryPolicy | None = None,
    ) -> RawResponse:
        session = self._session_for_loop()
        shared = self._shared
        slots = shared.slots
        assert slots is not None
        method: str = kwargs["method"].upper()
        url = self._base_url + kwargs["url"]
        params = kwargs.get("params")
        if "query" in kwargs:
            # Pre-encoded pairs from a server-provided next link: sent as given.
            query: list[tuple[str, str]] = list(kwargs["query"])
        else:
            if params and operation.query_types:
                _check_query_types(operation, params)
            query = encode_query(params)
        headers = self._request_headers(operation, kwargs)
        body = self._encode_body(kwargs, headers)
        _check_body_limits(operation, kwargs, body)
        needs_tracker_key = authenticate and self._wants_tracker_key(operation)
        authenticate = authenticate and not needs_tracker_key
        if needs_tracker_key:
            assert self._tracker_key is not None
            query.append(("token", self._tracker_key))
        if policy is None:
            policy = self._retry
        started = self._clock()
        attempts = 0
        retries = 0
        replayed = False
        while True:
            attempts += 1
            # scale-out: one wait for the rate budget before each attempt (before the
            # token is attached, so a long wait cannot make the request carry a stale one) ...
            limiter = self._rate_limiter
            if limiter is not None:
                await limiter.acquire()
            token: Token | None = None
            if authenticate:
                token = await self._authorize(operation, headers)
            try:
                async with slots:
                    shared.stats.requests += 1
                    data = body.build() if isinstance(body, _FormBody) else body
                    async with session.request(
                        method, url, params=query, data=data, headers=headers, timeout=self._timeout
                    ) as resp:
                        content = await resp.read()
                        status = resp.status
                        resp_headers = resp.headers
            except (TimeoutError, aiohttp.ClientError) as exc:
                failure = _classify_failure(exc)
                if retries < policy.max_retries and self._safe_to_repeat(
                    operation, method, kwargs, failure.unsent
                ):
                    delay = policy.backoff(retries, self._random)
                    if self._within_deadline(policy, started, delay):
                        shared.stats.count_retry(failure.cause)
                        self._log_retry(operation, failure.cause, attempts, delay)
                        retries += 1
                        await self._sleep(delay)
                        continue
                raise failure.error(
                    f"{operation.operation_id}: {failure.reason}",
                    method=method,
                    url=redact_url(url, query),
                    operation_id=operation.operation_id,
                    attempts=attempts,
                ) from exc
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s -> %d (attempt %d)", method, redact_url(url, query), status, attempts
                )
            # scale-out: ... and one report after each response (a 429 cuts the budget).
            if limiter is not None:
                await limiter.on_response(status)
            if status == 401 and token is not None and not replayed and self._can_reauthenticate():
                # The token we attached was rejected: drop exactly it, log in once, replay once.
                replayed = True
                shared.stats.replays_after_401 += 1
                await self._token_manager().invalidate(token)
                continue
            if status in RETRYABLE_STATUSES:
                wait = self._retry_delay(
                    operation, method, kwargs, status, resp_headers, policy, retries
                )
                if wait is not None and self._within_deadline(policy, started, wait):
                    shared.stats.count_retry(str(status))
                    self._log_retry(operation, str(status), attempts, wait)
                    retries += 1
                    await self._sleep(wait)
                    continue
            if status >= 400:
                raise self._status_error(
                    operation,
                    method,
                    redact_url(url, query),
                    status,
                    resp_headers,
                    content,
                    attempts,
                )
            if operation.deprecated or "X-API-DEPRECATED" in resp_headers:
                self._warn_deprecated(operation, resp_headers.get("X-API-DEPRECATED"))
            return RawResponse(status, resp_headers, content)

    def _request_headers(self, operation: Operation, kwargs: Mapping[str, Any]) -> dict[str, str]:
        headers = dict(self._headers)
        extra = kwargs.get("headers")
        if extra:
            headers.update({k: str(v) for k, v in extra.items()})
        if operation.api_version is not None:
            headers["Api-Version"] = operation.api_version
        return headers

    @staticmethod
    def _encode_body(
        kwargs: Mapping[str, Any], headers: dict[str, str]
    ) -> bytes | _FormBody | None:
        if "json" in kwargs:
            headers["Content-Type"] = "application/json"
            try:
                return orjson.dumps(kwargs["json"], option=orjson.OPT_NON_STR_KEYS)
            except TypeError as exc:
                raise ConfigurationError(f"request body is not JSON-serialisable: {exc}") from exc
        if "content" in kwargs:
            content = kwargs["content"]
            return content.encode() if isinstance(content, str) else bytes(content)
        if "files" in kwargs or "data" in kwargs:
            headers.pop("Content-Type", None)  # aiohttp writes the multipart boundary itself
            return _FormBody.from_kwargs(kwargs)
        return None

    def _wants_tracker_key(self, operation: Operation) -> bool:
        if self._tracker_key is None or "TrackerKey" not in operation.security:
            return False
        if self._auth is None:
            return True
        return not ({"JWT", "Basic"} & set(operation.security))

    async def _authorize(self, operation: Operation, headers: dict[str, str]) -> Token | None:
        """Attach the credential; return the token used (for a replay after 401), if any."""
        auth = self._auth
        if auth is None or not operation.security:
            return None
        static = self._static_auth_header
        if static is not None:
            if "Basic" not in operation.security:
                raise ConfigurationError(
                    f"{operation.operation_id} does not accept Basic auth (accepts: "
                    f"{', '.join(operation.security)}); use a JWT-based auth such as WorkspaceAuth"
                )
            headers["Authorization"] = static
            return None
        tokens = self._shared.tokens or self._token_manager()
        token = tokens.fresh() or await tokens.token()
        headers["Authorization"] = f"Bearer {token.value}"
        return token

    def _can_reauthenticate(self) -> bool:
        return self._auth is not None and self._auth.reauthenticates

    def _safe_to_repeat(
        self, operation: Operation, method: str, kwargs: Mapping[str, Any], unsent: bool
    ) -> bool:
        """Whether sending the request again cannot apply it twice."""
        if unsent or method in IDEMPOTENT_METHODS or operation.retry == "safe":
            return True
        if operation.retry == "event-salt":
            return _all_salted(kwargs.get("json"))
        return False

    def _retry_delay(
        self,
        operation: Operation,
        method: str,
        kwargs: Mapping[str, Any],
        status: int,
        headers: Mapping[str, str],
        policy: RetryPolicy,
        retries: int,
    ) -> float | None:
        """Seconds to wait before retrying a retryable status, or ``None`` not to retry."""
        if retries >= policy.max_retries:
            return None
        retry_after = parse_retry_after(headers, self._clock())
        if status == 429:
            if retry_after is not None and retry_after > policy.max_retry_after:
                return None
            # A 429 was not processed: always safe to send again.
            return retry_after if retry_after is not None else policy.backoff(retries, self._random)
        if not self._safe_to_repeat(operation, method, kwargs, unsent=False):
            return None
        backoff = policy.backoff(retries, self._random)
        if retry_after is not None and retry_after <= policy.max_retry_after:
            return max(backoff, retry_after)
        return backoff

    def _within_deadline(self, policy: RetryPolicy, started: float, delay: float) -> bool:
        if policy.deadline is None:
            return True
        return self._clock() + delay - started < policy.deadline

    def _status_error(
        self,
        operation: Operation,
        method: str,
        url: str,
        status: int,
        headers: Mapping[str, str],
        content: bytes,
        attempts: int,
    ) -> APIError:
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
            "method": method,
            "url": url,
            "operation_id": operation.operation_id,
            "attempts": attempts,
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
            stacklevel=4,
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


_QUERY_TYPE_CHECKS: Final[dict[str, Callable[[Any], bool]]] = {
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list | tuple),
    "object": lambda v: isinstance(v, Mapping),
}


def _check_query_types(operation: Operation, params: Mapping[str, Any]) -> None:
    """Refuse, before sending, query values whose type the spec does not allow."""
    for name, value in params.items():
        expected = operation.query_types.get(name)
        check = _QUERY_TYPE_CHECKS.get(expected) if expected else None
        if check is not None and value is not None and not check(value):
            if name.lower() in SECRET_PARAMS:
                shown = "***"
            else:
                shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
            raise ConfigurationError(
                f"{operation.operation_id}: query parameter {name!r} must be {expected}, "
                f"got {type(value).__name__} {shown}"
            )


def _check_body_limits(operation: Operation, kwargs: Mapping[str, Any], body: object) -> None:
    """Refuse, before sending, bodies over the documented item or size limits."""
    limit = operation.max_items
    payload = kwargs.get("json")
    if limit is not None and isinstance(payload, list) and len(payload) > limit:
        raise ConfigurationError(
            f"{operation.operation_id}: {len(payload)} items exceed the documented maximum of {limit} "
            "per request; split them (client.events.send_many does this for events)"
        )
    size_limit = operation.max_body_bytes
    if size_limit is not None and isinstance(body, bytes) and len(body) > size_limit:
        raise ConfigurationError(
            f"{operation.operation_id}: request body of {len(body)} bytes exceeds the documented "
            f"limit of {size_limit} bytes"
        )


@attrs.frozen
class _FormBody:
    """A multipart body kept as fields, so each attempt gets a fresh ``aiohttp.FormData``
    (a FormData can be sent only once, and a retry must resend the same bytes)."""

    fields: tuple[tuple[str, bytes | str, str | None, str | None], ...]

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> _FormBody:
        fields: list[tuple[str, bytes | str, str | None, str | None]] = [
            (name, str(value), None, None) for name, value in (kwargs.get("data") or {}).items()
        ]
        for name, file in kwargs.get("files") or []:
            filename, payload, content_type = file[0], file[1], file[2]
            if hasattr(payload, "read"):
                payload = payload.read()
            fields.append((name, payload, filename, content_type))
        return cls(tuple(fields))

    def build(self) -> aiohttp.FormData:
        form = aiohttp.FormData()
        for name, value, filename, content_type in self.fields:
            form.add_field(name, value, filename=filename, content_type=content_type)
        return form


def _all_salted(body: Any) -> bool:
    """True when every event in a JSON body carries an ``eventSalt`` (overwrite, not duplicate)."""
    if isinstance(body, dict):
        return bool(body.get("eventSalt"))
    if isinstance(body, list) and body:
        return all(isinstance(item, dict) and bool(item.get("eventSalt")) for item in body)
    return False


def _classify_failure(exc: BaseException) -> _Failure:
    """Map an aiohttp/asyncio exception to our error class, noting whether it was surely unsent."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _Failure(
            APIConnectionError, f"cannot connect: {_short(exc)}", unsent=True, cause="connect"
        )
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return _Failure(APITimeoutError, "request timed out", unsent=False, cause="timeout")
    return _Failure(
        APIConnectionError,
        f"connection failed: {type(exc).__name__}",
        unsent=False,
        cause="connection",
    )


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 1] + "…"
