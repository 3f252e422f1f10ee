"""Retries against injected faults: 429 storms, 5xx, dropped connections, the gateway rate limit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from synerise_async import (
    APIConnectionError,
    APITimeoutError,
    BasicAuth,
    InternalServerError,
    RateLimitError,
    RetryPolicy,
    SyneriseClient,
)
from synerise_async.api.automation import get_paginated_diagrams_v2
from synerise_async.api.events import batch_send_events, custom_event
from synerise_async.models import BatchEventItem, CustomEventRequest
from synerise_async.testing import FakeSynerise

from .conftest import client_for


class SleepRecorder:
    """Records the client's backoff waits while still yielding to the loop."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


async def list_one(client: SyneriseClient) -> Any:
    return await get_paginated_diagrams_v2.asyncio_detailed(client=client, page=1, limit=1)


def event(salt: str | None = None) -> CustomEventRequest:
    data: dict[str, Any] = {"action": "page.visit", "label": "Home", "client": {"uuid": "u-1"}}
    if salt is not None:
        data.update(eventSalt=salt, time="2024-03-18T10:15:30Z")
    return CustomEventRequest.from_dict(data)


async def test_429_storm_without_retry_after_all_calls_succeed() -> None:
    """With 30% 429s and no Retry-After, 300 concurrent calls all succeed; every 429 is one retry."""
    async with FakeSynerise(rate_429=0.3, seed=5) as fake:
        async with client_for(fake) as client:
            responses = await asyncio.gather(*(list_one(client) for _ in range(300)))
            assert all(r.status_code == 200 for r in responses)
            injected = fake.stats.faults_injected["429"]
            assert injected > 30
            assert client.stats.retries_by_cause["429"] == injected


async def test_429_storm_honours_retry_after() -> None:
    """Every retry after a 429 carrying Retry-After waits exactly that long."""
    async with FakeSynerise(rate_429=0.3, retry_after=0.01, seed=6) as fake:
        sleeps = SleepRecorder()
        async with client_for(fake, sleep=sleeps) as client:
            await asyncio.gather(*(list_one(client) for _ in range(100)))
        assert len(sleeps.delays) == fake.stats.faults_injected["429"] > 0
        assert set(sleeps.delays) == {0.01}


async def test_retry_after_beyond_the_cap_raises_rate_limit_error_at_once() -> None:
    """A Retry-After longer than max_retry_after raises RateLimitError carrying it, without waiting."""
    async with FakeSynerise(rate_429=1.0, retry_after=120) as fake:
        sleeps = SleepRecorder()
        policy = RetryPolicy(initial_delay=0.001, max_delay=0.01, max_retry_after=60)
        async with client_for(fake, retry=policy, sleep=sleeps) as client:
            with pytest.raises(RateLimitError) as caught:
                await list_one(client)
        assert caught.value.retry_after == 120
        assert caught.value.attempts == 1 and sleeps.delays == []
        assert fake.stats.requests_by_operation["getPaginatedDiagramsV2"] == 1


async def test_persistent_429_gives_up_after_max_retries() -> None:
    """When every attempt is a 429, the client stops after max_retries retries with RateLimitError."""
    async with FakeSynerise(rate_429=1.0) as fake:
        policy = RetryPolicy(max_retries=3, initial_delay=0.001, max_delay=0.01)
        async with client_for(fake, retry=policy) as client:
            with pytest.raises(RateLimitError) as caught:
                await list_one(client)
        assert caught.value.attempts == 4
        assert fake.stats.requests_by_operation["getPaginatedDiagramsV2"] == 4


async def test_503_is_retried_for_get_but_not_for_an_unsalted_event() -> None:
    """A 503 on a GET is retried to success; on an unsalted event POST it is raised after one attempt."""
    async with FakeSynerise(rate_5xx=0.5, seed=3) as fake:
        async with client_for(fake) as client:
            responses = await asyncio.gather(*(list_one(client) for _ in range(50)))
            assert all(r.status_code == 200 for r in responses)
            assert client.stats.retries_by_cause["503"] == fake.stats.faults_injected["5xx"] > 0
            fake.faults.rate_5xx = 1.0
            with pytest.raises(InternalServerError) as caught:
                await custom_event.asyncio_detailed(client=client, body=event())
        assert caught.value.attempts == 1
        assert len(fake.events) == 0


async def test_drop_after_on_unsalted_event_is_not_retried_and_stored_once() -> None:
    """A connection dropped after an unsalted event was stored is not resent: one event, one error."""
    async with FakeSynerise(drop_after=1.0) as fake:
        async with client_for(fake) as client:
            with pytest.raises(APIConnectionError) as caught:
                await custom_event.asyncio_detailed(client=client, body=event())
        assert caught.value.attempts == 1
        assert len(fake.events) == 1 and fake.stats.events_received == 1


async def test_drop_after_on_salted_event_is_retried_and_stored_exactly_once() -> None:
    """A salted event whose response was lost is resent until acknowledged, and the fake holds it once."""
    async with FakeSynerise(drop_after=0.6, seed=11) as fake:
        async with client_for(fake) as client:
            response = await custom_event.asyncio_detailed(client=client, body=event(salt="once"))
        assert response.status_code == 202
        assert fake.stats.faults_injected["drop_after"] >= 1
        assert len(fake.events) == 1
        assert fake.stats.events_overwritten == fake.stats.events_received - 1 >= 1


