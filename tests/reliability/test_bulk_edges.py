"""The bulk sender at its edges, at full size: wrong key, bounded failures, re-runs."""

from __future__ import annotations

import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from aiohttp import web

import synerise_async as sa
from synerise_async import RetryPolicy, SyneriseClient, WorkspaceAuth
from synerise_async.testing import FakeSynerise
from tests.localserver import serve
from tests.reliability.figures import record

EVENTS = 200_000
SINK_EVENTS = 100_000
RERUN_EVENTS = 50_000
RUN_TIME = "2026-11-30T06:00:00.000Z"


def events(count: int, *, invalid_every: int = 0) -> Iterator[dict[str, Any]]:
    for n in range(count):
        if invalid_every and n % invalid_every == 0:
            yield {"action": "edge.event", "params": {"seq": n}}  # no label, no client
            continue
        yield {
            "action": "edge.event",
            "label": "edge",
            "client": {"customId": f"edge-{n % 10_000}"},
            "params": {"seq": n},
        }


async def wrong_key_send(url: str) -> sa.SendAborted:
    async with SyneriseClient(WorkspaceAuth(api_key="wrong"), base_url=url) as client:
        with pytest.raises(sa.SendAborted) as info:
            await client.events.send_many(events(EVENTS), default_time=RUN_TIME)
    return info.value


@pytest.mark.slow
async def test_a_wrong_key_on_200000_events_raises_at_once_in_bounded_memory() -> None:
    """A 200,000-event send with a wrong API key raises SendAborted after reading a few batches, holding little memory."""
    async with FakeSynerise(seed=11, workflows=1) as fake:
        started = time.perf_counter()
        aborted = await wrong_key_send(fake.url)
        seconds = time.perf_counter() - started
        tracemalloc.start()  # a second run, measured for memory (tracing slows it down)
        try:
            await wrong_key_send(fake.url)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        logins = fake.stats.logins
    report = aborted.report
    record(
        "wrong key",
        events=EVENTS,
        read=report.received,
        failed=report.failed_count,
        logins=logins,
        seconds_to_raise=round(seconds, 2),
        peak_mib=round(peak / 2**20, 1),
    )
    assert isinstance(aborted.error, sa.AuthenticationError) and logins == 0
    assert report.received == report.failed_count <= (2 * 8 + 1) * 1000 + 1
    assert peak < 64 * 2**20


def counting_app() -> tuple[web.Application, Counter[str]]:
    """A batch endpoint that only counts what it accepts (so memory measured is the sender's)."""
    counts: Counter[str] = Counter()
    app = web.Application(client_max_size=2 * 2**20)

    async def batch(request: web.Request) -> web.Response:
        counts["events"] += len(orjson.loads(await request.read()))
        return web.Response(status=202)

    app.router.add_post("/v4/events/batch", batch)
    return app, counts


@pytest.mark.slow
async def test_failures_of_an_unbounded_input_go_to_the_sink_not_to_memory() -> None:
    """100,000 events, every other one invalid, with on_failure: 50,000 failures reported, memory stays small."""
    seen: Counter[str] = Counter()

    def count(failure: sa.FailedEvent) -> None:
        seen[failure.stage] += 1

    app, counts = counting_app()
    async with serve(app) as url:
        auth = sa.BasicAuth(workspace_guid="ws", api_key="k")
        async with SyneriseClient(auth, base_url=url) as client:
            tracemalloc.start()
            try:
                report = await client.events.send_many(
                    events(SINK_EVENTS, invalid_every=2), default_time=RUN_TIME, on_failure=count
                )
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        stored = counts["events"]
    record(
        "bounded failures",
        events=SINK_EVENTS,
        confirmed=report.confirmed,
        failed=report.failed_count,
        kept_in_report=len(report.failed),
        peak_mib=round(peak / 2**20, 1),
    )
    assert seen == {"local": SINK_EVENTS // 2} and report.failed == []
    assert report.confirmed == stored == SINK_EVENTS // 2
    assert peak < 32 * 2**20


@pytest.mark.slow
async def test_a_rerun_under_faults_stores_each_event_once() -> None:
    """50,000 events sent, then sent again, through 10% 429s and 1% drops each way: 50,000 stored."""
    count = RERUN_EVENTS
    async with FakeSynerise(
        seed=13, rate_429=0.1, retry_after=0.01, drop_before=0.01, drop_after=0.01, workflows=1
    ) as fake:
        retry = RetryPolicy(max_retries=30, initial_delay=0.005, max_delay=0.2)
        async with SyneriseClient(
            WorkspaceAuth(api_key=fake.api_key), base_url=fake.url, retry=retry
        ) as client:
            reports = [
                await client.events.send_many(
                    events(count), batch_size=500, concurrency=16, default_time=RUN_TIME
                )
                for _ in range(2)
            ]
        seqs = Counter(e.params["seq"] for e in fake.events)
        received = fake.stats.events_received
    record(
        "re-run",
        events=count,
        sends=2,
        confirmed=sum(r.confirmed for r in reports),
        received_by_fake=received,
        stored=len(seqs),
        duplicated=sum(n - 1 for n in seqs.values()),
    )
    assert all(r.ok for r in reports)
    assert len(seqs) == count and set(seqs.values()) == {1}
    assert received >= 2 * count
