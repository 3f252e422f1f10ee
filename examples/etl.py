"""The demo ETL job: list workflows, fetch their statistics, push 100,000 events, re-run.

With no credentials it starts the built-in fake Synerise on 127.0.0.1 with faults
switched on (429s, dropped connections before and after processing, tokens that expire
every two seconds) and proves at the end that not one event was lost or duplicated,
including after re-sending the first events as a job re-run after a crash would.

Against a real workspace (never in CI)::

    SYNERISE_API_KEY=... SYNERISE_REGION=eu python examples/etl.py --events 1000

Exit status 1 if any event was lost or duplicated (fake) or not confirmed (real).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio

from synerise_async import RetryPolicy, SendProgress, SendReport, SyneriseClient, WorkspaceAuth
from synerise_async.api.automation import get_paginated_diagrams, get_workflow_statistics
from synerise_async.testing import FakeSynerise

STARTED = dt.datetime.now(dt.UTC).replace(microsecond=0)
RUN_ID = f"demo-{int(STARTED.timestamp())}"
RUN_TIME = STARTED
"""The ``time`` of every event of this run: a re-run with the same value stores nothing twice."""
RATE_429, RETRY_AFTER, DROP_BEFORE, DROP_AFTER = 0.10, 0.05, 0.005, 0.005
"""Fault rates of the fake, printed as configured and as injected."""


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
    """A one-line progress bar on stderr, fed by ``send_many(progress=...)`` snapshots."""

    def __init__(self, total: int, width: int = 32) -> None:
        self.total, self.width = total, width
        self.tty = sys.stderr.isatty()

    def __call__(self, p: SendProgress) -> None:
        done = p.confirmed + p.failed
        if not (self.tty or done >= self.total):
            return
        filled = int(self.width * done / max(self.total, 1))
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if done >= self.total else ""
        print(
            f"\r  events [{bar}] {p.confirmed:>7}/{self.total} confirmed, {p.failed} failed, "
            f"{p.retries} retries, {p.rate:>7.0f}/s",
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
        rate_429=RATE_429,
        retry_after=RETRY_AFTER,
        drop_before=DROP_BEFORE,
        drop_after=DROP_AFTER,
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


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def summarise(
    reports: list[SendReport],
    client: SyneriseClient,
    fake: FakeSynerise | None,
    elapsed: float,
    token_lifetime: float,
) -> bool:
    first = reports[0]
    print("\nsummary")
    print(f"  events sent       {first.sent:>9}")
    print(f"  events confirmed  {first.confirmed:>9} (by the API)")
    print(f"  events failed     {first.failed_count:>9}")
    if len(reports) > 1:
        rerun = reports[1]
        print(f"  re-run confirmed  {rerun.confirmed:>9} (the first events again, same times)")
    ok = all(r.ok for r in reports)
    if fake is not None:
        seqs = [e.params.get("seq") for e in fake.events if e.params.get("run") == RUN_ID]
        stored, distinct = len(seqs), len(set(seqs))
        lost = first.received - distinct
        duplicated = stored - distinct
        print(f"  stored by fake    {stored:>9}")
        print(f"  lost              {lost:>9}")
        print(f"  duplicated        {duplicated:>9}")
        print(
            f"  overwrites        {fake.stats.events_overwritten:>9} (resends merged by eventSalt)"
        )
        requests = fake.stats.requests
        injected = fake.stats.faults_injected
        print(
            f"  faults configured 429 {RATE_429:.1%}, drops before {DROP_BEFORE:.1%} / after "
            f"{DROP_AFTER:.1%} processing, tokens valid {token_lifetime:g} s"
        )
        counts = [injected[kind] for kind in ("429", "drop_before", "drop_after")]
        shares = [percent(count, requests) for count in counts]
        print(
            f"  faults injected   429 {counts[0]} ({shares[0]}), drops before {counts[1]} "
            f"({shares[1]}) / after {counts[2]} ({shares[2]}) of {requests} requests"
        )
        ok = ok and lost == 0 and duplicated == 0
    retries = dict(sorted(client.stats.retries_by_cause.items()))
    logins = client.auth_stats.logins if client.auth_stats else 0
    print(f"  retries by cause  {retries}")
    print(f"  logins            {logins:>9}")
    print(f"  elapsed           {elapsed:>9.2f} s")
    print(f"  throughput        {first.confirmed / max(elapsed, 1e-9):>9.0f} events/s")
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
        options: dict[str, Any] = {
            "batch_size": args.batch_size,
            "concurrency": args.concurrency,
            "salt_namespace": RUN_ID,
            "default_time": RUN_TIME,
        }
        reports = [
            await client.events.send_many(
                synthetic_events(args.events), progress=Progress(args.events), **options
            )
        ]
        rerun = min(args.rerun, args.events)
        if rerun:
            print(f"  re-running the first {rerun} events, as a job restarted after a crash")
            reports.append(await client.events.send_many(synthetic_events(rerun), **options))
        elapsed = time.perf_counter() - started
        return 0 if summarise(reports, client, fake, elapsed, args.token_lifetime) else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workflows", type=int, default=250)
    parser.add_argument(
        "--rerun", type=int, default=10_000, help="events sent again after the run (0: none)"
    )
    parser.add_argument("--token-lifetime", type=float, default=2.0, help="fake only: seconds")
    parser.add_argument("--seed", type=int, default=2026, help="fake only: fault randomness")
    parser.add_argument(
        "--fake", action="store_true", help="use the fake even if SYNERISE_API_KEY is set"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
