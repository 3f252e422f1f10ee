"""A lean HTTP/1.1 server for the benchmarks, run in its own process on 127.0.0.1.

It is a raw ``asyncio.Protocol`` with a minimal keep-alive parser (Content-Length bodies
only) and pre-encoded response bodies, so that the clients, not the server, are what is
measured: its CPU time is reported next to the client's in every table.

Routes (same paths and payload shapes as the spec):

- ``POST /uauth/v2/auth/login/profile`` -> ``{"token": <JWT>}``, ``exp`` = now + ``ttl``
- ``GET /uauth/business-profile/current`` -> ``CurrentWorkspaceResponse``
- ``GET /automation-brain/diagrams?page&limit`` -> ``{data, meta{page,limit,pages,total}}``
- ``GET /brickworks/v1/schemas/{id}/records?limit&pageToken`` -> cursor pages
- ``POST /v4/events/batch`` -> 202 (every ``fail_every``-th answer is a 429)

Bearer tokens must be ones this server issued and not expired (else 401), so a client
that sends an expired token across a token expiry is caught. Control routes (not timed):
``GET /__stats``, ``POST /__config`` (JSON), ``POST /__reset``.

Run: ``python -m bench.server [--port 0]``; prints ``PORT <n>`` once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import signal
import sys
import time
from typing import Any
from urllib.parse import parse_qsl

import orjson

from . import payloads

__all__ = ["BenchServer", "main"]

_REASONS = {200: b"OK", 202: b"Accepted", 400: b"Bad Request", 401: b"Unauthorized"}
_REASONS |= {404: b"Not Found", 429: b"Too Many Requests", 500: b"Internal Server Error"}
_JSON = b"application/json"
_LOGIN = b"/uauth/v2/auth/login/profile"
_CURRENT = b"/uauth/business-profile/current"
_DIAGRAMS = b"/automation-brain/diagrams"
_RECORDS_PREFIX = b"/brickworks/v1/schemas/"
_EVENTS = b"/v4/events/batch"
_UNAUTHORIZED = orjson.dumps(
    {"status": 401, "error": "Unauthorized", "message": "Token expired or unknown"}
)
_TOO_MANY = orjson.dumps({"status": 429, "error": "Too Many Requests", "message": "Slow down"})
_NOT_FOUND = orjson.dumps({"status": 404, "error": "Not Found", "message": "No such route"})


def _response(status: int, body: bytes, extra: bytes = b"") -> bytes:
    head = b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n" % (
        status,
        _REASONS.get(status, b"OK"),
        len(body),
        extra,
    )
    return head + body


class BenchServer:
    """Route handling and counters (one instance per server process)."""

    def __init__(self) -> None:
        self.config: dict[str, Any] = {
            "ttl": 3600,
            "fail_every": 0,
            "workflows_total": 10_000,
            "records_total": 1_000_000,
            "retry_after": "0",
        }
        self._current = _response(200, orjson.dumps(payloads.current_workspace()))
        self._accepted = _response(202, b"")
        self._workflow_items: list[bytes] = []
        self._pages: dict[tuple[int, int, int], bytes] = {}
        self._record_pages: dict[int, bytes] = {}
        self._tokens: dict[bytes, float] = {}
        self._jti = 0
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.logins = 0
        self.login_times: list[float] = []
        self.unauthorized = 0
        self.too_many = 0
        self.events_accepted = 0
        self.batches_accepted = 0
        self._event_posts = 0

    # ------------------------------------------------------------------ dispatch

    def handle(self, method: bytes, target: bytes, head: bytes, body: bytes) -> bytes:
        self.requests += 1
        path, _, query = target.partition(b"?")
        if path == _CURRENT:
            return self._current if self._authorized(head) else self._deny()
        if path == _EVENTS and method == b"POST":
            return self._events(head, body)
        if path == _DIAGRAMS:
            return self._diagrams(query) if self._authorized(head) else self._deny()
        if path.startswith(_RECORDS_PREFIX) and path.endswith(b"/records"):
            return self._records(query) if self._authorized(head) else self._deny()
        if path == _LOGIN and method == b"POST":
            return self._login()
        if path.startswith(b"/__"):
            self.requests -= 1
            return self._control(path, body)
        return _response(404, _NOT_FOUND)

    def _authorized(self, head: bytes) -> bool:
        start = head.find(b"uthorization: ")
        if start < 0:
            return False
        start += 14
        end = head.find(b"\r\n", start)
        value = head[start:] if end < 0 else head[start:end]
        if value.startswith(b"Basic "):
            return True
        if not value.startswith(b"Bearer "):
            return False
        expires = self._tokens.get(value[7:])
        return expires is not None and expires > time.time()

    def _deny(self) -> bytes:
        self.unauthorized += 1
        return _response(401, _UNAUTHORIZED)

    def _login(self) -> bytes:
        now = time.time()
        self.logins += 1
        self.login_times.append(now)
        self._jti += 1
        issued = int(now)
        expires = issued + int(self.config["ttl"])
        token = payloads.jwt("bench-workspace", issued, expires, self._jti)
        self._tokens[token.encode()] = float(expires)
        return _response(200, orjson.dumps({"token": token}))

    def _events(self, head: bytes, body: bytes) -> bytes:
        if not self._authorized(head):
            return self._deny()
        self._event_posts += 1
        every = self.config["fail_every"]
        if every and self._event_posts % every == 0:
            self.too_many += 1
            extra = b"Retry-After: %s\r\n" % str(self.config["retry_after"]).encode()
            return _response(429, _TOO_MANY, extra)
        self.batches_accepted += 1
        self.events_accepted += body.count(b'"action":')
        return self._accepted

    def _diagrams(self, query: bytes) -> bytes:
        params = dict(parse_qsl(query.decode()))
        page = max(1, int(params.get("page", 1)))
        limit = max(1, int(params.get("limit", 10)))
        total = int(self.config["workflows_total"])
        key = (page, limit, total)
        cached = self._pages.get(key)
        if cached is None:
            if len(self._workflow_items) < total:
                self._workflow_items.extend(
                    orjson.dumps(payloads.workflow(i))
                    for i in range(len(self._workflow_items), total)
                )
            start = (page - 1) * limit
            items = self._workflow_items[start : min(start + limit, total)]
            pages = -(-total // limit)
            meta = orjson.dumps({"page": page, "limit": limit, "pages": pages, "total": total})
            body = b'{"data":[' + b",".join(items) + b'],"meta":' + meta + b"}"
            cached = _response(200, body)
            if len(self._pages) < 4096:
                self._pages[key] = cached
        return cached

    def _records(self, query: bytes) -> bytes:
        params = dict(parse_qsl(query.decode()))
        limit = max(1, min(1000, int(params.get("limit", 50))))
        offset = int(params.get("pageToken") or 0)
        total = int(self.config["records_total"])
        count = max(0, min(limit, total - offset))
        data = self._record_pages.get(count)
        if data is None:
            data = b",".join(orjson.dumps(payloads.record(i)) for i in range(count))
            self._record_pages[count] = data
        following = offset + count
        next_token = b'"%d"' % following if count and following < total else b"null"
        previous = b'"%d"' % max(0, offset - limit) if offset else b"null"
        body = (
            b'{"data":['
            + data
            + b'],"nextPageToken":'
            + next_token
            + b',"previousPageToken":'
            + previous
            + b"}"
        )
        return _response(200, body)

    def _control(self, path: bytes, body: bytes) -> bytes:
        if path == b"/__config":
            self.config.update(orjson.loads(body or b"{}"))
            return _response(200, orjson.dumps(self.config))
        if path == b"/__reset":
            self.reset()
            self._tokens.clear()
            return _response(200, b"{}")
        if path == b"/__stats":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            stats = {
                "requests": self.requests,
                "logins": self.logins,
                "login_times": self.login_times,
                "unauthorized": self.unauthorized,
                "too_many": self.too_many,
                "events_accepted": self.events_accepted,
                "batches_accepted": self.batches_accepted,
                "cpu": usage.ru_utime + usage.ru_stime,
            }
            return _response(200, orjson.dumps(stats))
        return _response(404, _NOT_FOUND)


class _Protocol(asyncio.Protocol):
    """One keep-alive connection: parse requests out of the byte stream, answer each."""

    __slots__ = ("_buffer", "_server", "_transport")

    def __init__(self, server: BenchServer) -> None:
        self._server = server
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end])
            length = 0
            at = head.find(b"ontent-Length: ")
            if at < 0:
                at = head.find(b"ontent-length: ")
            if at >= 0:
                stop = head.find(b"\r\n", at)
                length = int(head[at + 15 : stop if stop >= 0 else len(head)])
            elif b"ransfer-Encoding: chunked" in head or b"ransfer-encoding: chunked" in head:
                assert self._transport is not None
                self._transport.write(_response(400, b'{"error":"chunked bodies unsupported"}'))
                self._transport.close()
                return
            total = end + 4 + length
            if len(buffer) < total:
                return
            body = bytes(buffer[end + 4 : total])
            del buffer[:total]
            line_end = head.find(b"\r\n")
            method, target, _ = head[: line_end if line_end >= 0 else len(head)].split(b" ", 2)
            assert self._transport is not None
            self._transport.write(self._server.handle(method, target, head, body))


async def serve(port: int, ready: Any = None) -> None:
    server = BenchServer()
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(
        lambda: _Protocol(server), "127.0.0.1", port, backlog=1024, reuse_address=True
    )
    bound = listener.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with listener:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port))
    sys.exit(0)


if __name__ == "__main__":
    main()
