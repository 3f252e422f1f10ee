"""The shared cattrs converter: token-cache records and the lenient error body."""

from __future__ import annotations

from typing import Any

import pytest

from synerise_async import Token
from synerise_async._errors import ErrorBody, ErrorDetail, parse_error_body
from synerise_async._serde import converter, token_from_record, token_record


def test_token_records_round_trip_through_the_converter() -> None:
    """A token becomes a plain JSON-ready record and back, unchanged."""
    for token in (
        Token(value="secret-1", expires_at=None, issued_at=1.5),
        Token(value="secret-2", expires_at=99.0, issued_at=9.0),
    ):
        record = token_record(token)
        assert record == {
            "value": token.value,
            "expires_at": token.expires_at,
            "issued_at": token.issued_at,
        }
        assert token_from_record(record) == token
        assert Token.from_json(token.to_json()) == token


def test_token_records_with_numeric_strings_are_coerced() -> None:
    """Numbers stored as strings (older caches) still load as floats."""
    token = token_from_record({"value": "v", "expires_at": "30", "issued_at": 20})
    assert (token.expires_at, token.issued_at) == (30.0, 20.0)


@pytest.mark.parametrize(
    "record",
    [
        {"value": "tok-SECRET"},
        {"value": "tok-SECRET", "issued_at": "never"},
        ["tok-SECRET"],
        None,
    ],
)
def test_malformed_token_records_are_value_errors_without_the_token(record: Any) -> None:
    """A broken record raises ValueError whose message and chain never carry the token."""
    with pytest.raises(ValueError, match="malformed token record") as info:
        token_from_record(record)
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert "tok-SECRET" not in str(info.value)


def test_error_body_is_structured_with_renamed_and_lenient_fields() -> None:
    """rejectedValue maps to rejected_value; unknown keys and odd types are dropped, not raised."""
    body = parse_error_body(
        b'{"status":429,"error":"Too Many","timestamp":true,"extra":1,'
        b'"errors":[{"code":"E1","field":7,"rejectedValue":[1]},"junk"]}'
    )
    assert body == ErrorBody(
        status=429,
        error="Too Many",
        errors=(ErrorDetail(code="E1", field="7", rejected_value=[1]),),
    )


def test_the_converter_unstructures_error_bodies_for_json() -> None:
    """ErrorBody unstructures to plain JSON types through the same converter."""
    data = converter.unstructure(ErrorBody(status=400, errors=(ErrorDetail(code=1),)))
    assert data["status"] == 400 and data["errors"][0]["code"] == 1
