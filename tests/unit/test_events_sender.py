"""Bulk event delivery: stamping, batching within limits, the failure report, fail-fast."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

import synerise_async as sa
from synerise_async import RetryPolicy, SyneriseClient
from synerise_async._events import stamp_encode
from synerise_async._transport import RawResponse
from tests.localserver import serve

# Most tests here send events without a time on purpose; the warning has its own test.
pytestmark = pytest.mark.filterwarnings("ignore::synerise_async.ReplayUnsafeWarning")

RUN_TIME = "2026-11-30T06:00:00.000Z"


def event(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "action": "page.visit",
        "label": "visit",
        "client": {"uuid": f"u-{n}"},
        "params": {"n": n},
        **extra,
    }


def stamp(event: dict[str, Any], index: int, now: str) -> dict[str, Any]:
    return orjson.loads(stamp_encode(event, index, b"ns", now))  # type: ignore[no-any-return]


def test_stamping_is_deterministic_and_keeps_caller_values() -> None:
    """The same input position and content give the same salt; given time/salt are kept."""
    a = stamp(event(1), 1, "2024-01-01T00:00:00.000Z")
    b = stamp(event(1), 1, "2024-01-01T00:00:00.000Z")
    assert (
        a["eventSalt"] == b["eventSalt"]
        and a["type"] == "custom"
        and a["time"] == "2024-01-01T00:00:00.000Z"
    )
    twin = stamp(event(1), 2, "2024-01-01T00:00:00.000Z")
    assert twin["eventSalt"] != a["eventSalt"]
    given = stamp(event(1, eventSalt="mine", time="2023-05-05T00:00:00Z"), 1, "x")
    assert (given["eventSalt"], given["time"]) == ("mine", "2023-05-05T00:00:00Z")


def test_stamped_bytes_are_the_sorted_json_with_the_salt_spliced_in() -> None:
    """stamp_encode's output is valid JSON equal to the event plus type, time and eventSalt."""
    stamped = stamp(event(7), 7, "2024-01-01T00:00:00.000Z")
    assert {k: v for k, v in stamped.items() if k not in ("type", "time", "eventSalt")} == event(7)
    assert len(stamped["eventSalt"]) == 32


class BatchServer:
    """A minimal /v4/events/batch endpoint that records batches and can reject one event.

    ``first_answers`` are statuses given to the first requests (nothing stored);
    ``status`` answers every batch with that status instead (nothing stored);
    ``fail_after_storing`` stores each new body, then answers it with that status the
    first time (as a server failing after processing); ``stored`` holds events by
    ``(action, time, eventSalt)``, overwriting repeats like Synerise.
    """

    def __init__(self, reject_n: int | None = None) -> None:
        self.url = ""
        self.batches: list[list[dict[str, Any]]] = []
        self.reject_n = reject_n
        self.status: int | None = None
        self.first_answers: list[int] = []
        self.fail_after_storing: int | None = None
        self.stored: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.requests = 0
        self._seen: set[bytes] = set()

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        raw = await request.read()
        status = self.first_answers.pop(0) if self.first_answers else self.status
        if status is not None:
            return web.json_response({"status": status, "message": "no"}, status=status)
        body = orjson.loads(raw)
        if self.reject_n is not None and any(e["params"]["n"] == self.reject_n for e in body):
            return web.json_response({"status": 400, "message": "bad event"}, status=400)
        self.batches.append(body)
        for item in body:
            self.stored[(item["action"], item["time"], item["eventSalt"])] = item
        if self.fail_after_storing is not None and raw not in self._seen:
            self._seen.add(raw)
            return web.json_response({"status": 500}, status=self.fail_after_storing)
        return web.Response(status=202)


@pytest.fixture
async def batch_server() -> AsyncIterator[BatchServer]:
    server = BatchServer()
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_post("/v4/events/batch", server.handle)
    async with serve(app) as url:
        server.url = url
        yield server


def client_for(server: Any) -> SyneriseClient:
    return SyneriseClient(
        sa.BasicAuth(workspace_guid="ws", api_key="k"),
        base_url=server.url,
        retry=RetryPolicy(max_retries=0),
    )


