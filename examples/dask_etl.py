"""The ETL job on a Dask cluster: many worker processes, one login, one rate budget.

Each Dask worker gets one :class:`SyneriseClient`, opened by a worker plugin on its own
event loop (a thread of the worker) and closed when the worker shuts down. The clients
share tokens through :class:`RedisTokenCache` (one login per token expiry across the
cluster) and a :class:`RedisRateLimiter` budget (a 429 anywhere slows every worker).
A task sends one partition of events with ``send_many``; every event has a ``time``
derived from its input and the salt namespace names the partition, so the salts are a
function of the input alone and a task that Dask runs again — here because a worker is
killed in the middle of one — overwrites its first delivery instead of duplicating it.

With no arguments it starts everything itself: a redis-server, the fake Synerise (in this
process, with 429s, dropped connections and 10-second tokens) and a ``LocalCluster`` of 4
worker processes, sends 1,000,000 events in 40 partitions, kills one worker mid-task,
and prints a summary (lost 0, duplicated 0, logins per token expiry 1)::

    python examples/dask_etl.py            # or: make demo-cluster
    python examples/dask_etl.py --scheduler tcp://scheduler:8786 --redis redis://cache:6379/0

With ``--scheduler`` the same code runs on an existing cluster (the fake then listens on
``--fake-host``, which the workers must be able to reach). Exit status 1 if any event was
lost or duplicated or a token expiry took more than one login.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

from distributed import Client, LocalCluster, as_completed, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from synerise_async import (
    RateLimit,
    RedisRateLimiter,
    RedisTokenCache,
    RetryPolicy,
    SyneriseClient,
    WorkspaceAuth,
)
from synerise_async.testing import FakeSynerise

PLUGIN = "synerise-client"
EPOCH = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- the worker side


class SyneriseClientPlugin(WorkerPlugin):
    """Opens one SyneriseClient per worker on a private event loop; closes it on teardown.

    A private loop in a thread keeps the client's I/O off the worker's own loop (which
    runs Dask's heartbeats) and lets the synchronous task functions submit to it.
    """

    idempotent = True

    def __init__(
        self, *, base_url: str, api_key: str, redis_url: str, budget: str, per_second: float
    ) -> None:
        self.base_url = base_url
        self._api_key = api_key
        self.redis_url = redis_url
        self.budget = budget
        self.per_second = per_second
        self.loop: asyncio.AbstractEventLoop | None = None
        self.client: SyneriseClient | None = None
        self._thread: threading.Thread | None = None
        self._closers: list[Any] = []

    def __repr__(self) -> str:
        return f"SyneriseClientPlugin(base_url={self.base_url!r}, api_key=***)"

    def __getstate__(self) -> dict[str, Any]:
        # Only the configuration travels to the workers; the loop and client are per worker.
        state = dict(self.__dict__)
        state.update(loop=None, client=None, _thread=None, _closers=[])
        return state

    def setup(self, worker: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="synerise-loop", daemon=True
        )
        self._thread.start()
        self.client = self.run(self._open())

    async def _open(self) -> SyneriseClient:
        cache = RedisTokenCache(self.redis_url)
        limiter = RedisRateLimiter(
            self.redis_url, limit=RateLimit(per_second=self.per_second), budget=self.budget
        )
        client = SyneriseClient(
            WorkspaceAuth(api_key=self._api_key),
            base_url=self.base_url,
            token_cache=cache,
            rate_limit=limiter,
            retry=RetryPolicy(max_retries=10, initial_delay=0.05, max_delay=2.0),
            # The fake speaks plain HTTP; with --fake-host it is not on loopback.
            allow_insecure_http=self.base_url.startswith("http://"),
        )
        self._closers = [client.aclose, limiter.aclose, cache.aclose]
        return client

    def run(self, coro: Any) -> Any:
        """Run a coroutine on this worker's client loop and wait for its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def teardown(self, worker: Any) -> None:
        if self.loop is None:
            return
        for close in self._closers:
            self.run(close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.loop.close()
        self.loop = None


def partition_events(run_id: str, partition: int, size: int) -> Iterator[dict[str, Any]]:
    """The events of one partition, a pure function of its input (the sequence numbers).

    ``time`` comes from the sequence number, not the clock, so the salts ``send_many``
    derives are the same every time the partition is sent.
    """
    for seq in range(partition * size, (partition + 1) * size):
        yield {
            "action": "page.visit",
            "label": "Cluster demo page visit",
            "time": (EPOCH + dt.timedelta(milliseconds=seq)).isoformat(timespec="milliseconds"),
            "client": {"customId": f"profile-{seq % 20_000}"},
            "params": {"seq": seq, "run": run_id, "partition": partition},
        }


def send_partition(
    run_id: str, partition: int, size: int, redis_url: str, batch_size: int
) -> dict[str, Any]:
    """A Dask task: send one partition through this worker's client; report what happened."""
    worker = get_worker()
    plugin: SyneriseClientPlugin = worker.plugins[PLUGIN]
    client = plugin.client
    assert client is not None
    attempt = plugin.run(_mark_started(redis_url, run_id, partition, worker.address))
    before = client.stats.retries_by_cause.get("429", 0)
    report = plugin.run(
        client.events.send_many(
            partition_events(run_id, partition, size),
            batch_size=batch_size,
            concurrency=2,
            salt_namespace=f"{run_id}:{partition}",
        )
    )
    return {
        "partition": partition,
        "attempt": attempt,
        "received": report.received,
        "confirmed": report.confirmed,
        "failed": len(report.failed),
        "retries_429": client.stats.retries_by_cause.get("429", 0) - before,
        "replays_after_401": client.stats.replays_after_401,
        "worker": worker.address,
    }


async def _mark_started(redis_url: str, run_id: str, partition: int, address: str) -> int:
    """Count this execution of the partition and note where it runs (for the kill)."""
    import redis.asyncio as aioredis

    conn = aioredis.Redis.from_url(redis_url)
    try:
        attempt = int(await conn.hincrby(f"demo:{run_id}:attempts", str(partition), 1))
        await conn.hset(f"demo:{run_id}:running", str(partition), address)
        return attempt
    finally:
        await conn.aclose()


# --------------------------------------------------------------------------- the driver side


@contextlib.contextmanager
def local_redis() -> Iterator[str]:
    """A throwaway redis-server on a free loopback port (the binary must be installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed: run `make redis-server` or pass --redis")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir, "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


class FakeInThread:
    """The fake Synerise on its own loop in a thread of the driver, so the driver can read
    its store at the end; it records when each login happened."""

    def __init__(self, **knobs: Any) -> None:
        self.fake = FakeSynerise(**knobs)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.login_times: list[float] = []
        self._watching = True
        self._watcher: Any = None

    def __enter__(self) -> FakeSynerise:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result()
        self._watcher = asyncio.run_coroutine_threadsafe(self._watch_logins(), self.loop)
        return self.fake

    async def _watch_logins(self) -> None:
        seen = 0
        while self._watching:
            while self.fake.stats.logins > seen:
                seen += 1
                self.login_times.append(time.monotonic())
            await asyncio.sleep(0.01)

    def __exit__(self, *exc_info: object) -> None:
        self._watching = False
        self._watcher.result(timeout=10)
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def logins_per_expiry(login_times: list[float], lifetime: float) -> tuple[int, int]:
    """``(expiries, most logins for one expiry)``: logins closer than a quarter of the token
    lifetime to the previous one answered the same expiry (refreshes are a lifetime apart)."""
    groups: list[int] = []
    last = None
    for moment in sorted(login_times):
        if last is None or moment - last > lifetime / 4:
            groups.append(0)
        groups[-1] += 1
        last = moment
    return len(groups), max(groups, default=0)


def kill_a_busy_worker(client: Client, redis_url: str, run_id: str, done: set[int]) -> str:
    """SIGKILL the worker running a partition that has started but not finished."""
    import redis

    conn = redis.Redis.from_url(redis_url)
    try:
        for _ in range(500):
            running = {
                int(k): v.decode() for k, v in conn.hgetall(f"demo:{run_id}:running").items()
            }
            busy = [addr for part, addr in running.items() if part not in done]
            if busy:
                address = busy[0]
                pid = client.run(os.getpid, workers=[address])[address]
                os.kill(pid, signal.SIGKILL)
                return address
            time.sleep(0.01)
    finally:
        conn.close()
    raise RuntimeError("no worker was busy to kill")


def attempts_by_partition(redis_url: str, run_id: str) -> dict[int, int]:
    import redis

    conn = redis.Redis.from_url(redis_url)
    try:
        raw = conn.hgetall(f"demo:{run_id}:attempts")
    finally:
        conn.close()
    return {int(k): int(v) for k, v in raw.items()}


def run_job(args: argparse.Namespace, redis_url: str) -> int:
    run_id = f"cluster-{args.seed}-{int(time.time())}"
    size = args.events // args.partitions
    total = size * args.partitions
    holder = FakeInThread(
        host=args.fake_host,
        seed=args.seed,
        rate_429=args.rate_429,
        retry_after=0.05,
        drop_before=0.002,
        drop_after=0.002,
        token_lifetime=args.token_lifetime,
    )
    with holder as fake:
        base_url = (
            fake.url
            if args.fake_host != "0.0.0.0"
            else fake.url.replace("0.0.0.0", socket.gethostname())
        )
        cluster = (
            None
            if args.scheduler
            else LocalCluster(
                n_workers=args.workers,
                processes=True,
                threads_per_worker=1,
                # A free port: the scheduler's HTTP server otherwise tries 8787, which
                # another cluster on the machine may hold (distributed then falls back to
                # another port but leaks the socket of the failed attempt).
                dashboard_address="127.0.0.1:0",
                memory_limit=None,
            )
        )
        with Client(args.scheduler or cluster) as client:
            client.register_plugin(
                SyneriseClientPlugin(
                    base_url=base_url,
                    api_key=fake.api_key,
                    redis_url=redis_url,
                    budget=fake.workspace_guid,
                    per_second=args.requests_per_second,
                ),
                name=PLUGIN,
            )
            workers = len(client.scheduler_info()["workers"])
            print(
                f"synerise-async on Dask: {workers} workers, {total:,} events in "
                f"{args.partitions} partitions, fake Synerise at {base_url}, Redis {redis_url}"
            )
            started = time.perf_counter()
            futures = [
                client.submit(
                    send_partition, run_id, p, size, redis_url, args.batch_size, pure=False
                )
                for p in range(args.partitions)
            ]
            results: dict[int, dict[str, Any]] = {}
            killed = None
            for future in as_completed(futures):
                result = future.result()
                results[result["partition"]] = result
                if killed is None and args.kill and len(results) >= args.partitions // 4:
                    killed = kill_a_busy_worker(client, redis_url, run_id, set(results))
                    print(f"  killed worker {killed} in the middle of a task")
            elapsed = time.perf_counter() - started
        if cluster is not None:
            cluster.close()
    # Everything is stopped: the fake's store is final.
    seqs = Counter(e.params.get("seq") for e in fake.events if e.params.get("run") == run_id)
    lost = total - len(seqs)
    duplicated = sum(n - 1 for n in seqs.values())
    attempts = attempts_by_partition(redis_url, run_id)
    re_executed = sum(1 for n in attempts.values() if n > 1)
    expiries, worst = logins_per_expiry(holder.login_times, args.token_lifetime)
    confirmed = sum(r["confirmed"] for r in results.values())
    failed = sum(r["failed"] for r in results.values())
    throttles = fake.stats.faults_injected["429"] + fake.stats.faults_injected["rate_limit"]
    replays: dict[str, int] = {}
    for r in results.values():
        replays[r["worker"]] = max(replays.get(r["worker"], 0), r["replays_after_401"])
    summary = {
        "workers": workers,
        "events": total,
        "confirmed": confirmed,
        "failed": failed,
        "stored": len(seqs),
        "lost": lost,
        "duplicated": duplicated,
        "overwrites": fake.stats.events_overwritten,
        "events_received_by_fake": fake.stats.events_received,
        "killed_worker": killed,
        "partitions_re_executed": re_executed,
        "logins": fake.stats.logins,
        "token_expiries": expiries,
        "max_logins_per_expiry": worst,
        "http_429": throttles,
        "replays_after_401": sum(replays.values()),
        "elapsed_s": round(elapsed, 2),
        "events_per_s": round(total / max(elapsed, 1e-9)),
    }
    ok = lost == 0 and duplicated == 0 and failed == 0 and worst <= 1
    print("\nsummary")
    print(f"  workers                 {workers:>10}")
    print(f"  events sent             {confirmed:>10,} confirmed, {failed} failed")
    print(f"  stored by the fake      {len(seqs):>10,}")
    print(f"  lost                    {lost:>10}")
    print(f"  duplicated              {duplicated:>10}")
    print(f"  killed worker           {killed or 'none':>10}")
    print(
        f"  partitions re-executed  {re_executed:>10} "
        f"({fake.stats.events_overwritten:,} resent events merged by eventSalt)"
    )
    print(
        f"  logins                  {fake.stats.logins:>10} for {expiries} token expiries "
        f"(at most {worst} per expiry across the cluster)"
    )
    print(f"  429s seen               {throttles:>10}")
    print(f"  elapsed                 {elapsed:>10.2f} s")
    print(f"  throughput              {summary['events_per_s']:>10,} events/s")
    print("\nRESULT: " + ("OK" if ok else "FAILED"))
    if args.json:
        print("SUMMARY " + json.dumps(summary))
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler")
    parser.add_argument("--redis", help="redis:// URL (default: start a local redis-server)")
    parser.add_argument("--workers", type=int, default=4, help="LocalCluster worker processes")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--requests-per-second", type=float, default=200.0, help="shared budget")
    parser.add_argument("--token-lifetime", type=float, default=10.0, help="fake: seconds")
    parser.add_argument("--rate-429", type=float, default=0.03, help="fake: 429 probability")
    parser.add_argument("--fake-host", default="127.0.0.1", help="interface the fake listens on")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-kill", dest="kill", action="store_false", help="kill no worker")
    parser.add_argument("--json", action="store_true", help="also print the summary as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.redis:
        return run_job(args, args.redis)
    with local_redis() as url:
        return run_job(args, url)


if __name__ == "__main__":
    sys.exit(main())
