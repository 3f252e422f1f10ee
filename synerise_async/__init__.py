"""synerise-async: the asyncio-first Python SDK for the Synerise REST API.

The public surface is re-exported here; implementation lives in private modules
(``_client``, ``_auth``, ...). Generated operations live in ``synerise_async.api`` and
models in ``synerise_async.models`` (both produced by ``make generate``).
"""

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
    ConfigurationError,
    ConflictError,
    ErrorBody,
    ErrorDetail,
    InternalServerError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    SyneriseError,
    UnexpectedStatusError,
    UnprocessableEntityError,
)
from ._events import EventsAPI, FailedEvent, SendReport
from ._pagination import AsyncPaginator, Page
from ._regions import Region
from ._retry import RetryPolicy
from ._transport import Operation, Pagination, Response
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AnonymousProfileAuth",
    "AsyncPaginator",
    "Auth",
    "AuthenticationError",
    "BadRequestError",
    "BasicAuth",
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
    "RateLimitError",
    "Region",
    "Response",
    "RetryPolicy",
    "SendReport",
    "SyneriseClient",
    "SyneriseError",
    "Token",
    "TokenAuth",
    "TokenCache",
    "UnexpectedStatusError",
    "UnprocessableEntityError",
    "UserAuth",
    "WorkspaceAuth",
    "__version__",
]
