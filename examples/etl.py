"""The demo ETL job: list workflows, fetch their statistics, push 100,000 events.

With no credentials it starts the built-in fake Synerise on 127.0.0.1 with faults
switched on (429s, dropped connections before and after processing, tokens that expire
every few seconds) and proves at the end that not one event was lost or duplicated.

Against a real workspace (never in CI)::

    SYNERISE_API_KEY=... SYNERISE_REGION=eu python examples/etl.py --events 1000

Exit status 1 if any event was lost or duplicated (fake) or not confirmed (real).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio

from synerise_async import RetryPolicy, SendReport, SyneriseClient, WorkspaceAuth
from synerise_async.api.automation import get_paginated_diagrams, get_workflow_statistics
from synerise_async.testing import FakeSynerise

RUN_ID = f"demo-{int(time.time())}"


def synthetic_events(count: int) -> Iterator[dict[str, Any]]:
    """Page-visit events for 5,000 profiles, each carrying a unique sequence number."""
    for n in range(count):
        yield {
            "action": "page.visit",
            "label": "Demo page visit",
            "client": {"uuid": f"00000000-0000-4000-8000-{n % 5000:012d}"},
            "params": {"url": f"https://shop.example/p/{n % 977}", "seq": n, "run": RUN_ID},
        }


class Progress:
    """A one-line progress bar on stderr (no dependency needed)."""

    def __init__(self, total: int, width: int = 40) -> None:
        self.total, self.width, self.done = total, width, 0
        self.started = time.perf_counter()
        self.tty = sys.stderr.isatty()

    def __call__(self, n: int) -> None:
        self.done += n
        if self.tty or self.done == self.total:
            filled = int(self.width * self.done / max(self.total, 1))
            rate = self.done / max(time.perf_counter() - self.started, 1e-9)
            bar = "#" * filled + "-" * (self.width - filled)
            end = "\n" if self.done >= self.total else ""
            print(
                f"\r  events [{bar}] {self.done:>7}/{self.total} {rate:>8.0f}/s",
                end=end,
                file=sys.stderr,
            )


@contextlib.asynccontextmanager
async def target(
    args: argparse.Namespace,
) -> AsyncIterator[tuple[SyneriseClient, FakeSynerise | None]]:
    """A client for the real workspace (SYNERISE_API_KEY set) or for a faulty fake."""
    retry = RetryPolicy(max_retries=8, initial_delay=0.05, max_delay=2.0)
    api_key = os.environ.get("SYNERISE_API_KEY")
    if api_key and not args.fake:
        async with SyneriseClient(WorkspaceAuth(api_key=api_key), retry=retry) as client:
            yield client, None
        return
    async with FakeSynerise(
        seed=args.seed,
        workflows=args.workflows,
        rate_429=0.10,
        retry_after=0.05,
        drop_before=0.005,
        drop_after=0.005,
        token_lifetime=args.token_lifetime,
    ) as fake:
        async with SyneriseClient(
            WorkspaceAuth(api_key=fake.api_key), base_url=fake.url, retry=retry
        ) as client:
            yield client, fake


async def workflow_statistics(client: SyneriseClient, concurrency: int) -> tuple[int, int]:
    """List every workflow through the paginator and fetch statistics for each, bounded."""
    limiter = anyio.Semaphore(concurrency)
    fetched = 0
    workflows = 0

    async def one(diagram_id: str) -> None:
        nonlocal fetched
        async with limiter:
            await get_workflow_statistics.asyncio(diagram_id, client=client)
            fetched += 1

    async with anyio.create_task_group() as group:
        async for workflow in client.paginate(get_paginated_diagrams, limit=100):
            workflows += 1
            group.start_soon(one, workflow.diagram_id)
    return workflows, fetched


def summarise(
    report: SendReport, client: SyneriseClient, fake: FakeSynerise | None, elapsed: float
) -> bool:
    print("\nsummary")
    print(f"  events sent       {report.sent:>9}")
    print(f"  events confirmed  {report.confirmed:>9} (by the API)")
    print(f"  events failed     {len(report.failed):>9}")
    ok = report.ok
    if fake is not None:
        seqs = [e.params.get("seq") for e in fake.events if e.params.get("run") == RUN_ID]
        stored, distinct = len(seqs), len(set(seqs))
        lost = report.received - distinct
        duplicated = stored - distinct
        print(f"  stored by fake    {stored:>9}")
        print(f"  lost              {lost:>9}")
        print(f"  duplicated        {duplicated:>9}")
        print(
            f"  overwrites        {fake.stats.events_overwritten:>9} (resends merged by eventSalt)"
        )
        print(f"  faults injected   {dict(sorted(fake.stats.faults_injected.items()))}")
        ok = ok and lost == 0 and duplicated == 0
    retries = dict(sorted(client.stats.retries_by_cause.items()))
    logins = client.auth_stats.logins if client.auth_stats else 0
    print(f"  retries by cause  {retries}")
    print(f"  logins            {logins:>9}")
    print(f"  elapsed           {elapsed:>9.2f} s")
    print(f"  throughput        {report.confirmed / max(elapsed, 1e-9):>9.0f} events/s")
    print(
        "\nRESULT: "
        + (
            "OK — every event delivered exactly once"
            if ok
            else "FAILED — events lost or duplicated"
        )
    )
    return ok


async def main(args: argparse.Namespace) -> int:
    async with target(args) as (client, fake):
        where = "the fake Synerise at " + client.base_url if fake else client.base_url
        print(f"synerise-async demo against {where}")
        started = time.perf_counter()
        workflows, stats = await workflow_statistics(client, args.concurrency)
        print(f"  workflows listed  {workflows:>9}; statistics fetched for {stats}")
        progress = Progress(args.events)
        report = await client.events.send_many(
            synthetic_events(args.events),
            batch_size=args.batch_size,
            concurrency=args.concurrency,
            salt_namespace=RUN_ID,
            on_batch=progress,
        )
        elapsed = time.perf_counter() - started
        return 0 if summarise(report, client, fake, elapsed) else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workflows", type=int, default=250)
    parser.add_argument("--token-lifetime", type=float, default=3.0, help="fake only: seconds")
    parser.add_argument("--seed", type=int, default=2026, help="fake only: fault randomness")
    parser.add_argument(
        "--fake", action="store_true", help="use the fake even if SYNERISE_API_KEY is set"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
