"""The exception tree of synerise-async.

Every error the SDK raises derives from :class:`SyneriseError`; aiohttp, JSON and
generated-parser exceptions are mapped here (``raise ... from exc``) and never reach the
caller raw::

    SyneriseError
    ├── ConfigurationError            caller mistake, detected before anything is sent
    ├── ClientClosedError             the client was used after ``aclose()``
    ├── TransportFailure              never raised: the scrubbed ``__cause__`` of a transport error
    ├── PaginationError               a paginator cannot go on (e.g. a repeated cursor)
    └── APIError                      something went wrong talking to Synerise
        ├── APIConnectionError        no usable HTTP response
        │   └── APITimeoutError       the request timed out
        ├── APIResponseValidationError  a 2xx body that does not match the spec
        │   └── ResponseFieldError    a lazily parsed model field that does not, found when read
        ├── UnexpectedStatusError     a success status the spec does not document
        └── APIStatusError            status >= 400, with the parsed Synerise error body
            ├── BadRequestError              400
            ├── AuthenticationError          401
            ├── PermissionDeniedError        403
            ├── NotFoundError                404
            ├── ConflictError                409
            ├── UnprocessableEntityError     422
            ├── RateLimitError               429 (``retry_after`` in seconds, if known)
            └── InternalServerError          >= 500

Messages, reprs and attributes never contain API keys, passwords or tokens: URLs are
redacted before they are stored and request headers are not kept at all. Transport
failures are chained to a :class:`TransportFailure` (the aiohttp exception's type name
and a redacted message), never to the aiohttp exception, whose request info carries the
``Authorization`` header.

Every exception survives ``pickle`` with its attributes (Celery results, process pools);
``request_id`` on :class:`APIError` is the server's ``X-Request-Id`` (or a relative), when
a response arrived.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs
from multidict import CIMultiDict

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "ErrorBody",
    "ErrorDetail",
    "InternalServerError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseFieldError",
    "SyneriseError",
    "TransportFailure",
    "UnexpectedStatusError",
    "UnprocessableEntityError",
    "status_error_class",
]

EXCERPT_CHARS = 300
"""How much of an unparseable body an error message quotes."""


def excerpt(content: bytes, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable prefix of a response body for error messages."""
    text = content[: limit * 4].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@attrs.frozen(slots=True)
class ErrorDetail:
    """One entry of ``errors[]`` in a Synerise error body."""

    code: int | str | None = None
    field: str | None = None
    message: str | None = None
    rejected_value: Any = None


@attrs.frozen(slots=True)
class ErrorBody:
    """The error body Synerise returns on 4xx/5xx responses (all fields optional)."""

    timestamp: str | int | None = None
    status: int | None = None
    error: str | None = None
    message: str | None = None
    path: str | None = None
    errors: tuple[ErrorDetail, ...] = ()


def parse_error_body(content: bytes) -> ErrorBody | None:
    """Parse a Synerise error body; ``None`` when the body is not a JSON object.

    Deliberately lenient: an error body with odd field types must still become an error,
    never a second exception while reporting the first. The cattrs hooks live in ``_serde``
    (imported on the first error, so importing the package does not pay for cattrs).
    """
    from ._serde import parse_error_body as structure_error_body

    return structure_error_body(content)


