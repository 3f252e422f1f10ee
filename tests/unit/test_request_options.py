"""Per-call options passed to ``SyneriseClient.request`` (the seam resource methods use)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

import synerise_async as sa
from synerise_async import Operation, RetryPolicy, SyneriseClient
from synerise_async._transport import RawResponse, RequestOptions
from tests.aioresponses_compat import CompatMock

BASE = "https://api.synerise.com"
GET_OP = Operation(
    operation_id="getThing", method="GET", path="/thing", tag="t", security=("JWT", "Basic")
)


def json_parse(raw: RawResponse) -> Any:
    return raw.json()


async def no_sleep(_delay: float) -> None:
    return None


def make_client(**kwargs: Any) -> SyneriseClient:
    kwargs.setdefault("retry", RetryPolicy(max_retries=3, initial_delay=0.0, jitter=False))
    kwargs.setdefault("sleep", no_sleep)
    return SyneriseClient(sa.BasicAuth(workspace_guid="ws", api_key="key-secret"), **kwargs)


async def test_extra_headers_and_query_reach_the_request(mocked: CompatMock) -> None:
    """extra_headers and extra_query are added to the operation's own headers and query."""
    mocked.get(re.compile(rf"{BASE}/thing.*"), payload={"ok": True})
    async with make_client() as client:
        options = RequestOptions(extra_headers={"X-Trace": "t1"}, extra_query={"debug": "1"})
        await client.request(GET_OP, {"method": "GET", "url": "/thing"}, json_parse, options)
    ((_, url), calls) = next(iter(mocked.requests.items()))
    assert url.query.get("debug") == "1"
    assert calls[0].kwargs["headers"]["X-Trace"] == "t1"


async def test_max_retries_overrides_the_policy_for_one_call(mocked: CompatMock) -> None:
    """max_retries=0 makes one attempt although the client policy allows three retries."""
    mocked.get(f"{BASE}/thing", status=503, repeat=True)
    async with make_client() as client:
        with pytest.raises(sa.InternalServerError):
            await client.request(
                GET_OP,
                {"method": "GET", "url": "/thing"},
                json_parse,
                RequestOptions(max_retries=0),
            )
        assert client.stats.requests == 1


async def test_timeout_bounds_the_whole_call_across_retries(mocked: CompatMock) -> None:
    """A call timeout shorter than the retry waits ends the call with APITimeoutError."""

    async def slow_sleep(delay: float) -> None:
        await asyncio.sleep(0.05)

    mocked.get(f"{BASE}/thing", status=503, repeat=True)
    client = make_client(sleep=slow_sleep, retry=RetryPolicy(max_retries=50, jitter=False))
    async with client:
        with pytest.raises(sa.APITimeoutError, match="within the call's timeout"):
            await client.request(
                GET_OP,
                {"method": "GET", "url": "/thing"},
                json_parse,
                RequestOptions(timeout=0.2),
            )
        assert 1 < client.stats.requests < 50


async def test_invalid_per_call_options_are_configuration_errors() -> None:
    """A negative max_retries or a non-positive timeout is refused before sending."""
    async with make_client() as client:
        for options in (RequestOptions(max_retries=-1), RequestOptions(timeout=0)):
            with pytest.raises(sa.ConfigurationError):
                await client.request(
                    GET_OP, {"method": "GET", "url": "/thing"}, json_parse, options
                )