async def test_batches_respect_the_count_limit(batch_server: BatchServer) -> None:
    """2,500 events in batches of 1,000 arrive as 1000 + 1000 + 500, all confirmed."""
    async with client_for(batch_server) as client:
        report = await client.events.send_many(
            (event(i) for i in range(2500)), batch_size=1000, concurrency=2
        )
    assert report.ok and report.confirmed == 2500 and report.batches == 3
    assert sorted(len(b) for b in batch_server.batches) == [500, 1000, 1000]
    salts = {e["eventSalt"] for b in batch_server.batches for e in b}
    assert len(salts) == 2500


async def test_batches_respect_the_byte_limit(batch_server: BatchServer) -> None:
    """Large events are split so no request body exceeds max_batch_bytes."""
    big = "x" * 10_000
    async with client_for(batch_server) as client:
        report = await client.events.send_many(
            [event(i, params={"n": i, "blob": big}) for i in range(300)], max_batch_bytes=1_000_000
        )
    assert report.ok
    assert all(len(orjson.dumps(b)) <= 1_000_000 for b in batch_server.batches)
    assert sum(len(b) for b in batch_server.batches) == 300 and len(batch_server.batches) >= 3


async def test_invalid_and_oversized_events_are_reported_not_sent(
    batch_server: BatchServer,
) -> None:
    """Events missing required fields or over the size limit land in failed with a ConfigurationError."""
    events = [
        event(1),
        {"action": "x"},
        event(2, params={"n": 2, "blob": "y" * 2_000_000}),
        "nonsense",
        event(3),
    ]
    async with client_for(batch_server) as client:
        report = await client.events.send_many(events)  # type: ignore[arg-type]
    assert report.received == 5 and report.confirmed == 2 and len(report.failed) == 3
    assert all(isinstance(f.error, sa.ConfigurationError) for f in report.failed)
    assert not report.ok
    with pytest.raises(sa.SyneriseError, match="3 of 5 events failed"):
        report.raise_for_failures()


async def test_a_rejected_batch_is_bisected_to_isolate_the_bad_event(
    batch_server: BatchServer,
) -> None:
    """A 400 for one event fails only that event; its neighbours are confirmed."""
    batch_server.reject_n = 37
    async with client_for(batch_server) as client:
        report = await client.events.send_many([event(i) for i in range(100)], batch_size=100)
    assert report.confirmed == 99 and len(report.failed) == 1
    assert report.failed[0].event["params"]["n"] == 37
    assert isinstance(report.failed[0].error, sa.BadRequestError)
    assert report.failed[0].event["eventSalt"]


async def test_async_iterables_and_progress_callbacks(batch_server: BatchServer) -> None:
    """Async generators are accepted and on_batch sees every confirmed event."""
    seen: list[int] = []

    async def source() -> Any:
        for i in range(250):
            yield event(i)

    async with client_for(batch_server) as client:
        report = await client.events.send_many(source(), batch_size=100, on_batch=seen.append)
    assert report.ok and sum(seen) == 250


@pytest.mark.parametrize(
    "kwargs",
    [{"batch_size": 1001}, {"batch_size": 0}, {"max_batch_bytes": 2_000_000}, {"concurrency": 0}],
)
async def test_limits_are_checked_before_sending(kwargs: dict[str, Any]) -> None:
    """Batch settings beyond the documented limits are ConfigurationErrors."""
    async with SyneriseClient() as client:
        with pytest.raises(sa.ConfigurationError):
            await client.events.send_many([event(1)], **kwargs)


async def test_multipart_upload_is_resent_intact_after_a_429() -> None:
    """A file upload retried after a 429 sends the same file again (a fresh multipart body per attempt)."""
    import io

    from synerise_async.api.catalogs import upload_catalog_items
    from synerise_async.models import CatalogItemUploadRequest
    from synerise_async.types import File

    received: list[bytes] = []

    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["file"]
        received.append(upload.file.read())  # type: ignore[union-attr]
        if len(received) == 1:
            return web.json_response({"status": 429}, status=429, headers={"Retry-After": "0"})
        return web.json_response(True)

    app = web.Application()
    app.router.add_post("/catalogs/bags/{catalogId}/items/upload", handler)
    async with serve(app) as url:
        async with SyneriseClient(
            sa.BasicAuth(workspace_guid="ws", api_key="k"), base_url=url
        ) as client:
            body = CatalogItemUploadRequest(
                file=File(
                    payload=io.BytesIO(b"itemKey,title\n1,Shoe\n"),
                    file_name="items.csv",
                    mime_type="text/csv",
                )
            )
            assert await upload_catalog_items.asyncio(7, client=client, body=body) is True
    assert received == [b"itemKey,title\n1,Shoe\n"] * 2


