"""The request pipeline's decisions, against mocked responses (no network, no real waits)."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest

import synerise_async as sa
from synerise_async import Operation, RetryPolicy, SyneriseClient
from synerise_async._transport import RawResponse
from tests.aioresponses_compat import CompatMock

BASE = "https://api.synerise.com"
GET_OP = Operation(
    operation_id="getThing", method="GET", path="/thing", tag="t", security=("JWT", "Basic")
)
POST_OP = Operation(
    operation_id="postThing", method="POST", path="/thing", tag="t", security=("JWT", "Basic")
)
SALTED_OP = Operation(
    operation_id="sendEvent",
    method="POST",
    path="/v4/events/custom",
    tag="events",
    security=("JWT", "Basic"),
    retry="event-salt",
    api_version="4.4",
)
TRACKER_OP = Operation(
    operation_id="recommend", method="GET", path="/reco", tag="r", security=("TrackerKey",)
)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def json_parse(raw: RawResponse) -> Any:
    return raw.json()


def make_client(sleep: Sleeps, **kwargs: Any) -> SyneriseClient:
    kwargs.setdefault("retry", RetryPolicy(max_retries=3, initial_delay=1.0, jitter=False))
    return SyneriseClient(
        sa.BasicAuth(workspace_guid="ws", api_key="key-secret"), sleep=sleep, **kwargs
    )


async def test_retryable_status_on_get_is_retried_with_backoff(mocked: CompatMock) -> None:
    """A 503 on a GET is retried with exponential backoff and then succeeds."""
    mocked.get(f"{BASE}/thing", status=503)
    mocked.get(f"{BASE}/thing", status=503)
    mocked.get(f"{BASE}/thing", payload={"ok": True})
    sleeps = Sleeps()
    async with make_client(sleeps) as client:
        response = await client.request(GET_OP, {"method": "GET", "url": "/thing"}, json_parse)
    assert response.parsed == {"ok": True}
    assert sleeps.delays == [1.0, 2.0]
    assert client.stats.retries_by_cause == {"503": 2}


async def test_ambiguous_failure_on_plain_post_is_not_retried(mocked: CompatMock) -> None:
    """A 503 on a POST not known to be safe raises at once, after one attempt."""
    mocked.post(f"{BASE}/thing", status=503, body="<html>unavailable</html>")
    sleeps = Sleeps()
    async with make_client(sleeps) as client:
        with pytest.raises(sa.InternalServerError) as info:
            await client.request(
                POST_OP, {"method": "POST", "url": "/thing", "json": {}}, json_parse
            )
    assert info.value.attempts == 1 and sleeps.delays == []
    assert "unavailable" in info.value.body_excerpt


async def test_salted_event_post_is_retried(mocked: CompatMock) -> None:
    """An event POST whose body carries eventSalt is safe to repeat, so a 503 is retried."""
    mocked.post(f"{BASE}/v4/events/custom", status=503)
    mocked.post(f"{BASE}/v4/events/custom", status=202)
    sleeps = Sleeps()
    body = {"action": "a", "label": "l", "client": {"uuid": "u"}, "eventSalt": "s1"}
    async with make_client(sleeps) as client:
        response = await client.request(
            SALTED_OP, {"method": "POST", "url": "/v4/events/custom", "json": body}, lambda r: None
        )
    assert response.status_code == 202 and len(sleeps.delays) == 1
    sent = [call for key, calls in mocked.requests.items() for call in calls]
    assert all(call.kwargs["headers"]["Api-Version"] == "4.4" for call in sent)


async def test_unsalted_event_post_is_not_retried(mocked: CompatMock) -> None:
    """Without eventSalt the same 503 is final: resending could duplicate the event."""
    mocked.post(f"{BASE}/v4/events/custom", status=503)
    async with make_client(Sleeps()) as client:
        with pytest.raises(sa.InternalServerError):
            await client.request(
                SALTED_OP,
                {"method": "POST", "url": "/v4/events/custom", "json": {"action": "a"}},
                json_parse,
            )


async def test_429_honours_retry_after_even_for_posts(mocked: CompatMock) -> None:
    """A 429 was not processed: it is retried for any method, waiting Retry-After seconds."""
    mocked.post(f"{BASE}/thing", status=429, headers={"Retry-After": "7"})
    mocked.post(f"{BASE}/thing", payload={"ok": 1})
    sleeps = Sleeps()
    async with make_client(sleeps) as client:
        await client.request(POST_OP, {"method": "POST", "url": "/thing", "json": {}}, json_parse)
    assert sleeps.delays == [7.0]


async def test_retry_after_beyond_the_cap_raises_at_once(mocked: CompatMock) -> None:
    """A Retry-After above max_retry_after raises RateLimitError carrying retry_after, without waiting."""
    mocked.get(
        f"{BASE}/thing",
        status=429,
        headers={"Retry-After": "120"},
        payload={"status": 429, "message": "slow down"},
    )
    sleeps = Sleeps()
    async with make_client(sleeps, retry=RetryPolicy(max_retry_after=60)) as client:
        with pytest.raises(sa.RateLimitError) as info:
            await client.request(GET_OP, {"method": "GET", "url": "/thing"}, json_parse)
    assert info.value.retry_after == 120.0 and sleeps.delays == [] and info.value.attempts == 1
    assert "slow down" in str(info.value)


async def test_retries_stop_at_max_retries(mocked: CompatMock) -> None:
    """After max_retries retries the last error is raised with the attempt count."""
    for _ in range(4):
        mocked.get(f"{BASE}/thing", status=502)
    async with make_client(Sleeps()) as client:
        with pytest.raises(sa.InternalServerError) as info:
            await client.request(GET_OP, {"method": "GET", "url": "/thing"}, json_parse)
    assert info.value.attempts == 4


async def test_deadline_prevents_a_retry_that_would_overrun(mocked: CompatMock) -> None:
    """No retry starts if its backoff would end past the overall deadline."""
    mocked.get(f"{BASE}/thing", status=503)
    sleeps = Sleeps()
    policy = RetryPolicy(max_retries=5, initial_delay=10.0, jitter=False, deadline=5.0)
    async with make_client(sleeps, retry=policy) as client:
        with pytest.raises(sa.InternalServerError):
            await client.request(GET_OP, {"method": "GET", "url": "/thing"}, json_parse)
    assert sleeps.delays == []


async def test_error_body_is_parsed_into_the_exception(mocked: CompatMock) -> None:
    """A 404 carries the parsed Synerise error body and the redacted URL."""
    mocked.get(
        re.compile(rf"^{re.escape(BASE)}/thing.*"),
        status=404,
        payload={
            "status": 404,
            "error": "Not Found",
            "message": "no thing",
            "path": "/thing",
            "errors": [],
        },
    )
    async with make_client(Sleeps()) as client:
        with pytest.raises(sa.NotFoundError) as info:
            await client.request(
                GET_OP, {"method": "GET", "url": "/thing", "params": {"q": "x"}}, json_parse
            )
    err = info.value
    assert err.status_code == 404 and err.body is not None and err.body.message == "no thing"
    assert err.url == f"{BASE}/thing?q=x" and err.operation_id == "getThing"


async def test_connection_errors_are_mapped_and_never_leak_raw(mocked: CompatMock) -> None:
    """aiohttp exceptions become APIConnectionError (retried for GETs first), chained to a
    scrubbed stand-in naming the aiohttp exception, never to the aiohttp exception itself."""
    for _ in range(4):
        mocked.get(f"{BASE}/thing", exception=aiohttp.ServerDisconnectedError())
    async with make_client(Sleeps()) as client:
        with pytest.raises(sa.APIConnectionError) as info:
            await client.request(GET_OP, {"method": "GET", "url": "/thing"}, json_parse)
    cause = info.value.__cause__
    assert isinstance(cause, sa.TransportFailure)
    assert cause.type_name == "ServerDisconnectedError"
    assert info.value.__context__ is None or not isinstance(
        info.value.__context__, aiohttp.ClientError
    )
    assert client.stats.retries_by_cause == {"connection": 3}


async def test_timeouts_become_api_timeout_error(mocked: CompatMock) -> None:
    """A timeout on a non-idempotent call raises APITimeoutError after one attempt."""
    mocked.post(f"{BASE}/thing", exception=TimeoutError())
    async with make_client(Sleeps()) as client:
        with pytest.raises(sa.APITimeoutError):
            await client.request(
                POST_OP, {"method": "POST", "url": "/thing", "json": {}}, json_parse
            )


async def test_parser_failures_become_validation_errors(mocked: CompatMock) -> None:
    """A parser raising KeyError surfaces as APIResponseValidationError with an excerpt."""
    mocked.get(f"{BASE}/thing", body=b'{"unexpected": 1}', content_type="application/json")

    def strict(raw: RawResponse) -> Any:
        return raw.json()["required"]

    async with make_client(Sleeps()) as client:
        with pytest.raises(sa.APIResponseValidationError) as info:
            await client.request(GET_OP, {"method": "GET", "url": "/thing"}, strict)
    assert "unexpected" in info.value.body_excerpt and "getThing" in str(info.value)


async def test_tracker_key_is_sent_as_token_and_redacted(mocked: CompatMock) -> None:
    """A tracker-key operation gets ?token=, and errors show it masked."""
    mocked.get(
        re.compile(rf"^{re.escape(BASE)}/reco\?.*token=tk-secret.*"),
        status=400,
        payload={"message": "bad"},
    )
    async with SyneriseClient(tracker_key="tk-secret", sleep=Sleeps()) as client:
        with pytest.raises(sa.BadRequestError) as info:
            await client.request(
                TRACKER_OP, {"method": "GET", "url": "/reco", "params": {"itemId": "5"}}, json_parse
            )
    assert "tk-secret" not in str(info.value) and "tk-secret" not in repr(info.value.url)


async def test_basic_auth_header_is_sent(mocked: CompatMock) -> None:
    """Basic credentials go on every authenticated request (the User-Agent: test_call_path)."""
    mocked.get(f"{BASE}/thing", payload={})
    async with make_client(Sleeps()) as client:
        await client.request(GET_OP, {"method": "GET", "url": "/thing"}, json_parse)
    (call,) = [c for calls in mocked.requests.values() for c in calls]
    headers = call.kwargs["headers"]
    assert headers["Authorization"].startswith("Basic ")


async def test_deprecation_header_warns_once_per_operation(mocked: CompatMock) -> None:
    """X-API-DEPRECATED produces one DeprecationWarning per operation, not per call."""
    for _ in range(3):
        mocked.get(f"{BASE}/thing", payload={}, headers={"X-API-DEPRECATED": "use v2"})
    async with make_client(Sleeps()) as client:
        with pytest.warns(DeprecationWarning, match="use v2") as record:
            for _ in range(3):
                await client.request(GET_OP, {"method": "GET", "url": "/thing"}, json_parse)
    assert len([w for w in record if issubclass(w.category, DeprecationWarning)]) == 1


async def test_closed_client_refuses_requests() -> None:
    """A closed client raises instead of silently reopening."""
    client = SyneriseClient()
    await client.aclose()
    with pytest.raises(sa.SyneriseError, match="closed"):
        await client.request(GET_OP, {"method": "GET", "url": "/thing"}, json_parse)


def test_bad_configuration_fails_before_sending() -> None:
    """Wrong auth type, bad limits and bad timeouts are ConfigurationErrors."""
    with pytest.raises(sa.ConfigurationError):
        SyneriseClient("api-key")  # type: ignore[arg-type]
    with pytest.raises(sa.ConfigurationError):
        SyneriseClient(max_concurrency=0)
    with pytest.raises(sa.ConfigurationError):
        SyneriseClient(timeout=0)
    with pytest.raises(sa.ConfigurationError):
        SyneriseClient(region="atlantis")


def test_with_options_shares_state_but_changes_retry() -> None:
    """with_options returns a view with its own retry policy over the same session state."""
    client = SyneriseClient()
    view = client.with_options(retry=RetryPolicy(max_retries=0))
    assert view._shared is client._shared and view._retry.max_retries == 0
    assert client._retry.max_retries != 0


async def test_basic_auth_on_a_jwt_only_operation_fails_before_sending(mocked: CompatMock) -> None:
    """An operation whose spec accepts only JWT refuses Basic credentials without a request."""
    jwt_only = Operation(
        operation_id="jwtOnly", method="GET", path="/thing", tag="t", security=("JWT",)
    )
    async with make_client(Sleeps()) as client:
        with pytest.raises(sa.ConfigurationError, match="does not accept Basic"):
            await client.request(jwt_only, {"method": "GET", "url": "/thing"}, json_parse)
    assert not mocked.requests


async def test_wrong_query_parameter_types_fail_before_sending(mocked: CompatMock) -> None:
    """A string for an integer query parameter is a ConfigurationError naming it; nothing is sent."""
    from synerise_async.api.automation import get_paginated_diagrams

    async with make_client(Sleeps()) as client:
        with pytest.raises(sa.ConfigurationError, match="'page' must be integer, got str"):
            await get_paginated_diagrams.asyncio(client=client, page="two")  # type: ignore[arg-type]
    assert not mocked.requests


async def test_oversized_batches_fail_before_sending(mocked: CompatMock) -> None:
    """More than the documented 1000 events in one raw batch call is refused before sending."""
    from synerise_async.api.events import batch_send_events

    items = [{"type": "custom", "action": "a", "label": "l", "client": {"uuid": "u"}}] * 1001
    async with make_client(Sleeps()) as client:
        with pytest.raises(
            sa.ConfigurationError, match="1001 items exceed the documented maximum of 1000"
        ):
            await client.request(
                batch_send_events.OPERATION,
                {"method": "POST", "url": "/v4/events/batch", "json": items},
                batch_send_events._parse_response,
            )
        too_big = [
            {"type": "custom", "action": "a", "label": "x" * 600_000, "client": {"uuid": "u"}}
        ] * 2
        with pytest.raises(
            sa.ConfigurationError, match="exceeds the documented limit of 1048576 bytes"
        ):
            await client.request(
                batch_send_events.OPERATION,
                {"method": "POST", "url": "/v4/events/batch", "json": too_big},
                batch_send_events._parse_response,
            )
    assert not mocked.requests


def test_paginate_rejects_unknown_parameters() -> None:
    """A misspelt parameter is a ConfigurationError listing the accepted ones, raised before any request."""
    from synerise_async.api.automation import get_paginated_diagrams

    client = SyneriseClient()
    with pytest.raises(
        sa.ConfigurationError, match=r"takes no parameter.*pgae.*accepted: page, limit"
    ):
        client.paginate(get_paginated_diagrams, pgae=2)
    with pytest.raises(sa.ConfigurationError, match="not a paginated operation"):
        from synerise_async.api.automation import stop_workflow

        client.paginate(stop_workflow)


async def test_type_errors_on_secret_parameters_do_not_echo_the_value() -> None:
    """A wrongly typed secret query parameter is reported without its value."""
    op = Operation(
        operation_id="withToken", method="GET", path="/x", tag="t", query_types={"token": "string"}
    )
    async with SyneriseClient() as client:
        with pytest.raises(sa.ConfigurationError) as info:
            await client.request(
                op, {"method": "GET", "url": "/x", "params": {"token": 123456789}}, json_parse
            )
    assert "123456789" not in str(info.value) and "***" in str(info.value)


async def test_500_on_a_get_is_retried(mocked: CompatMock) -> None:
    """A 500 on an idempotent request is retried like 502-504 and then succeeds."""
    mocked.get(f"{BASE}/thing", status=500)
    mocked.get(f"{BASE}/thing", payload={"ok": True})
    sleeps = Sleeps()
    async with make_client(sleeps) as client:
        response = await client.request(GET_OP, {"method": "GET", "url": "/thing"}, json_parse)
    assert response.parsed == {"ok": True}
    assert client.stats.retries_by_cause == {"500": 1}
    assert sleeps.delays == [1.0]


async def test_500_on_an_unsafe_post_is_not_retried(mocked: CompatMock) -> None:
    """A 500 on a POST that is not documented as safe raises after one attempt."""
    mocked.post(f"{BASE}/thing", status=500)
    async with make_client(Sleeps()) as client:
        with pytest.raises(sa.InternalServerError) as info:
            await client.request(
                POST_OP, {"method": "POST", "url": "/thing", "json": {}}, json_parse
            )
    assert info.value.attempts == 1
    assert client.stats.requests == 1


async def test_retry_statuses_of_the_policy_decide_what_is_retried(mocked: CompatMock) -> None:
    """A policy without 500 in retry_statuses raises on the first 500 of a GET."""
    mocked.get(f"{BASE}/thing", status=500)
    policy = RetryPolicy(max_retries=3, jitter=False, retry_statuses={502, 503, 504})
    async with make_client(Sleeps(), retry=policy) as client:
        with pytest.raises(sa.InternalServerError):
            await client.request(GET_OP, {"method": "GET", "url": "/thing"}, json_parse)
    assert client.stats.requests == 1


async def test_status_errors_and_responses_carry_the_request_id(mocked: CompatMock) -> None:
    """X-Request-Id of the response is on Response.request_id and on the raised error."""
    mocked.get(f"{BASE}/thing", payload={"ok": 1}, headers={"X-Request-Id": "ok-1"})
    mocked.get(f"{BASE}/thing", status=404, headers={"X-Request-Id": "nf-2"})
    async with make_client(Sleeps()) as client:
        response = await client.request(GET_OP, {"method": "GET", "url": "/thing"}, json_parse)
        with pytest.raises(sa.NotFoundError) as info:
            await client.request(GET_OP, {"method": "GET", "url": "/thing"}, json_parse)
    assert response.request_id == "ok-1"
    assert info.value.request_id == "nf-2"


async def test_typed_request_parts_are_sent_like_the_mapping_form(mocked: CompatMock) -> None:
    """A RequestParts with path parameters and params reaches the right URL."""
    op = Operation(
        operation_id="getItem",
        method="GET",
        path="/items/{itemId}",
        tag="t",
        security=("Basic",),
        path_types={"item_id": "integer"},
    )
    mocked.get(re.compile(rf"{BASE}/items/7\?limit=2$"), payload=[1])
    async with make_client(Sleeps()) as client:
        parts = sa.RequestParts(
            method="GET", url="/items/{item_id}", path_params={"item_id": 7}, params={"limit": 2}
        )
        response = await client.request(op, parts, json_parse)
        with pytest.raises(sa.ConfigurationError, match="path parameter 'item_id'"):
            await client.request(
                op,
                sa.RequestParts(method="GET", url="/items/{item_id}", path_params={"item_id": []}),
                json_parse,
            )
    assert response.parsed == [1]
    assert client.stats.requests == 1


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": -5},
        {"timeout": 0},
        {"timeout": "30"},
        {"timeout": True},
        {"retry": 3},
        {"headers": {"X-A": 1}},
        {"headers": [("X-A", "1")]},
    ],
)
def test_with_options_validates_like_the_constructor(options: dict[str, Any]) -> None:
    """with_options refuses the values the constructor refuses, with a ConfigurationError."""
    client = SyneriseClient(sa.BasicAuth(workspace_guid="ws", api_key="k"))
    with pytest.raises(sa.ConfigurationError):
        SyneriseClient(sa.BasicAuth(workspace_guid="ws", api_key="k"), **options)
    with pytest.raises(sa.ConfigurationError):
        client.with_options(**options)


def test_with_options_accepts_valid_values() -> None:
    """Valid options produce a view with those settings."""
    client = SyneriseClient(sa.BasicAuth(workspace_guid="ws", api_key="k"))
    view = client.with_options(timeout=5, retry=RetryPolicy(max_retries=1), headers={"X-A": "1"})
    assert view._timeout.total == 5
    assert view._retry.max_retries == 1
    assert view._headers["X-A"] == "1" and "X-A" not in client._headers


def test_the_package_logger_has_a_null_handler() -> None:
    """The synerise_async logger carries a NullHandler, so nothing prints unconfigured."""
    import logging

    handlers = logging.getLogger("synerise_async").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)
