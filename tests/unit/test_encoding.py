"""Query-parameter normalisation and URL redaction."""

from __future__ import annotations

import datetime as dt
import enum

import pytest

from synerise_async import ConfigurationError
from synerise_async._encoding import encode_query, redact_url


class Order(enum.Enum):
    ASC = "Asc"


def test_scalars_are_normalised() -> None:
    """Bools become true/false, integral floats ints, enums their value, datetimes ISO."""
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert encode_query(
        {
            "flag": True,
            "off": False,
            "page": 1.0,
            "ratio": 0.5,
            "order": Order.ASC,
            "at": when,
            "n": 3,
        }
    ) == [
        ("flag", "true"),
        ("off", "false"),
        ("page", "1"),
        ("ratio", "0.5"),
        ("order", "Asc"),
        ("at", "2024-01-02T03:04:05+00:00"),
        ("n", "3"),
    ]


def test_none_is_dropped_and_lists_repeat_the_key() -> None:
    """None values vanish; list values repeat the parameter name in order."""
    assert encode_query({"a": None, "ids": [3, 1, None, 2]}) == [
        ("ids", "3"),
        ("ids", "1"),
        ("ids", "2"),
    ]


def test_mappings_use_deep_object_style() -> None:
    """A mapping becomes name[key]=value pairs."""
    assert encode_query({"filters": {"email": "a@b.c", "anonymous": False}}) == [
        ("filters[email]", "a@b.c"),
        ("filters[anonymous]", "false"),
    ]


@pytest.mark.parametrize("bad", [object(), float("nan"), float("inf")])
def test_unsupported_values_are_configuration_errors(bad: object) -> None:
    """Objects and non-finite floats fail before anything is sent."""
    with pytest.raises(ConfigurationError, match="'x'"):
        encode_query({"x": bad})


def test_redaction_masks_secret_parameters() -> None:
    """Tracker keys and API keys in query strings are replaced by ***."""
    url = redact_url(
        "https://api.synerise.com/r?itemId=5", [("token", "tk-secret"), ("apiKey", "k")]
    )
    assert "tk-secret" not in url and "=k" not in url
    assert "itemId=5" in url and "token=%2A%2A%2A" in url.replace("***", "%2A%2A%2A")


def test_link_header_next_target_is_found() -> None:
    """rel="next" is picked out of a multi-link header; absent or malformed headers give None."""
    from synerise_async._pagination import _next_from_link_header

    header = '<https://a/x?page=1>; rel="first", <https://a/x?page=3>; rel="next", <https://a/x?page=9>; rel=last'
    assert _next_from_link_header(header) == "https://a/x?page=3"
    assert (
        _next_from_link_header('<https://a/x?page=2>; title="n"; rel="prev next"')
        == "https://a/x?page=2"
    )
    assert _next_from_link_header('<https://a/x?page=1>; rel="prev"') is None
    assert _next_from_link_header(None) is None and _next_from_link_header("garbage") is None
