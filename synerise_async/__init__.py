"""synerise-async: the asyncio-first Python SDK for the Synerise REST API.

The public surface is re-exported here; implementation lives in private modules
(``_client``, ``_auth``, ...). Generated operations live in ``synerise_async.api`` and
models in ``synerise_async.models`` (both produced by ``make generate``).
"""

import logging
from typing import TYPE_CHECKING, Any

# A library never configures logging; the NullHandler keeps Python's last-resort handler
# from printing our debug records when the application has set up none.
logging.getLogger(__name__).addHandler(logging.NullHandler())

if TYPE_CHECKING:
    from ._auth import (
        AnonymousProfileAuth,
        Auth,
        BasicAuth,
        FileTokenCache,
        MemoryTokenCache,
        ProfileAuth,
        Token,
        TokenAuth,
        TokenCache,
        UserAuth,
        WorkspaceAuth,
    )
    from ._client import ClientStats, SyneriseClient
    from ._errors import (
        APIConnectionError,
        APIError,
        APIResponseValidationError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ClientClosedError,
        ConfigurationError,
        ConflictError,
        ErrorBody,
        ErrorDetail,
        InternalServerError,
        NotFoundError,
        PaginationError,
        PermissionDeniedError,
        RateLimitError,
        ResponseFieldError,
        SyneriseError,
        TransportFailure,
        UnexpectedStatusError,
        UnprocessableEntityError,
    )
    from ._event_report import (
        FailedEvent,
        SendAborted,
        SendProgress,
        SendReport,
        replay_events,
    )
    from ._events import EventsAPI, ReplayUnsafeWarning
    from ._pagination import AsyncPaginator, Page
    from ._ratelimit import AdaptiveRateLimiter, ClientRateLimited, RateLimit, RateLimiter
    from ._redis import RedisRateLimiter, RedisTokenCache
    from ._regions import Region
    from ._retry import RetryPolicy
    from ._transport import Operation, Pagination, RequestParts, Response
    from ._version import __version__

# Names resolve on first access (PEP 562), so importing one generated operation does not
# pay for aiohttp, PyJWT and cryptography until a client is actually used.
_LAZY: dict[str, str] = {
    "APIConnectionError": "_errors",
    "APIError": "_errors",
    "APIResponseValidationError": "_errors",
    "APIStatusError": "_errors",
    "APITimeoutError": "_errors",
    "AdaptiveRateLimiter": "_ratelimit",
    "AnonymousProfileAuth": "_auth",
    "AsyncPaginator": "_pagination",
    "Auth": "_auth",
    "AuthenticationError": "_errors",
    "BadRequestError": "_errors",
    "BasicAuth": "_auth",
    "ClientClosedError": "_errors",
    "ClientRateLimited": "_ratelimit",
    "ClientStats": "_client",
    "ConfigurationError": "_errors",
    "ConflictError": "_errors",
    "ErrorBody": "_errors",
    "ErrorDetail": "_errors",
    "EventsAPI": "_events",
    "FailedEvent": "_event_report",
    "FileTokenCache": "_auth",
    "InternalServerError": "_errors",
    "MemoryTokenCache": "_auth",
    "NotFoundError": "_errors",
    "Operation": "_transport",
    "Page": "_pagination",
    "Pagination": "_transport",
    "PaginationError": "_errors",
    "PermissionDeniedError": "_errors",
    "ProfileAuth": "_auth",
    "RateLimit": "_ratelimit",
    "RateLimitError": "_errors",
    "RateLimiter": "_ratelimit",
    "RedisRateLimiter": "_redis",
    "RedisTokenCache": "_redis",
    "Region": "_regions",
    "RequestParts": "_transport",
    "Response": "_transport",
    "ResponseFieldError": "_errors",
    "RetryPolicy": "_retry",
    "ReplayUnsafeWarning": "_events",
    "SendAborted": "_event_report",
    "SendProgress": "_event_report",
    "SendReport": "_event_report",
    "SyneriseClient": "_client",
    "SyneriseError": "_errors",
    "Token": "_auth",
    "TokenAuth": "_auth",
    "TokenCache": "_auth",
    "TransportFailure": "_errors",
    "UnexpectedStatusError": "_errors",
    "UnprocessableEntityError": "_errors",
    "UserAuth": "_auth",
    "WorkspaceAuth": "_auth",
    "__version__": "_version",
    "replay_events": "_event_report",
}

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AdaptiveRateLimiter",
    "AnonymousProfileAuth",
    "AsyncPaginator",
    "Auth",
    "AuthenticationError",
    "BadRequestError",
    "BasicAuth",
    "ClientClosedError",
    "ClientRateLimited",
    "ClientStats",
    "ConfigurationError",
    "ConflictError",
    "ErrorBody",
    "ErrorDetail",
    "EventsAPI",
    "FailedEvent",
    "FileTokenCache",
    "InternalServerError",
    "MemoryTokenCache",
    "NotFoundError",
    "Operation",
    "Page",
    "Pagination",
    "PaginationError",
    "PermissionDeniedError",
    "ProfileAuth",
    "RateLimit",
    "RateLimitError",
    "RateLimiter",
    "RedisRateLimiter",
    "RedisTokenCache",
    "Region",
    "ReplayUnsafeWarning",
    "RequestParts",
    "Response",
    "ResponseFieldError",
    "RetryPolicy",
    "SendAborted",
    "SendProgress",
    "SendReport",
    "SyneriseClient",
    "SyneriseError",
    "Token",
    "TokenAuth",
    "TokenCache",
    "TransportFailure",
    "UnexpectedStatusError",
    "UnprocessableEntityError",
    "UserAuth",
    "WorkspaceAuth",
    "__version__",
    "replay_events",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synerise_async' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
