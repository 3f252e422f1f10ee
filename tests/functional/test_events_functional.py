"""The bulk sender against the fake Synerise: re-runs, fail-fast, scrubbed errors."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import synerise_async as sa
from synerise_async import RetryPolicy, SyneriseClient, WorkspaceAuth
from synerise_async.testing import FakeSynerise
from tests.functional.conftest import client_for

RUN_TIME = "2026-11-30T06:00:00.000Z"
TESTS = str(Path(__file__).resolve().parents[1])


def rows(count: int, run: str = "r") -> Iterator[dict[str, Any]]:
    for n in range(count):
        yield {
            "action": "etl.row",
            "label": "row",
            "client": {"customId": f"c{n % 97}"},
            "params": {"row": n, "run": run},
        }


async def test_rerunning_a_job_stores_every_event_once() -> None:
    """The same 10,000 events sent twice with default_time leave 10,000 events in the fake."""
    async with FakeSynerise(seed=3) as fake:
        async with client_for(fake) as client:
            for _ in range(2):
                report = await client.events.send_many(rows(10_000), default_time=RUN_TIME)
                assert report.ok and report.confirmed == 10_000
        assert fake.stats.events_received == 20_000
        assert len(fake.events) == 10_000
        assert fake.stats.events_overwritten == 10_000


async def test_a_wrong_api_key_stops_a_long_send_at_once() -> None:
    """A 200,000-event generator with a wrong key raises SendAborted after reading a few batches, with no login made."""
    async with FakeSynerise(seed=4) as fake:
        async with SyneriseClient(WorkspaceAuth(api_key="wrong"), base_url=fake.url) as client:
            with pytest.raises(sa.SendAborted) as info:
                await client.events.send_many(rows(200_000), default_time=RUN_TIME)
        assert fake.stats.logins == 0
    aborted = info.value
    assert isinstance(aborted.error, sa.AuthenticationError)
    report = aborted.report
    assert report.confirmed == 0
    assert report.received == report.failed_count <= (2 * 8 + 1) * 1000 + 1


# --------------------------------------------------------------------------- secrets


@contextlib.asynccontextmanager
async def mangling_proxy(upstream: str, mangled_path: str) -> AsyncIterator[str]:
    """A loopback HTTP/1.1 proxy to ``upstream`` whose answers for ``mangled_path`` have a
    malformed status line (so aiohttp raises ClientResponseError with the request headers)."""
    session = aiohttp.ClientSession(auto_decompress=True)

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                method, target, _ = head[0].split(" ", 2)
                headers = dict(line.split(": ", 1) for line in head[1:] if line)
                body = await reader.readexactly(int(headers.get("Content-Length", "0")))
                if target.split("?")[0] == mangled_path:
                    writer.write(b"HTTP/1.1 2x2 Accepted\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
                    return
                forward = {
                    k: v
                    for k, v in headers.items()
                    if k.lower() not in ("host", "content-length", "accept-encoding")
                }
                async with session.request(
                    method, upstream + target, data=body, headers=forward
                ) as resp:
                    content = await resp.read()
                    answer = (
                        f"HTTP/1.1 {resp.status} X\r\nContent-Type: {resp.content_type}\r\n"
                        f"Content-Length: {len(content)}\r\n\r\n"
                    ).encode() + content
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()
        await session.close()


def exception_chain(exc: BaseException) -> list[BaseException]:
    """Every exception reachable through __cause__, __context__ and exception groups."""
    seen: list[BaseException] = []
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        stack += [current.__cause__, current.__context__]
        stack += list(getattr(current, "exceptions", ()))
    return seen


def secrets_in(exc: BaseException, secrets: set[str]) -> list[str]:
    """Where a secret shows in the chain: messages, reprs, attributes, traceback locals."""
    found = []
    for link in exception_chain(exc):
        if hasattr(link, "request_info"):
            found.append(f"{type(link).__name__} keeps request_info")
        texts = [str(link), repr(link), repr(link.args), repr(getattr(link, "__dict__", {}))]
        tb = link.__traceback__
        while tb is not None:
            if not tb.tb_frame.f_code.co_filename.startswith(TESTS):
                texts.append(repr(tb.tb_frame.f_locals))
            tb = tb.tb_next
        found += [f"{type(link).__name__}: {s[:6]}…" for s in secrets for t in texts if s in t]
    return found


async def test_reported_and_raised_errors_carry_no_credentials() -> None:
    """After malformed answers, no failure's or SendAborted's exception chain holds headers, tokens or keys."""
    async with FakeSynerise(seed=6) as fake:
        async with mangling_proxy(fake.url, "/v4/events/batch") as url:
            async with SyneriseClient(
                WorkspaceAuth(api_key=fake.api_key),
                base_url=url,
                retry=RetryPolicy(max_retries=1, initial_delay=0.001, max_delay=0.002),
            ) as client:
                with pytest.raises(sa.SendAborted) as info:
                    await client.events.send_many(
                        rows(50),
                        batch_size=10,
                        concurrency=1,
                        default_time=RUN_TIME,
                        max_consecutive_failures=2,
                    )
                tokens = client._shared.tokens
                assert tokens is not None and tokens.current() is not None
                token = tokens.current().value  # type: ignore[union-attr]
    report = info.value.report
    first = report.failed[0]
    assert first.stage == "api" and isinstance(first.error, sa.APIConnectionError)
    secrets = {fake.api_key, token, f"Bearer {token}"}
    assert secrets_in(info.value, secrets) == []
    for failure in report.failed:
        assert secrets_in(failure.error, secrets) == []
    cause = first.error.__cause__
    # The core's scrubbed stand-in for aiohttp's exception: its type and reason, no request.
    assert isinstance(cause, sa.TransportFailure)
    assert "ClientResponseError" in str(cause) and "Bad status line" in str(cause)
