"""The exception tree and the parsing of Synerise error bodies."""

from __future__ import annotations

import pytest

import synerise_async as sa
from synerise_async._errors import parse_error_body, status_error_class


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, sa.BadRequestError),
        (401, sa.AuthenticationError),
        (403, sa.PermissionDeniedError),
        (404, sa.NotFoundError),
        (409, sa.ConflictError),
        (422, sa.UnprocessableEntityError),
        (429, sa.RateLimitError),
        (500, sa.InternalServerError),
        (503, sa.InternalServerError),
        (520, sa.InternalServerError),
        (418, sa.APIStatusError),
    ],
)
def test_each_status_maps_to_its_class(status: int, cls: type[sa.APIStatusError]) -> None:
    """Statuses map to one class each; unknown 4xx fall back to APIStatusError."""
    assert status_error_class(status) is cls


def test_every_error_derives_from_the_one_root() -> None:
    """All public exception classes (warning categories aside) share SyneriseError as their root."""
    for name in sa.__all__:
        obj = getattr(sa, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and not issubclass(obj, Warning):
            assert issubclass(obj, sa.SyneriseError), name


def test_error_body_is_parsed_with_field_errors() -> None:
    """The documented body yields message, path and field-level errors."""
    body = parse_error_body(
        b'{"timestamp":"2024-01-01T00:00:00Z","status":400,"error":"Bad Request",'
        b'"message":"Invalid","path":"/v4/events/custom",'
        b'"errors":[{"code":120,"field":"action","message":"must not be null","rejectedValue":null}]}'
    )
    assert body is not None
    assert (body.status, body.error, body.message, body.path) == (
        400,
        "Bad Request",
        "Invalid",
        "/v4/events/custom",
    )
    assert body.errors[0].field == "action" and body.errors[0].code == 120


@pytest.mark.parametrize(
    "raw", [b"<html>502 Bad Gateway</html>", b"", b"[1,2]", b'"text"', b"{broken"]
)
def test_non_object_bodies_give_none(raw: bytes) -> None:
    """HTML, empty, array or malformed bodies are not error bodies, and do not raise."""
    assert parse_error_body(raw) is None


def test_oddly_typed_fields_do_not_raise() -> None:
    """Wrong field types in an error body are tolerated, never a second exception."""
    body = parse_error_body(b'{"status":"400","message":5,"errors":[1,{"code":[1]}]}')
    assert body is not None and body.status is None and body.message == "5"
    assert len(body.errors) == 1 and body.errors[0].code is None


def test_status_error_str_names_operation_status_and_url() -> None:
    """str(error) carries the message, method, URL and attempt count."""
    err = sa.NotFoundError(
        "getX: HTTP 404: nope",
        status_code=404,
        headers={},
        body=None,
        body_excerpt="nope",
        method="GET",
        url="https://api.synerise.com/x",
        operation_id="getX",
        attempts=3,
    )
    assert str(err) == "getX: HTTP 404: nope (GET https://api.synerise.com/x) after 3 attempts"