# --------------------------------------------------------------------------- re-runs


def test_the_salt_does_not_depend_on_the_stamped_time() -> None:
    """An event without time gets the same salt whatever time it is stamped with."""
    early = stamp(event(1), 1, "2024-01-01T00:00:00.000Z")
    late = stamp(event(1), 1, "2025-06-01T12:00:00.000Z")
    assert early["eventSalt"] == late["eventSalt"]
    assert (early["time"], late["time"]) == ("2024-01-01T00:00:00.000Z", "2025-06-01T12:00:00.000Z")


async def test_a_rerun_with_default_time_stores_nothing_twice(batch_server: BatchServer) -> None:
    """The same 10,000 events sent twice with the same default_time are stored 10,000 times, not 20,000."""
    async with client_for(batch_server) as client:
        for _ in range(2):
            report = await client.events.send_many(
                (event(i) for i in range(10_000)), default_time=RUN_TIME, concurrency=4
            )
            assert report.ok and report.clock_stamped == 0
    assert sum(len(b) for b in batch_server.batches) == 20_000
    assert len(batch_server.stored) == 10_000
    assert {e["time"] for e in batch_server.stored.values()} == {RUN_TIME}


async def test_default_time_accepts_an_aware_datetime(batch_server: BatchServer) -> None:
    """An aware datetime default_time is sent as ISO 8601 UTC with milliseconds."""
    moment = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    async with client_for(batch_server) as client:
        await client.events.send_many([event(1)], default_time=moment)
    assert batch_server.batches[0][0]["time"] == RUN_TIME


@pytest.mark.parametrize(
    "value", [dt.datetime(2026, 1, 1), "2026-01-01T00:00:00", "yesterday", "", 17]
)
async def test_default_time_must_be_an_unambiguous_time(value: Any) -> None:
    """A naive datetime, a string without a zone or a non-time is a ConfigurationError before sending."""
    async with SyneriseClient() as client:
        with pytest.raises(sa.ConfigurationError, match="default_time"):
            await client.events.send_many([event(1)], default_time=value)


async def test_events_without_time_and_no_default_warn(batch_server: BatchServer) -> None:
    """Without default_time, timeless events get the start time, a ReplayUnsafeWarning and a count."""
    async with client_for(batch_server) as client:
        with pytest.warns(sa.ReplayUnsafeWarning, match="default_time"):
            report = await client.events.send_many(
                [event(1), event(2, time="2026-01-01T00:00:00Z")]
            )
    assert report.ok and report.clock_stamped == 1


async def test_events_with_their_own_times_need_no_default(
    batch_server: BatchServer, recwarn: pytest.WarningsRecorder
) -> None:
    """Events carrying a time are re-run safely without default_time and without a warning."""
    timed = [event(i, time="2026-01-01T00:00:00Z") for i in range(50)]
    async with client_for(batch_server) as client:
        for _ in range(2):
            report = await client.events.send_many(timed)
            assert report.clock_stamped == 0
    assert len(batch_server.stored) == 50
    assert not [w for w in recwarn if issubclass(w.category, sa.ReplayUnsafeWarning)]


# --------------------------------------------------------------------------- faithful JSON


async def test_values_json_cannot_carry_fail_that_event_only(batch_server: BatchServer) -> None:
    """NaN, infinities, non-string or colliding keys and sets fail locally; valid neighbours are sent unchanged."""
    bad = [
        event(1, params={"n": 1, "price": math.nan}),
        event(2, params={"n": 2, "price": math.inf}),
        event(3, params={"n": 3, "deep": [{"x": -math.inf}]}),
        event(4, params={1: "a", "1": "b"}),
        event(5, params={2: "a"}),
        event(6, params={"n": 6, "tags": {"a", "b"}}),
    ]
    good = [event(0, params={"n": 0, "price": 1.5, "none": None}), event(7)]
    async with client_for(batch_server) as client:
        report = await client.events.send_many([good[0], *bad, good[1]], default_time=RUN_TIME)
    assert report.confirmed == 2 and report.failed_count == 6
    assert [f.index for f in report.failed] == [1, 2, 3, 4, 5, 6]
    assert all(f.stage == "local" and not f.replayable for f in report.failed)
    assert all(isinstance(f.error, sa.ConfigurationError) for f in report.failed)
    reasons = [f.reason for f in report.failed]
    assert all("NaN or infinity" in r for r in reasons[:3])
    assert all("JSON" in r for r in reasons[3:])
    sent = [e["params"] for e in batch_server.batches[0]]
    assert sent == [{"n": 0, "price": 1.5, "none": None}, {"n": 7}]


