"""Query-parameter normalisation and secret redaction for URLs."""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ._errors import ConfigurationError

__all__ = ["SECRET_PARAMS", "encode_query", "redact_url"]

SECRET_PARAMS = frozenset({"token", "apikey", "api_key", "password", "access_token"})
"""Query parameters whose values never appear in logs or errors (compared lower-case)."""


def _scalar(name: str, value: Any) -> str:
    # bool before int: bool is an int subclass, and yarl rejects bools outright.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigurationError(f"query parameter {name!r} must be finite, got {value!r}")
        # Generated code may hold integral floats (page=1.0); the API wants page=1.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    if isinstance(value, enum.Enum):
        return _scalar(name, value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    raise ConfigurationError(
        f"query parameter {name!r} has unsupported type {type(value).__name__}"
    )


def encode_query(params: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Turn generated-code parameters into ``(name, value)`` pairs for the URL.

    ``None`` values are dropped; lists repeat the key; mappings become
    ``name[key]=value`` (deepObject style, as in ``filters[email]``).
    """
    if not params:
        return []
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            for key, item in value.items():
                if item is not None:
                    pairs.append((f"{name}[{key}]", _scalar(name, item)))
        elif isinstance(value, list | tuple | set | frozenset):
            pairs.extend(
                (name, _scalar(name, item)) for item in _ordered(value) if item is not None
            )
        else:
            pairs.append((name, _scalar(name, value)))
    return pairs


def _ordered(values: Iterable[Any]) -> Iterable[Any]:
    return sorted(values, key=str) if isinstance(values, set | frozenset) else values


def redact_url(url: str, extra_params: Iterable[tuple[str, str]] = ()) -> str:
    """``url`` plus ``extra_params`` as a query, with secret parameter values masked."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True) + list(extra_params)
    if not pairs:
        return urlunsplit(parts._replace(query=""))
    masked = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in pairs]
    return urlunsplit(parts._replace(query=urlencode(masked, safe="[]:,")))
