"""No secret anywhere in the exception chain of any error the core raises (real loopback server)."""

from __future__ import annotations

import asyncio
import base64
import socket
import traceback
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import synerise_async as sa
from synerise_async import Operation, RetryPolicy, SyneriseClient
from synerise_async._transport import RawResponse, RequestOptions
from tests.localserver import serve

TOKEN = "tok-SECRET-eyJhbGciOi.abc.def"
API_KEY = "key-SECRET-0123456789"
TRACKER = "trk-SECRET-42"
BASIC = base64.b64encode(f"ws-guid:{API_KEY}".encode()).decode()
SECRETS = (TOKEN, API_KEY, TRACKER, BASIC)


def _op(path: str, *, security: tuple[str, ...] = ("JWT", "Basic")) -> Operation:
    return Operation(operation_id=f"op{path}", method="GET", path=path, tag="t", security=security)


async def _drop(request: web.Request) -> web.StreamResponse:
    assert request.transport is not None
    request.transport.close()
    return web.Response()


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(2)
    return web.json_response({})


async def _short_body(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Length": "100"})
    await response.prepare(request)
    await response.write(b"{")
    assert request.transport is not None
    request.transport.close()
    return response


def _app() -> web.Application:
    app = web.Application()
    app.router.add_get("/drop", _drop)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/short", _short_body)
    app.router.add_get("/500", _respond(500, b'{"message":"boom"}'))
    app.router.add_get("/401", _respond(401, b'{"message":"no"}'))
    app.router.add_get("/429", _respond(429, b"", {"Retry-After": "999"}))
    app.router.add_get("/bad", _respond(200, b"not json"))
    return app


def _respond(
    status: int, body: bytes, headers: dict[str, str] | None = None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(_request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, headers=headers)

    return handler


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [error]
    while todo:
        exc = todo.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        yield exc
        todo.extend(e for e in (exc.__cause__, exc.__context__) if e is not None)


def _assert_clean(error: BaseException) -> None:
    for exc in _chain(error):
        assert not isinstance(exc, aiohttp.ClientError), f"raw aiohttp error in chain: {exc!r}"
        text = " ".join(
            [str(exc), repr(exc), repr(vars(exc)), "".join(traceback.format_exception(exc))]
        )
        leaked = [s[:10] for s in SECRETS if s in text]
        assert not leaked, (
            f"{type(exc).__name__} in the chain of {type(error).__name__} leaks {leaked}"
        )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _parse(raw: RawResponse) -> Any:
    return raw.json()


@pytest.mark.parametrize(
    "auth",
    [sa.TokenAuth(token=TOKEN), sa.BasicAuth(workspace_guid="ws-guid", api_key=API_KEY)],
    ids=["bearer", "basic"],
)
async def test_no_error_the_core_raises_chains_a_secret(auth: sa.Auth) -> None:
    """Connection, timeout, payload, status, validation and call-timeout errors carry no credential
    in message, attributes, traceback, __cause__ or __context__."""
    policy = RetryPolicy(max_retries=1, initial_delay=0.0, jitter=False)
    raised: list[BaseException] = []
    async with serve(_app()) as url:
        async with SyneriseClient(
            auth, base_url=url, retry=policy, timeout=0.3, tracker_key=TRACKER
        ) as client:
            cases: list[tuple[Operation, RequestOptions | None, type[BaseException]]] = [
                (_op("/drop"), None, sa.APIConnectionError),
                (_op("/slow"), None, sa.APITimeoutError),
                (_op("/short"), None, sa.APIConnectionError),
                (_op("/500"), None, sa.InternalServerError),
                (_op("/401"), None, sa.AuthenticationError),
                (_op("/429"), None, sa.RateLimitError),
                (_op("/bad"), None, sa.APIResponseValidationError),
                (_op("/slow"), RequestOptions(timeout=0.05), sa.APITimeoutError),
                (_op("/drop", security=("TrackerKey",)), None, sa.APIConnectionError),
            ]
            for operation, options, expected in cases:
                with pytest.raises(expected) as info:
                    await client.request(
                        operation, {"method": "GET", "url": operation.path}, _parse, options
                    )
                raised.append(info.value)
        refused = f"http://127.0.0.1:{_closed_port()}"
        async with SyneriseClient(auth, base_url=refused, retry=policy) as client:
            with pytest.raises(sa.APIConnectionError) as info:
                await client.request(_op("/x"), {"method": "GET", "url": "/x"}, _parse)
            raised.append(info.value)
    for error in raised:
        _assert_clean(error)
    assert any(isinstance(e.__cause__, sa.TransportFailure) for e in raised)
