"""Preparing a request: everything decided once before the first attempt."""

from __future__ import annotations

import pytest

import synerise_async as sa
from synerise_async._request import FormBody, PreparedRequest, prepare
from synerise_async._transport import Operation, RequestOptions, RequestParts

BASE = "https://api.synerise.com"
CLIENT_HEADERS = {"User-Agent": "t", "Accept": "application/json"}
GET_OP = Operation(
    operation_id="getItem",
    method="GET",
    path="/items/{itemId}",
    tag="t",
    query_types={"limit": "integer"},
    path_types={"item_id": "integer"},
)
POST_OP = Operation(operation_id="postThing", method="POST", path="/thing", tag="t")


def _prepare(operation: Operation, parts: RequestParts, **kwargs: object) -> PreparedRequest:
    return prepare(operation, parts, base_url=BASE, headers=CLIENT_HEADERS, **kwargs)  # type: ignore[arg-type]


def test_prepare_fills_the_path_and_encodes_the_query_once() -> None:
    """Path values are quoted into the template and params become encoded pairs."""
    prepared = _prepare(
        GET_OP,
        RequestParts(
            method="get",
            url="/items/{item_id}",
            path_params={"item_id": 7},
            params={"limit": 5, "tags": ["a", "b"]},
        ),
    )
    assert prepared.method == "GET"
    assert prepared.url == f"{BASE}/items/7"
    assert prepared.query == (("limit", "5"), ("tags", "a"), ("tags", "b"))
    assert prepared.body is None and prepared.repeat_safe


def test_path_values_are_quoted_so_they_cannot_change_the_path() -> None:
    """A slash or a query mark in a path value is percent-encoded."""
    op = Operation(operation_id="getKey", method="GET", path="/k/{key}", tag="t")
    prepared = _prepare(
        op, RequestParts(method="GET", url="/k/{key}", path_params={"key": "a/b?c"})
    )
    assert prepared.url == f"{BASE}/k/a%2Fb%3Fc"


def test_wrong_path_parameter_type_is_a_configuration_error_naming_it() -> None:
    """A str where the spec says integer is refused with the operation and parameter named."""
    with pytest.raises(
        sa.ConfigurationError, match=r"getItem: path parameter 'item_id' must be integer"
    ):
        _prepare(
            GET_OP, RequestParts(method="GET", url="/items/{item_id}", path_params={"item_id": "x"})
        )


def test_the_prepared_request_is_frozen() -> None:
    """A prepared request cannot be changed between attempts."""
    prepared = _prepare(POST_OP, RequestParts(method="POST", url="/thing", json={"a": 1}))
    with pytest.raises(AttributeError):
        prepared.url = "elsewhere"  # type: ignore[misc]


def test_json_body_is_encoded_once_with_its_content_type() -> None:
    """A JSON body becomes bytes and sets Content-Type; an unsafe POST is not repeat-safe."""
    prepared = _prepare(POST_OP, RequestParts(method="POST", url="/thing", json={"a": 1}))
    assert prepared.body == b'{"a":1}'
    assert prepared.headers["Content-Type"] == "application/json"
    assert prepared.repeat_safe is False


def test_operation_accept_and_api_version_headers_apply_and_extra_headers_win() -> None:
    """Accept follows the operation's media type; extra headers override everything."""
    op = Operation(
        operation_id="csv", method="GET", path="/c", tag="t", accept="text/csv", api_version="4.4"
    )
    prepared = _prepare(
        op,
        RequestParts(method="GET", url="/c"),
        options=RequestOptions(extra_headers={"X-Trace": "1"}, extra_query={"debug": True}),
    )
    assert prepared.headers["Accept"] == "text/csv"
    assert prepared.headers["Api-Version"] == "4.4"
    assert prepared.headers["X-Trace"] == "1"
    assert prepared.query == (("debug", "true"),)
    assert CLIENT_HEADERS["Accept"] == "application/json"  # the client's headers are not touched


def test_pre_encoded_query_replaces_params() -> None:
    """Pairs from a server-provided link are sent as given, not re-encoded."""
    prepared = _prepare(
        GET_OP,
        RequestParts(method="GET", url="/items", query=(("cursor", "a b"),), params={"x": 1}),
    )
    assert prepared.query == (("cursor", "a b"),)


def test_tracker_key_goes_to_the_query_and_replaces_the_credential() -> None:
    """With a tracker key the request carries ?token= and attaches no Authorization."""
    prepared = _prepare(POST_OP, RequestParts(method="GET", url="/thing"), tracker_key="tk-secret")
    assert prepared.query[-1] == ("token", "tk-secret")
    assert prepared.authenticate is False
    assert "tk-secret" not in prepared.redacted_url


def test_salted_events_are_repeat_safe_and_unsalted_are_not() -> None:
    """event-salt operations are safe to repeat only when every event has an eventSalt."""
    op = Operation(operation_id="ev", method="POST", path="/e", tag="t", retry="event-salt")
    salted = [{"eventSalt": "1"}, {"eventSalt": "2"}]
    assert _prepare(op, RequestParts(method="POST", url="/e", json=salted)).repeat_safe
    mixed = [{"eventSalt": "1"}, {}]
    assert not _prepare(op, RequestParts(method="POST", url="/e", json=mixed)).repeat_safe
    encoded = RequestParts(method="POST", url="/e", content=b'[{"eventSalt":"1"}]')
    assert not _prepare(op, encoded).repeat_safe
    vouched = RequestParts(method="POST", url="/e", content=b"[]", all_salted=True)
    assert _prepare(op, vouched).repeat_safe


def test_form_bodies_are_rebuilt_per_attempt() -> None:
    """Each attempt gets a new FormData with the same fields."""
    prepared = _prepare(
        POST_OP,
        RequestParts(method="POST", url="/thing", files=[("file", ("a.csv", b"x,y", "text/csv"))]),
    )
    assert isinstance(prepared.body, FormBody)
    assert prepared.body.fields == (("file", b"x,y", "a.csv", "text/csv"),)
    assert prepared.body.build() is not prepared.body.build()


def test_body_limits_are_checked_before_sending() -> None:
    """Too many items or too many bytes is a ConfigurationError."""
    op = Operation(
        operation_id="batch", method="POST", path="/b", tag="t", max_items=2, max_body_bytes=10
    )
    with pytest.raises(sa.ConfigurationError, match="3 items exceed"):
        _prepare(op, RequestParts(method="POST", url="/b", json=[1, 2, 3]))
    with pytest.raises(sa.ConfigurationError, match="exceeds the documented limit of 10"):
        _prepare(op, RequestParts(method="POST", url="/b", json=["long string"]))


def test_request_parts_from_a_mapping_refuse_unknown_keys() -> None:
    """The transitional dict form is strict: a misspelt key is refused, not dropped."""
    parts = RequestParts.from_mapping({"method": "GET", "url": "/x", "params": {"a": 1}})
    assert parts == RequestParts(method="GET", url="/x", params={"a": 1})
    with pytest.raises(sa.ConfigurationError, match="unknown request part"):
        RequestParts.from_mapping({"method": "GET", "url": "/x", "__next_url__": "/y"})


def test_extra_query_replaces_an_operation_parameter_of_the_same_name() -> None:
    """extra_query overrides a same-named operation parameter instead of sending both."""
    prepared = _prepare(
        GET_OP,
        RequestParts(method="GET", url="/items", params={"limit": 5, "page": 1}),
        options=RequestOptions(extra_query={"limit": 50, "debug": "1"}),
    )
    assert prepared.query == (("page", "1"), ("limit", "50"), ("debug", "1"))
