"""The curated public surface."""

from __future__ import annotations

import synerise_async

EXPECTED = {
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
    "ClientClosedError",
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
    "RequestParts",
    "Response",
    "ResponseFieldError",
    "ReplayUnsafeWarning",
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
    "AdaptiveRateLimiter",
    "ClientRateLimited",
    "RateLimit",
    "RateLimiter",
    "RedisRateLimiter",
    "RedisTokenCache",
    "__version__",
    "replay_events",
}


def test_all_is_pinned() -> None:
    """__all__ lists exactly the curated names, each importable from the package."""
    assert set(synerise_async.__all__) == EXPECTED
    for name in synerise_async.__all__:
        assert hasattr(synerise_async, name), name


def test_public_objects_come_from_private_modules() -> None:
    """Public classes are implemented in private modules and re-exported."""
    for name in synerise_async.__all__:
        obj = getattr(synerise_async, name)
        module = getattr(obj, "__module__", "synerise_async._")
        assert module.startswith("synerise_async._"), (name, module)


def test_every_public_name_resolves_lazily() -> None:
    """Each name in __all__ has a lazy source module, and nothing else does."""
    assert set(synerise_async._LAZY) == set(synerise_async.__all__)


def test_importing_one_operation_does_not_load_the_http_stack() -> None:
    """A fresh interpreter importing one generated operation loads neither aiohttp nor PyJWT."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from synerise_async.api.automation import get_paginated_diagrams\n"
        "print(sorted(m for m in ('aiohttp', 'jwt', 'cryptography', 'anyio') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
