"""Soak: 200,000 events through a faulty FakeSynerise arrive exactly once."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from synerise_async import RetryPolicy, SyneriseClient, WorkspaceAuth
from synerise_async.testing import FakeSynerise
from tests.reliability.figures import record

EVENTS = 200_000
SOAK_TIME = "2026-11-22T12:00:00.000Z"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def events(count: int) -> Iterator[dict[str, Any]]:
    for n in range(count):
        yield {
            "action": "soak.event",
            "label": "soak",
            "client": {"customId": f"soak-{n % 10_000}"},
            "params": {"seq": n},
        }


@pytest.mark.slow
async def test_every_event_arrives_exactly_once_under_faults() -> None:
    """With 20% 429s, 2% 503s, 1% drops before and 1% after processing and 3 s tokens, the fake holds each event once."""
    fds_before = open_fds()
    started = time.perf_counter()
    async with FakeSynerise(
        seed=20261122,
        rate_429=0.20,
        retry_after=0.01,
        rate_5xx=0.02,
        drop_before=0.01,
        drop_after=0.01,
        token_lifetime=3.0,
        workflows=1,
    ) as fake:
        retry = RetryPolicy(max_retries=30, initial_delay=0.005, max_delay=0.2)
        async with SyneriseClient(
            WorkspaceAuth(api_key=fake.api_key), base_url=fake.url, retry=retry
        ) as client:
            report = await client.events.send_many(
                events(EVENTS), batch_size=200, concurrency=16, default_time=SOAK_TIME
            )
        seqs = Counter(e.params["seq"] for e in fake.events if e.action == "soak.event")
        faults = dict(fake.stats.faults_injected)
        logins = fake.stats.logins
    elapsed = time.perf_counter() - started
    lost = EVENTS - len(seqs)
    duplicated = sum(count - 1 for count in seqs.values())
    record(
        "soak",
        events=EVENTS,
        confirmed=report.confirmed,
        failed=len(report.failed),
        lost=lost,
        duplicated=duplicated,
        faults=faults,
        retries=dict(client.stats.retries_by_cause),
        logins=logins,
        seconds=round(elapsed, 1),
    )
    assert report.ok, report.failed[:3]
    assert (lost, duplicated) == (0, 0)
    assert (
        faults.get("429", 0) > 0
        and faults.get("drop_after", 0) > 0
        and faults.get("drop_before", 0) > 0
    )
    assert logins >= 2  # tokens really expired during the run
    await asyncio.sleep(0)
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    assert open_fds() <= fds_before