async def test_salted_batch_survives_dropped_connections_exactly_once() -> None:
    """A salted batch resent after drops before and after processing ends up stored exactly once."""
    async with FakeSynerise(drop_before=0.3, drop_after=0.3, seed=2) as fake:
        items = [
            BatchEventItem.from_dict(
                {
                    "type": "custom",
                    "action": "page.visit",
                    "label": "x",
                    "client": {"uuid": f"u{i}"},
                    "time": "2024-03-18T10:15:30Z",
                    "eventSalt": f"salt-{i}",
                }
            )
            for i in range(200)
        ]
        async with client_for(
            fake, retry=RetryPolicy(max_retries=20, initial_delay=0.001, max_delay=0.01)
        ) as client:
            for start in range(0, 200, 20):
                await batch_send_events.asyncio_detailed(
                    client=client, body=items[start : start + 20]
                )
        assert len(fake.events) == 200
        assert sum(fake.stats.faults_injected[k] for k in ("drop_before", "drop_after")) > 0


async def test_drop_before_on_get_is_retried(fake: FakeSynerise) -> None:
    """A GET whose connection is dropped before processing is retried and succeeds."""
    fake.faults.drop_before = 0.5
    async with client_for(fake) as client:
        responses = await asyncio.gather(*(list_one(client) for _ in range(40)))
        assert all(r.status_code == 200 for r in responses)
        # aiohttp itself resends an idempotent request once when a kept-alive connection
        # closes under it, so the client's own count can be lower than the fake's.
        assert fake.stats.faults_injected["drop_before"] > 0
        assert (
            client.stats.retries_by_cause["connection"] <= fake.stats.faults_injected["drop_before"]
        )


async def test_drop_before_on_unsalted_event_raises_and_stores_nothing(fake: FakeSynerise) -> None:
    """An unsalted POST cut before processing is ambiguous to the client: it raises, and nothing was stored."""
    fake.faults.drop_before = 1.0
    async with client_for(fake) as client:
        with pytest.raises(APIConnectionError):
            await custom_event.asyncio_detailed(client=client, body=event())
    assert len(fake.events) == 0


async def test_gateway_rate_limit_is_waited_out() -> None:
    """Above the per-key rate limit the client honours Retry-After and all calls complete."""
    async with FakeSynerise(rate_limit_per_second=100) as fake:
        async with client_for(fake) as client:
            loop = asyncio.get_running_loop()
            started = loop.time()
            responses = await asyncio.gather(*(list_one(client) for _ in range(150)))
            elapsed = loop.time() - started
        assert all(r.status_code == 200 for r in responses)
        assert fake.stats.faults_injected["rate_limit"] > 0
        assert 0.9 < elapsed < 5  # the second window opens after one second


async def test_send_many_is_exactly_once_under_every_fault() -> None:
    """3000 events through 20% 429s, 2% 503s, 1% drops before and after and 1 s tokens: all stored once."""
    async with FakeSynerise(
        rate_429=0.2, rate_5xx=0.02, drop_before=0.01, drop_after=0.01, token_lifetime=1.0, seed=9
    ) as fake:
        events = [
            {
                "action": "etl.row",
                "label": "row",
                "client": {"customId": f"c{i % 97}"},
                "params": {"row": i},
            }
            for i in range(3000)
        ]
        policy = RetryPolicy(max_retries=30, initial_delay=0.001, max_delay=0.01)
        async with client_for(fake, retry=policy) as client:
            report = await client.events.send_many(
                events, batch_size=50, concurrency=8, default_time="2026-12-01T00:00:00Z"
            )
        assert report.ok, report.failed[:1]
        assert report.confirmed == 3000
        assert len(fake.events) == 3000
        rows = sorted(e.params["row"] for e in fake.events)
        assert rows == list(range(3000))
        assert fake.stats.events_received >= 3000


async def test_timeouts_are_retried_for_get_but_not_for_an_unsalted_post() -> None:
    """A slow GET is retried until max_retries then raises APITimeoutError; a slow unsalted POST is tried once."""
    async with FakeSynerise(latency=0.3) as fake:
        auth = BasicAuth(workspace_guid=fake.workspace_guid, api_key=fake.api_key)
        policy = RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.01)
        async with client_for(fake, auth, timeout=0.1, retry=policy) as client:
            with pytest.raises(APITimeoutError) as slow_get:
                await list_one(client)
            with pytest.raises(APITimeoutError) as slow_post:
                await custom_event.asyncio_detailed(client=client, body=event())
        assert (slow_get.value.attempts, slow_post.value.attempts) == (3, 1)
        assert client.stats.retries_by_cause["timeout"] == 2


@pytest.mark.parametrize("first", ["view", "client"])
async def test_a_views_timeout_holds_whichever_of_the_two_opened_the_session(first: str) -> None:
    """A view's attempt timeout applies to its calls only, whether it or its client opened the session."""
    async with FakeSynerise(latency=0.3) as fake:
        auth = BasicAuth(workspace_guid=fake.workspace_guid, api_key=fake.api_key)
        async with client_for(fake, auth, timeout=5, retry=RetryPolicy(max_retries=0)) as client:
            view = client.with_options(timeout=0.1)
            if first == "client":
                assert isinstance(await client.profiles.list_all_profile_tags(), list)
            with pytest.raises(APITimeoutError):
                await view.profiles.list_all_profile_tags()  # a parameterless GET: no query
            assert isinstance(await client.profiles.list_all_profile_tags(), list)


async def test_a_view_with_a_short_timeout_does_not_shorten_its_clients_logins() -> None:
    """Logins use the client's options even when a view needed the first token."""
    async with FakeSynerise(latency=0.3) as fake:
        async with client_for(fake, timeout=5, retry=RetryPolicy(max_retries=0)) as client:
            view = client.with_options(timeout=0.1)
            with pytest.raises(APITimeoutError) as timed_out:
                await view.workspaces.get_current_business_profile_using_get()
            assert timed_out.value.operation_id == "getCurrentBusinessProfileUsingGET"
            current = await client.workspaces.get_current_business_profile_using_get()
            assert current.selected
