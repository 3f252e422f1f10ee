"""Workloads W1-W5, run with the competitors alternating (A B C ... A B C ...)."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import attrs

from . import payloads
from .clients import API_KEY, COMPETITORS, LOGIN_PATH, SMALL_PATH, Competitor, run_workers
from .harness import ROOT, Sample, ServerProcess, timed

__all__ = ["Case", "Settings", "run_w1", "run_w2", "run_w3", "run_w4", "run_w5"]

Log = Callable[[str], None]


@attrs.define
class Settings:
    """Sizes of one run of the harness (``full``, ``quick`` or ``tiny``)."""

    mode: str
    reps: int
    w1_requests: int
    w1_concurrency: tuple[int, ...]
    w2_items: int
    w2_limits: tuple[int, ...]
    w3_events: int
    w3_batches: tuple[int, ...]
    w3_concurrency: int
    w4_calls: int
    w4_ttl: int
    w4_reps: int
    w5_items: int
    w5_limit: int
    w5_reps: int
    w5_other_reps: int
    """Repetitions of W5 for the competitors other than synerise-async (the target's)."""
    w6_import_runs: int
    w6_operations: int
    """The size of the regeneration target (issue 13: 730 operations in < 60 s)."""
    w6_schemas: int
    w6_scale_sizes: tuple[int, ...]
    """Synthetic spec sizes of the scale table; each is regenerated once (the target's
    regeneration is the timed one), then imported and called in fresh processes."""
    w6_scale_runs: int
    instructions: bool = False
    """Also count CPU instructions of W1 and W3 under valgrind (``bench/instructions.py``)."""
    paired_rounds: int = 200
    """Rounds of the paired W1 slices (``bench/paired.py``); 0 skips them."""
    paired_slice: int = 1000
    """Requests per paired W1 slice."""
    paired_w3_rounds: int = 150
    """Rounds of the paired W3 slices (batches of 100, clean)."""
    paired_w3_slice: int = 10_000
    """Events per paired W3 slice."""
    paired_min_rounds: int = 30
    """Fewer rounds than this give an interval too wide to judge: the verdict says n/a."""

    @classmethod
    def full(cls) -> Settings:
        return cls(
            mode="full",
            reps=5,
            w1_requests=5_000,
            w1_concurrency=(1, 16, 128),
            w2_items=10_000,
            w2_limits=(100, 1000),
            w3_events=100_000,
            w3_batches=(100, 1000),
            w3_concurrency=16,
            w4_calls=1_000,
            w4_ttl=4,
            w4_reps=5,
            w5_items=1_000_000,
            w5_limit=1000,
            w5_reps=5,
            w5_other_reps=3,
            w6_import_runs=9,
            w6_operations=730,
            w6_schemas=1000,
            w6_scale_sizes=(100, 300, 730),
            w6_scale_runs=5,
            instructions=True,
        )

    @classmethod
    def quick(cls) -> Settings:
        return attrs.evolve(
            cls.full(),
            mode="quick",
            reps=3,
            w1_requests=1_500,
            w3_events=20_000,
            w4_ttl=3,
            w4_reps=1,
            w5_items=200_000,
            w5_reps=1,
            w5_other_reps=1,
            w6_import_runs=3,
            w6_scale_sizes=(100, 730),
            w6_scale_runs=5,
            instructions=False,
            paired_rounds=40,
            paired_slice=500,
            paired_w3_rounds=40,
            paired_w3_slice=5_000,
        )

    @classmethod
    def tiny(cls) -> Settings:
        """Seconds, not minutes: only proves the harness works (the CI smoke test)."""
        return attrs.evolve(
            cls.full(),
            mode="tiny",
            reps=1,
            w1_requests=60,
            w1_concurrency=(1, 16),
            w2_items=300,
            w2_limits=(100,),
            w3_events=400,
            w3_batches=(100,),
            w3_concurrency=4,
            w4_calls=50,
            w4_ttl=2,
            w4_reps=1,
            w5_items=3_000,
            w5_reps=1,
            w5_other_reps=1,
            w6_import_runs=1,
            w6_operations=30,
            w6_schemas=40,
            w6_scale_sizes=(12, 30),
            w6_scale_runs=1,
            instructions=False,
            paired_rounds=2,
            paired_slice=30,
            paired_w3_rounds=2,
            paired_w3_slice=200,
        )


@attrs.define
class Case:
    """One measured configuration of one workload."""

    workload: str
    name: str
    unit: str
    params: dict[str, Any]
    samples: dict[str, list[Sample]] = attrs.field(factory=dict)
    notes: list[str] = attrs.field(factory=list)


async def _run_case(
    server: ServerProcess,
    case: Case,
    competitors: Sequence[str],
    reps: int,
    concurrency: int,
    body: Callable[[Competitor], Awaitable[int]],
    log: Log,
) -> Case:
    for rep in range(reps):
        for key in competitors:
            competitor = COMPETITORS[key]()
            await competitor.open(server.base_url, concurrency)
            try:
                await competitor.warm_up()
                sample = await timed(server, key, functools.partial(body, competitor))
            finally:
                await competitor.close()
            case.samples.setdefault(key, []).append(sample)
            log(
                f"  {case.workload} {case.name} rep {rep + 1}/{reps} {key}: "
                f"{sample.rate:,.0f} {case.unit}, cpu {sample.cpu_us_per_request:,.0f} us/req"
            )
    return case


# --------------------------------------------------------------------------- W1-W3

RAW = "synerise-async-raw"
"""``client.paginate(..., raw=True)`` (issue 13): dicts, judged against aiohttp + orjson."""


def with_raw(competitors: Sequence[str], workload_method: str) -> list[str]:
    """Add the raw-mode row right after synerise-async, when that competitor exists (it is
    added to ``bench/clients.py`` separately) and implements the workload's method."""
    out = list(competitors)
    cls = COMPETITORS.get(RAW)
    implemented = cls is not None and getattr(cls, workload_method) is not getattr(
        Competitor, workload_method
    )
    if implemented and "synerise-async" in out and RAW not in out:
        out.insert(out.index("synerise-async") + 1, RAW)
    return out


def _with_diagnostic(competitors: Sequence[str], extra: str) -> list[str]:
    """Add a diagnostic row (it uses synerise-async's code) after the real competitors."""
    out = list(competitors)
    if "synerise-async" in out:
        out.append(extra)
    return out


async def run_w1(
    server: ServerProcess, settings: Settings, competitors: Sequence[str], log: Log
) -> list[Case]:
    competitors = _with_diagnostic(competitors, "aiohttp-orjson-models")
    cases = []
    n = settings.w1_requests
    for concurrency in settings.w1_concurrency:
        case = Case(
            "W1",
            f"{n:,} small GETs, concurrency {concurrency}",
            "req/s",
            {"requests": n, "concurrency": concurrency, "path": SMALL_PATH},
        )

        async def body(c: Competitor, concurrency: int = concurrency) -> int:
            return await run_workers(n, concurrency, c.get_small)

        cases.append(
            await _run_case(server, case, competitors, settings.reps, concurrency, body, log)
        )
    return cases


async def run_w2(
    server: ServerProcess, settings: Settings, competitors: Sequence[str], log: Log
) -> list[Case]:
    server.configure(workflows_total=settings.w2_items)
    competitors = _with_diagnostic(competitors, "aiohttp-orjson-models")
    competitors = with_raw(competitors, "list_workflows")
    cases = []
    for limit in settings.w2_limits:
        case = Case(
            "W2",
            f"list {settings.w2_items:,} workflows, page size {limit}",
            "items/s",
            {"items": settings.w2_items, "limit": limit},
        )

        async def body(c: Competitor, limit: int = limit) -> int:
            count = await c.list_workflows(limit)
            if count != settings.w2_items:
                raise RuntimeError(f"{c.key} listed {count} of {settings.w2_items} workflows")
            return count

        cases.append(await _run_case(server, case, competitors, settings.reps, 4, body, log))
    return cases


async def run_w3(
    server: ServerProcess, settings: Settings, competitors: Sequence[str], log: Log
) -> list[Case]:
    events = payloads.events(settings.w3_events)
    competitors = _with_diagnostic(competitors, "synerise-async-prestamped")
    if "aiohttp-orjson" in competitors:
        # The fair baseline of issue 13: the same exactly-once work as send_many, by hand.
        competitors.insert(competitors.index("aiohttp-orjson") + 1, "aiohttp-orjson-salted")
    if "synerise-async" in competitors:
        from .clients import SyneriseAsyncPreStamped

        SyneriseAsyncPreStamped.prestamp(events)
    cases = []
    for fail_every, label in ((0, "clean"), (10, "10% 429s")):
        server.configure(fail_every=fail_every, retry_after="0")
        for batch in settings.w3_batches:
            case = Case(
                "W3",
                f"{settings.w3_events:,} events, batches of {batch}, {label}",
                "events/s",
                {
                    "events": settings.w3_events,
                    "batch": batch,
                    "concurrency": settings.w3_concurrency,
                    "fail_every": fail_every,
                },
            )

            async def body(c: Competitor, batch: int = batch) -> int:
                confirmed = await c.send_events(events, batch, settings.w3_concurrency)
                if confirmed != len(events):
                    raise RuntimeError(f"{c.key} confirmed {confirmed} of {len(events)}")
                return confirmed

            await _run_case(
                server, case, competitors, settings.reps, settings.w3_concurrency, body, log
            )
            for samples in case.samples.values():
                for sample in samples:
                    if sample.extra["events_accepted"] != len(events):
                        raise RuntimeError(
                            f"{sample.competitor}: server accepted "
                            f"{sample.extra['events_accepted']} of {len(events)} events"
                        )
            cases.append(case)
    server.configure(fail_every=0)
    return cases


# --------------------------------------------------------------------------- W4


class _HandAuth:
    """Hand-written token handling on aiohttp, for contrast with the token manager."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, locked: bool) -> None:
        self._base = base_url
        self._session = session
        self._lock = asyncio.Lock() if locked else None
        self._token = ""
        self._exp = 0.0

    async def _login(self) -> None:
        async with self._session.post(
            self._base + LOGIN_PATH, json={"apiKey": API_KEY}, headers={"Api-Version": "4.4"}
        ) as resp:
            token = (await resp.json())["token"]
        claims = json.loads(_b64decode(token.split(".")[1]))
        self._token, self._exp = token, float(claims["exp"])

    async def token(self) -> str:
        if time.time() < self._exp - 0.5:
            return self._token
        if self._lock is None:
            await self._login()
        else:
            async with self._lock:
                if time.time() >= self._exp - 0.5:
                    await self._login()
        return self._token

    async def call(self) -> None:
        token = await self.token()
        async with self._session.get(
            self._base + SMALL_PATH, headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"hand-written auth: {resp.status}")


def _b64decode(part: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


W4_SCENARIOS = (
    ("hard", "all calls start 0.25 s before expiry (hard window)"),
    ("expired", "all calls start 0.2 s after expiry"),
    ("spread", "calls spread from 0.4 TTL before to 0.1 TTL after expiry (soft window)"),
)
W4_CONTENDERS = {
    "synerise-async": "synerise-async (TokenManager)",
    "aiohttp-naive": "aiohttp by hand, re-login when expired, no lock",
    "aiohttp-locked": "aiohttp by hand, asyncio.Lock + re-check",
}


async def _w4_once(
    server: ServerProcess, contender: str, scenario: str, calls: int, ttl: int
) -> dict[str, Any]:
    from synerise_async import SyneriseClient, WorkspaceAuth

    server.reset()
    server.configure(ttl=ttl)
    client: Any
    if contender == "synerise-async":
        from synerise_async.api.workspaces import get_current_business_profile_using_get as op

        client = SyneriseClient(
            WorkspaceAuth(api_key=API_KEY),
            base_url=server.base_url,
            max_concurrency=128,
            connection_limit=128,
        )
        await client.__aenter__()

        async def call() -> None:
            await op.asyncio(client=client)

        closer = client.aclose
    else:
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=128))
        hand = _HandAuth(server.base_url, session, locked=contender == "aiohttp-locked")
        call = hand.call
        closer = session.close
    errors = 0
    try:
        await call()  # first login
        first = server.stats()
        expiry = int(first["login_times"][0]) + ttl
        start, stop = {
            "hard": (expiry - 0.25, expiry - 0.25),
            "expired": (expiry + 0.2, expiry + 0.2),
            "spread": (expiry - 0.4 * ttl, expiry + 0.1 * ttl),
        }[scenario]
        await asyncio.sleep(max(0.0, start - time.time()))
        t0 = time.time()

        async def delayed(offset: float) -> None:
            nonlocal errors
            if offset:
                await asyncio.sleep(offset)
            try:
                await call()
            except Exception:
                errors += 1

        span = stop - start
        await asyncio.gather(*(delayed(span * i / calls) for i in range(calls)))
        elapsed = time.time() - t0
        after = server.stats()
    finally:
        await closer()
    return {
        "logins": after["logins"] - first["logins"],
        "unauthorized": after["unauthorized"],
        "errors": errors,
        "calls": calls,
        "seconds": elapsed,
    }


async def run_w4(server: ServerProcess, settings: Settings, log: Log) -> dict[str, Any]:
    """Token-expiry storm: logins counted on the server per expiry crossed."""
    results: dict[str, Any] = {
        "calls": settings.w4_calls,
        "ttl": settings.w4_ttl,
        "scenarios": dict(W4_SCENARIOS),
        "contenders": W4_CONTENDERS,
        "runs": {},
    }
    for scenario, _label in W4_SCENARIOS:
        for rep in range(settings.w4_reps):
            for contender in W4_CONTENDERS:
                if rep and contender != "synerise-async":
                    continue  # the hand-written contrasts run once per scenario
                run = await _w4_once(
                    server, contender, scenario, settings.w4_calls, settings.w4_ttl
                )
                results["runs"].setdefault(scenario, {}).setdefault(contender, []).append(run)
                log(
                    f"  W4 {scenario} rep {rep + 1} {contender}: {run['logins']} logins, "
                    f"{run['unauthorized']} 401s, {run['errors']} errors"
                )
    server.reset()
    server.configure(ttl=3600)
    return results


# --------------------------------------------------------------------------- W5


def run_w5(
    server: ServerProcess,
    settings: Settings,
    competitors: Sequence[str],
    stock_dir: str | None,
    log: Log,
) -> dict[str, Any]:
    """Stream records through each competitor's paginator in a fresh process; peak RSS."""
    server.configure(records_total=settings.w5_items)
    env = dict(os.environ)
    if stock_dir:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [stock_dir, env.get("PYTHONPATH")]))
    competitors = with_raw(competitors, "stream_records")
    runs: dict[str, list[dict[str, Any]]] = {}
    for rep in range(settings.w5_reps):
        for key in competitors:
            if key not in ("synerise-async", RAW) and rep >= settings.w5_other_reps:
                continue
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.w5",
                    "--competitor",
                    key,
                    "--base-url",
                    server.base_url,
                    "--items",
                    str(settings.w5_items),
                    "--limit",
                    str(settings.w5_limit),
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"W5 {key} failed:\n{proc.stderr[-3000:]}")
            run = json.loads(proc.stdout.strip().splitlines()[-1])
            runs.setdefault(key, []).append(run)
            log(
                f"  W5 rep {rep + 1} {key}: +{run['growth_mb']:.1f} MB peak, "
                f"{run['items_per_s']:,.0f} items/s"
            )
    return {"items": settings.w5_items, "limit": settings.w5_limit, "runs": runs}
