"""The one cattrs converter (orjson flavour) for the hand-written value types.

Token-cache records and the Synerise error body are (un)structured here; generated models
keep their own ``to_dict`` / ``from_dict``. The module is imported lazily (on the first
error body or token-cache access) so importing the package does not pay for cattrs.
"""

from __future__ import annotations

from typing import Any, Final

import orjson
from cattrs.gen import make_dict_structure_fn, override
from cattrs.preconf.orjson import OrjsonConverter, make_converter

from ._auth import Token
from ._errors import ErrorBody, ErrorDetail

__all__ = ["converter", "parse_error_body", "token_from_record", "token_record"]

converter: Final[OrjsonConverter] = make_converter(forbid_extra_keys=False)
"""Shared converter: JSON-ready unstructuring, lenient about unknown keys."""


# ----------------------------------------------------------------- the Synerise error body
# An error body with odd field types must still become an error, never a second exception
# while the first is being reported: every field hook below keeps what fits and drops the rest.


def _text(value: Any, _type: Any) -> str | None:
    return None if value is None else str(value)


def _integer(value: Any, _type: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _int_or_text(value: Any, _type: Any) -> int | str | None:
    return value if isinstance(value, int | str) and not isinstance(value, bool) else None


def _as_is(value: Any, _type: Any) -> Any:
    return value


def _details(value: Any, _type: Any) -> tuple[ErrorDetail, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(converter.structure(item, ErrorDetail) for item in value if isinstance(item, dict))


converter.register_structure_hook(
    ErrorDetail,
    make_dict_structure_fn(
        ErrorDetail,
        converter,
        code=override(struct_hook=_int_or_text),
        field=override(struct_hook=_text),
        message=override(struct_hook=_text),
        rejected_value=override(rename="rejectedValue", struct_hook=_as_is),
    ),
)
converter.register_structure_hook(
    ErrorBody,
    make_dict_structure_fn(
        ErrorBody,
        converter,
        timestamp=override(struct_hook=_int_or_text),
        status=override(struct_hook=_integer),
        error=override(struct_hook=_text),
        message=override(struct_hook=_text),
        path=override(struct_hook=_text),
        errors=override(struct_hook=_details),
    ),
)


def parse_error_body(content: bytes) -> ErrorBody | None:
    """Parse a Synerise error body; ``None`` when the body is not a JSON object."""
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    return converter.structure(data, ErrorBody)


# ------------------------------------------------------------------------ token records


def token_record(token: Token) -> dict[str, Any]:
    """The JSON-ready record a token cache stores."""
    record: dict[str, Any] = converter.unstructure(token)
    return record


def token_from_record(record: Any) -> Token:
    """The inverse of :func:`token_record`; a malformed record is a ``ValueError``."""
    from cattrs.errors import BaseValidationError

    try:
        return converter.structure(record, Token)
    except BaseValidationError as exc:
        problems = "; ".join(sorted({type(e).__name__ for e in exc.exceptions}))
    # Raised outside the except block and naming only error types: a record holds the
    # token itself, which must not ride along in __context__.
    raise ValueError(f"malformed token record ({problems})")