# --------------------------------------------------------------------------- failure records


async def test_failures_carry_their_input_index_and_stage(batch_server: BatchServer) -> None:
    """Local and API failures name their 0-based input position; only sent ones are stamped."""
    batch_server.reject_n = 3
    events: list[Any] = [event(0), "nonsense", event(2), event(3), {"action": "x"}]
    async with client_for(batch_server) as client:
        report = await client.events.send_many(events, batch_size=2, default_time=RUN_TIME)
    by_index = {f.index: f for f in report.failed}
    assert sorted(by_index) == [1, 3, 4]
    assert by_index[1].stage == "local" and by_index[1].event == "nonsense"
    assert by_index[1].event_salt is None and "mapping" in by_index[1].reason
    assert by_index[3].stage == "api" and by_index[3].replayable
    assert by_index[3].event_salt and by_index[3].event["params"] == {"n": 3}
    assert report.received == report.confirmed + report.failed_count == 5


async def test_on_failure_receives_failures_instead_of_the_report(
    batch_server: BatchServer,
) -> None:
    """With on_failure, each failure goes to the callback (async ones awaited) and report.failed stays empty."""
    seen: list[sa.FailedEvent] = []

    async def collect(failure: sa.FailedEvent) -> None:
        seen.append(failure)

    async with client_for(batch_server) as client:
        report = await client.events.send_many(
            [event(0), {"action": "x"}, event(2)], on_failure=collect
        )
    assert [f.index for f in seen] == [1]
    assert report.failed == [] and report.failed_count == 1 and not report.ok
    with pytest.raises(sa.SyneriseError, match="1 of 3 events failed"):
        report.raise_for_failures()


async def test_a_failures_file_replays_into_a_complete_send(
    batch_server: BatchServer, tmp_path: Path
) -> None:
    """Failures written to failures_path are read back by replay_events; replaying stores the rest once."""
    path = tmp_path / "failures.jsonl"
    batch_server.status = 503
    async with client_for(batch_server) as client:
        report = await client.events.send_many(
            (event(i) for i in range(30)),
            batch_size=10,
            concurrency=1,
            failures_path=path,
            default_time=RUN_TIME,
        )
        assert report.failed == [] and report.failed_count == 30
        records = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        assert [r["index"] for r in records] == list(range(30))
        assert {(r["stage"], r["error"], r["status"]) for r in records} == {
            ("api", "InternalServerError", 503)
        }
        batch_server.status = None
        replay = await client.events.send_many(sa.replay_events(path))
    assert replay.ok and replay.confirmed == 30 and replay.clock_stamped == 0
    assert len(batch_server.stored) == 30


async def test_an_existing_failures_file_is_never_overwritten(tmp_path: Path) -> None:
    """failures_path must be a new file: an existing one is a ConfigurationError, left intact."""
    path = tmp_path / "failures.jsonl"
    path.write_text("keep me\n")
    async with SyneriseClient() as client:
        with pytest.raises(sa.ConfigurationError, match="already exists"):
            await client.events.send_many([event(1)], failures_path=path)
    assert path.read_text() == "keep me\n"


