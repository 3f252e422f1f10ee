"""Exceptions as operational values: picklable with their attributes, carrying request ids."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

import synerise_async as sa
from synerise_async import _errors
from synerise_async._errors import ErrorBody, ErrorDetail, scrubbed_cause
from synerise_async._transport import RawResponse, request_id_from_headers

HEADERS = CIMultiDictProxy(CIMultiDict({"X-Request-Id": "req-1", "Retry-After": "2"}))
BODY = ErrorBody(status=400, message="bad", errors=(ErrorDetail(field="email", message="x"),))
COMMON: dict[str, Any] = {
    "method": "GET",
    "url": "https://api.synerise.com/x",
    "operation_id": "getX",
    "attempts": 2,
    "request_id": "req-1",
}
STATUS: dict[str, Any] = {
    "status_code": 400,
    "headers": HEADERS,
    "body": BODY,
    "body_excerpt": '{"status":400}',
    **COMMON,
}


def _instances() -> list[BaseException]:
    """One instance of every exception class of ``_errors``, with its attributes set."""
    built: list[BaseException] = [
        sa.SyneriseError("root"),
        sa.ConfigurationError("bad option"),
        sa.ClientClosedError("closed"),
        sa.PaginationError("loop"),
        sa.TransportFailure("ServerDisconnectedError", "Server disconnected"),
        sa.APIError("failed", **COMMON),
        sa.APIConnectionError("refused", **COMMON),
        sa.APITimeoutError("slow", **COMMON),
        sa.APIResponseValidationError("odd", status_code=200, body_excerpt="{}", **COMMON),
        sa.ResponseFieldError("Model.field: odd", model="Model", field="field"),
        sa.UnexpectedStatusError("getX", 299, b"body", request_id="req-1"),
        sa.RateLimitError("slow down", retry_after=2.0, **STATUS),
    ]
    for cls in (
        sa.APIStatusError,
        sa.BadRequestError,
        sa.AuthenticationError,
        sa.PermissionDeniedError,
        sa.NotFoundError,
        sa.ConflictError,
        sa.UnprocessableEntityError,
        sa.InternalServerError,
    ):
        built.append(cls("status", **STATUS))
    return built


def test_every_exception_class_is_covered_by_the_pickle_test() -> None:
    """The pickle round-trip below instantiates every exception class _errors defines."""
    defined = {
        obj
        for obj in vars(_errors).values()
        if isinstance(obj, type) and issubclass(obj, BaseException)
    }
    assert defined == {type(e) for e in _instances()}


@pytest.mark.parametrize("error", _instances(), ids=lambda e: type(e).__name__)
def test_exceptions_survive_pickle_with_their_attributes(error: BaseException) -> None:
    """pickle.loads(pickle.dumps(e)) gives the same class, message and attributes."""
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is type(error)
    assert str(restored) == str(error)
    assert restored.args == error.args
    original = vars(error)
    assert set(vars(restored)) == set(original)
    for name, value in original.items():
        if name == "headers":
            assert dict(restored.headers) == dict(value)
            assert restored.headers["x-request-id"] == "req-1"  # still case-insensitive
        else:
            assert getattr(restored, name) == value, name


def test_status_errors_keep_their_helpers_after_pickle() -> None:
    """A restored status error still exposes errors[] and request_id."""
    restored = pickle.loads(pickle.dumps(sa.BadRequestError("bad", **STATUS)))
    assert restored.errors == BODY.errors
    assert restored.request_id == "req-1"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Request-Id": "a"}, "a"),
        ({"x-request-id": "b"}, "b"),
        ({"X-Correlation-Id": "c"}, "c"),
        ({"x-amzn-requestid": "d"}, "d"),
        ({"X-Amzn-RequestId": "e", "X-Request-Id": "f"}, "f"),
        ({"Content-Type": "application/json"}, None),
        (CIMultiDictProxy(CIMultiDict({"x-correlation-id": "g"})), "g"),
    ],
)
def test_request_id_is_read_from_x_request_id_or_its_relatives(
    headers: Any, expected: str | None
) -> None:
    """X-Request-Id is preferred, then X-Correlation-Id and the AWS-style names, any case."""
    assert request_id_from_headers(headers) == expected


def test_unexpected_status_carries_the_request_id() -> None:
    """An undocumented success status raised by a generated parser has the request id."""
    from synerise_async._transport import unexpected_status

    with pytest.raises(sa.UnexpectedStatusError) as info:
        unexpected_status("getX", RawResponse(299, {"X-Request-Id": "r9"}, b""))
    assert info.value.request_id == "r9"


def test_scrubbed_cause_masks_credentials_and_keeps_the_type_name() -> None:
    """The stand-in cause names the exception type and masks bearer tokens and secret params."""
    exc = RuntimeError("GET https://h/x?token=tk-1&a=2 headers Authorization: Bearer eyJabc.def")
    cause = scrubbed_cause(exc)
    assert cause.type_name == "RuntimeError"
    assert "tk-1" not in str(cause) and "eyJabc" not in str(cause)
    assert "token=***" in str(cause) and "a=2" in str(cause)
