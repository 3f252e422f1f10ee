"""Bulk event delivery: stamping, batching within limits, and the failure report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web

import synerise_async as sa
from synerise_async import RetryPolicy, SyneriseClient
from synerise_async._events import stamp_encode
from tests.localserver import serve


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
    """A minimal /v4/events/batch endpoint that records batches and can reject one event."""

    def __init__(self, reject_n: int | None = None) -> None:
        self.url = ""
        self.batches: list[list[dict[str, Any]]] = []
        self.reject_n = reject_n

    async def handle(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        if self.reject_n is not None and any(e["params"]["n"] == self.reject_n for e in body):
            return web.json_response({"status": 400, "message": "bad event"}, status=400)
        self.batches.append(body)
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