async def test_failures_kept_in_memory_are_bounded(
    batch_server: BatchServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a sink, more failures than the report may keep abort the send instead of growing memory."""
    monkeypatch.setattr("synerise_async._event_report.FAILURES_KEPT_WITHOUT_SINK", 5)
    invalid = ({"action": "x", "n": n} for n in range(1_000_000))
    async with client_for(batch_server) as client:
        with pytest.raises(sa.SendAborted, match="on_failure") as info:
            await client.events.send_many(invalid, batch_size=10, concurrency=1)
    report = info.value.report
    assert report.received == 6 and len(report.failed) == 6 and report.failed_count == 6


# --------------------------------------------------------------------------- fail fast


def login_app(answer: Any) -> web.Application:
    """A workspace login that answers 200 with ``answer`` and a batch endpoint that accepts."""
    app = web.Application()

    async def login(request: web.Request) -> web.Response:
        return web.json_response(answer)

    async def batch(request: web.Request) -> web.Response:
        return web.Response(status=202)

    app.router.add_post("/uauth/v2/auth/login/profile", login)
    app.router.add_post("/v4/events/batch", batch)
    return app


def many_events(count: int) -> Iterator[dict[str, Any]]:
    for n in range(count):
        yield event(n)


@pytest.mark.parametrize("answer", [{}, {"token": ""}, {"token": 5}, [1], None])
async def test_a_login_without_a_usable_token_aborts_with_an_authentication_error(
    answer: Any,
) -> None:
    """A 2xx login without a usable token raises SendAborted from an AuthenticationError, not an ExceptionGroup."""
    async with serve(login_app(answer)) as url:
        async with SyneriseClient(sa.WorkspaceAuth(api_key="k"), base_url=url) as client:
            with pytest.raises(sa.SendAborted) as info:
                await client.events.send_many(many_events(200_000), default_time=RUN_TIME)
    aborted = info.value
    assert isinstance(aborted.error, sa.AuthenticationError)
    assert aborted.__cause__ is aborted.error
    assert "no usable token" in str(aborted.error)
    report = aborted.report
    assert report.confirmed == 0 and report.received == report.failed_count
    assert report.received <= (2 * 8 + 1) * 1000 + 1  # queued, in flight, in hand: not 200,000


@pytest.mark.parametrize(
    ("status", "error"), [(403, sa.PermissionDeniedError), (404, sa.NotFoundError)]
)
async def test_errors_that_hit_every_batch_abort_the_send(
    batch_server: BatchServer, status: int, error: type[sa.APIStatusError]
) -> None:
    """403 and 404 on the batch endpoint stop the send; queued batches are reported unsent."""
    batch_server.status = status
    async with client_for(batch_server) as client:
        with pytest.raises(sa.SendAborted) as info:
            await client.events.send_many(many_events(100_000), batch_size=100, concurrency=2)
    report = info.value.report
    assert isinstance(info.value.error, error)
    assert batch_server.requests <= 2
    assert report.received == report.failed_count <= (2 * 2 + 1) * 100 + 1
    stages = {f.stage for f in report.failed}
    assert stages == {"api", "unsent"}
    assert all(f.event_salt for f in report.failed)


async def test_consecutive_failed_batches_trip_the_circuit_breaker(
    batch_server: BatchServer,
) -> None:
    """A persistent 503 stops the send after max_consecutive_failures batches in a row."""
    batch_server.status = 503
    async with client_for(batch_server) as client:
        with pytest.raises(sa.SendAborted, match="3 consecutive batches failed") as info:
            await client.events.send_many(
                many_events(100_000), batch_size=10, concurrency=1, max_consecutive_failures=3
            )
    assert isinstance(info.value.error, sa.InternalServerError)
    assert batch_server.requests == 3
    report = info.value.report
    assert report.received == report.failed_count < 100


async def test_a_401_on_the_batch_endpoint_counts_toward_the_circuit_breaker(
    batch_server: BatchServer,
) -> None:
    """A 401 from the batch endpoint (a token expired in flight, a wrong Basic key) is a failed batch, not an abort."""
    batch_server.status = 401
    async with client_for(batch_server) as client:
        with pytest.raises(sa.SendAborted, match="2 consecutive batches failed") as info:
            await client.events.send_many(
                many_events(1000), batch_size=10, concurrency=1, max_consecutive_failures=2
            )
    assert isinstance(info.value.error, sa.AuthenticationError)
    assert batch_server.requests == 2 * 3  # each batch tried once and resent twice


async def test_a_batch_answered_401_is_resent_with_the_current_token(
    batch_server: BatchServer,
) -> None:
    """Two 401s from the batch endpoint (a token expiring in flight) are followed by a resend that succeeds."""
    batch_server.first_answers = [401, 401]
    async with client_for(batch_server) as client:
        report = await client.events.send_many([event(1)], default_time=RUN_TIME)
    assert report.ok and batch_server.requests == 3 and len(batch_server.stored) == 1


async def test_a_success_resets_the_circuit_breaker(batch_server: BatchServer) -> None:
    """Failures separated by successes never trip the breaker: each failed batch is reported."""
    batch_server.reject_n = -1
    pattern = [event(i if i % 2 else -1) for i in range(20)]  # every other batch is rejected
    async with client_for(batch_server) as client:
        report = await client.events.send_many(
            pattern, batch_size=1, concurrency=1, max_consecutive_failures=2
        )
    assert report.confirmed == 10 and report.failed_count == 10


def broken_rows() -> Iterator[dict[str, Any]]:
    yield from (event(i) for i in range(150))
    raise ValueError("row 150 is unreadable")


async def broken_rows_async() -> AsyncIterator[dict[str, Any]]:
    for row in (event(i) for i in range(150)):
        yield row
    raise ValueError("row 150 is unreadable")


@pytest.mark.parametrize("source", [broken_rows, broken_rows_async])
async def test_the_callers_iterator_error_propagates_as_itself(
    batch_server: BatchServer, source: Any
) -> None:
    """An exception from a sync or async input is raised as itself after the events read before it are delivered."""
    async with client_for(batch_server) as client:
        with pytest.raises(ValueError, match="row 150") as info:
            await client.events.send_many(source(), batch_size=100)
    report = info.value.report  # type: ignore[attr-defined]
    assert report.received == report.confirmed == 150
    assert sum(len(b) for b in batch_server.batches) == 150


async def test_a_callers_callback_error_propagates_as_itself(batch_server: BatchServer) -> None:
    """An exception raised by the progress callback reaches the caller unwrapped."""

    def progress(snapshot: sa.SendProgress) -> None:
        raise KeyError("progress bar broke")

    async with client_for(batch_server) as client:
        with pytest.raises(KeyError, match="progress bar broke"):
            await client.events.send_many(many_events(5000), batch_size=100, progress=progress)


# --------------------------------------------------------------------------- retry what is safe


async def test_a_500_after_storing_is_retried_and_confirmed(batch_server: BatchServer) -> None:
    """A salted batch answered 500 after it was stored is retried; the report says confirmed, none stored twice."""
    batch_server.fail_after_storing = 500
    async with SyneriseClient(
        sa.BasicAuth(workspace_guid="ws", api_key="k"),
        base_url=batch_server.url,
        retry=RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.002),
    ) as client:
        report = await client.events.send_many(
            many_events(1000), batch_size=100, default_time=RUN_TIME
        )
        retries = client.stats.retries_by_cause.get("500")
    assert report.ok and report.confirmed == 1000 and report.failed_count == 0
    assert retries == 10 and report.retries == 10
    assert len(batch_server.batches) == 20 and len(batch_server.stored) == 1000


# --------------------------------------------------------------------------- progress


async def test_progress_reports_confirmed_failed_retries_and_rate(
    batch_server: BatchServer,
) -> None:
    """Progress snapshots grow monotonically and end with the report's totals."""
    batch_server.reject_n = 42
    snapshots: list[sa.SendProgress] = []

    async def progress(snapshot: sa.SendProgress) -> None:
        snapshots.append(snapshot)

    async with client_for(batch_server) as client:
        report = await client.events.send_many(
            many_events(1000), batch_size=100, concurrency=2, progress=progress
        )
    assert len(snapshots) == 10
    confirmed = [s.confirmed for s in snapshots]
    assert confirmed == sorted(confirmed)
    last = snapshots[-1]
    assert (last.received, last.confirmed, last.failed) == (1000, 999, 1)
    assert last.confirmed == report.confirmed and last.retries == report.retries == 0
    assert last.rate > 0 and last.elapsed > 0


async def test_progress_counts_every_event_read_before_its_batch(
    batch_server: BatchServer,
) -> None:
    """Each progress snapshot's received covers the events confirmed or failed so far."""
    snapshots: list[sa.SendProgress] = []
    failures: list[sa.FailedEvent] = []
    events = [event(i) if i % 50 else {"action": "bad"} for i in range(1, 451)]

    async with client_for(batch_server) as client:

        def on_failure(failure: sa.FailedEvent) -> None:
            failures.append(failure)

        report = await client.events.send_many(
            events,
            batch_size=100,
            concurrency=1,
            progress=snapshots.append,
            on_failure=on_failure,
        )
    assert (report.received, report.confirmed, report.failed_count) == (450, 441, 9)
    assert all(s.received >= s.confirmed + s.failed for s in snapshots)
    assert [s.received for s in snapshots] == sorted(s.received for s in snapshots)
    assert snapshots[-1].received == 450 and len(failures) == 9


async def test_the_replay_warning_comes_even_if_the_input_fails_early(
    batch_server: BatchServer,
) -> None:
    """A timeless event read before the caller's iterator raises still triggers the warning."""

    def broken() -> Iterator[dict[str, Any]]:
        yield event(1)
        raise RuntimeError("input went away")

    async with client_for(batch_server) as client:
        with pytest.warns(sa.ReplayUnsafeWarning), pytest.raises(RuntimeError) as raised:
            await client.events.send_many(broken())
    assert raised.value.report.received == 1  # type: ignore[attr-defined]
    assert raised.value.report.confirmed == 1  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the seam


def test_the_sender_uses_the_generated_operation_record() -> None:
    """send_many's operation and limits are the generated batchSendEvents record, not a copy."""
    from synerise_async import _events
    from synerise_async.api.events import batch_send_events

    assert _events.BATCH_OPERATION is batch_send_events.OPERATION
    assert _events.MAX_BATCH_EVENTS == batch_send_events.OPERATION.max_items
    assert _events.MAX_BATCH_BYTES == batch_send_events.OPERATION.max_body_bytes
    assert batch_send_events.OPERATION.retry == "event-salt"


def test_the_sender_does_not_import_the_client() -> None:
    """Importing the events sender loads the Transport protocol but not _client (no cycle)."""
    code = (
        "import sys\n"
        "import synerise_async._events\n"
        "print('synerise_async._client' in sys.modules, 'synerise_async._transport' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True"]


class ScriptedTransport:
    """A bare ``Transport``: answers every request from ``outcome`` (the sender needs nothing more)."""

    def __init__(self, outcome: BaseException | None) -> None:
        self.outcome = outcome
        self.bodies: list[bytes] = []
        self.salted: list[bool] = []

    async def call(
        self, operation: Any, parts: sa.RequestParts, parse: Any, options: Any = None
    ) -> Any:
        self.bodies.append(parts.content)  # type: ignore[arg-type]
        self.salted.append(parts.all_salted)
        if self.outcome is not None:
            raise self.outcome
        return parse(RawResponse(202, {}, b""))

    async def request(
        self, operation: Any, parts: sa.RequestParts, parse: Any, options: Any = None
    ) -> Any:
        raise AssertionError("the sender needs no Response: it uses call()")


async def test_the_sender_works_over_any_transport() -> None:
    """EventsAPI runs on an object that only implements the Transport protocol."""
    transport = ScriptedTransport(None)
    report = await sa.EventsAPI(transport).send_many(many_events(25), batch_size=10)
    assert report.ok and report.batches == 3 and len(transport.bodies) == 3
    assert transport.salted == [True, True, True]  # pre-encoded but marked safe to repeat


async def test_a_configuration_error_from_the_transport_aborts_the_send() -> None:
    """A ConfigurationError raised for a batch would hit every batch: the send stops with SendAborted."""
    transport = ScriptedTransport(sa.ConfigurationError("this client cannot send that"))
    with pytest.raises(sa.SendAborted, match="ConfigurationError") as info:
        await sa.EventsAPI(transport).send_many(many_events(10_000), batch_size=10, concurrency=1)
    assert len(transport.bodies) == 1
    assert info.value.report.received == info.value.report.failed_count <= 3 * 10 + 1


def test_failure_records_round_trip_through_the_converter(tmp_path: Path) -> None:
    """A failure record written by the sink's converter reads back as the same record; a
    line missing a field is a ConfigurationError naming the line."""
    from synerise_async._event_report import FailedEvent, FailureRecord
    from synerise_async._serde import converter

    stamped = {"action": "a", "time": "2026-01-01T00:00:00Z", "eventSalt": "s"}
    failure = FailedEvent(index=7, stage="api", event=stamped, error=sa.SyneriseError("boom"))
    line = converter.dumps(failure.record())
    assert converter.loads(line, FailureRecord) == failure.record()
    path = tmp_path / "failures.jsonl"
    path.write_bytes(line + b"\n" + b'{"index": 1, "event": {}}\n')
    replayed = sa.replay_events(path)
    assert next(replayed) == stamped
    with pytest.raises(sa.ConfigurationError, match="line 2 is not a failure record"):
        next(replayed)