def _rebuild(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    """Recreate an exception without calling its ``__init__`` (pickle restores the attributes)."""
    error = cls.__new__(cls)
    BaseException.__init__(error, *args)
    return error


def _picklable_state(state: dict[str, Any]) -> dict[str, Any]:
    headers = state.get("headers")
    if headers is not None and not isinstance(headers, dict | CIMultiDict):
        # aiohttp's CIMultiDictProxy refuses pickling; a CIMultiDict copy keeps the lookups.
        state = {**state, "headers": CIMultiDict(headers)}
    return state


class SyneriseError(Exception):
    """Base class of every exception raised by synerise-async."""

    def __reduce__(self) -> tuple[Any, ...]:
        # The default reduce calls ``cls(*args)``, which fails for keyword-only arguments.
        return (_rebuild, (type(self), self.args), _picklable_state(self.__dict__))


class ConfigurationError(SyneriseError, ValueError):
    """The client or a call was configured wrongly; nothing was sent."""


class ClientClosedError(SyneriseError):
    """The client was used after :meth:`~synerise_async.SyneriseClient.aclose`."""


class TransportFailure(SyneriseError):
    """The cause recorded for a transport error: the low-level exception's type and a
    redacted message, without its request info (which holds the request's headers)."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(type_name, message)
        self.type_name = type_name
        self.message = message

    def __str__(self) -> str:
        return f"{self.type_name}: {self.message}" if self.message else self.type_name


_SECRET_TEXT = re.compile(
    r"(?i)(bearer\s+|basic\s+|(?:token|apikey|api_key|password|access_token)=)[^\s&'\",;]+"
)


def scrubbed_cause(exc: BaseException, limit: int = 200) -> TransportFailure:
    """A stand-in cause for ``exc`` that carries nothing secret (see :class:`TransportFailure`)."""
    text = _SECRET_TEXT.sub(r"\1***", str(exc))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return TransportFailure(type(exc).__name__, text)


class PaginationError(SyneriseError):
    """A paginator cannot continue safely (for example, the server repeated a cursor)."""


class APIError(SyneriseError):
    """An exchange with the Synerise API failed.

    ``method`` and ``url`` identify the request (the URL with secrets redacted);
    ``operation_id`` names the spec operation; ``attempts`` counts the HTTP attempts made;
    ``request_id`` is the server's id of the (last) response, ``None`` when none arrived or
    the server sent none.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        operation_id: str | None = None,
        attempts: int = 1,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.operation_id = operation_id
        self.attempts = attempts
        self.request_id = request_id

    def __str__(self) -> str:
        where = f" ({self.method} {self.url})" if self.method and self.url else ""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.message}{where}{tries}"


class APIConnectionError(APIError):
    """No usable HTTP response: connection refused, reset, or dropped mid-response."""


class APITimeoutError(APIConnectionError):
    """The request did not complete within the configured timeout."""


class APIResponseValidationError(APIError):
    """A success response whose body does not match the operation's schema."""

    def __init__(self, message: str, *, status_code: int, body_excerpt: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code
        self.body_excerpt = body_excerpt


class ResponseFieldError(APIResponseValidationError):
    """A field of a response model that does not match the spec, found when it was first read.

    Models parse their fields lazily (see ``synerise_async.types.LazyModel``), after the
    call has returned, so ``status_code`` is 0 and ``body_excerpt`` is empty; ``model``
    names the model class and ``field`` the field's wire (JSON) name. The parse error is
    the ``__cause__``.
    """

    def __init__(self, message: str, *, model: str, field: str, **kwargs: Any) -> None:
        kwargs.setdefault("status_code", 0)
        kwargs.setdefault("body_excerpt", "")
        super().__init__(message, **kwargs)
        self.model = model
        self.field = field


class UnexpectedStatusError(APIError):
    """A status the spec does not document for the operation (raised by generated parsers)."""

    def __init__(
        self,
        operation_id: str,
        status_code: int,
        content: bytes,
        *,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            f"{operation_id}: undocumented status {status_code}: {excerpt(content)!r}",
            operation_id=operation_id,
            request_id=request_id,
        )
        self.status_code = status_code
        self.body_excerpt = excerpt(content)


class APIStatusError(APIError):
    """The API answered with status >= 400.

    ``body`` is the parsed Synerise error body, or ``None`` when the response was not
    JSON; ``body_excerpt`` then holds the start of the raw text.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        headers: Mapping[str, str],
        body: ErrorBody | None,
        body_excerpt: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code
        self.headers = headers
        self.body = body
        self.body_excerpt = body_excerpt

    @property
    def errors(self) -> tuple[ErrorDetail, ...]:
        """The field-level ``errors[]`` of the body (empty when absent)."""
        return self.body.errors if self.body is not None else ()


class BadRequestError(APIStatusError):
    """400: the request was invalid."""


class AuthenticationError(APIStatusError):
    """401: missing, invalid or expired credentials."""


class PermissionDeniedError(APIStatusError):
    """403: the credentials lack a permission."""


class NotFoundError(APIStatusError):
    """404: no such resource."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's state."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well-formed but semantically invalid."""


class RateLimitError(APIStatusError):
    """429: rate limited; the request was not processed.

    ``retry_after`` is the server's requested wait in seconds, when it sent one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """5xx: the server failed."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The exception class for an HTTP status >= 400."""
    if status >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status, APIStatusError)
