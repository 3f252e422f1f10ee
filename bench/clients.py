"""The competitors, each doing the same workloads its own idiomatic way.

Every competitor is given a connection pool as large as the concurrency of the workload
(aiohttp ``TCPConnector(limit=c)``, httpx ``Limits(max_connections=c,
max_keepalive_connections=c)``, synerise-async ``max_concurrency=c, connection_limit=c``)
so that a default pool size is never what is measured. Workers are the same loop for
everyone (:func:`run_workers`). Hand-written baselines log in once with the API key
before timing starts; synerise-async logs in through its own token manager (one warm-up
call before timing).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import importlib
import json
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

if TYPE_CHECKING:
    from synerise_async import SyneriseClient

__all__ = ["COMPETITORS", "Competitor", "run_workers"]

API_KEY = "bench-api-key"
SMALL_PATH = "/uauth/business-profile/current"
LIST_PATH = "/automation-brain/diagrams"
RECORDS_PATH = "/brickworks/v1/schemas/bench/records"
EVENTS_PATH = "/v4/events/batch"
LOGIN_PATH = "/uauth/v2/auth/login/profile"
MAX_ATTEMPTS = 10
MAX_BATCH_EVENTS = 1000
MAX_BATCH_BYTES = 1024 * 1024
"""The documented limits of one ``/v4/events/batch`` request (what send_many keeps to)."""
JOB_TIME = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
"""W3: the ``time`` of events that have none, fixed before any timing like a job's scheduled
time (send_many's ``default_time``), the same for every competitor that stamps."""


class BenchError(RuntimeError):
    """A competitor got an answer it should not have (the run is invalid)."""


async def run_workers(total: int, concurrency: int, call: Callable[[], Awaitable[Any]]) -> int:
    """Make ``total`` calls with ``concurrency`` workers; the same loop for every competitor."""
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total


def _batches(events: Sequence[dict[str, Any]], size: int) -> list[Sequence[dict[str, Any]]]:
    return [events[i : i + size] for i in range(0, len(events), size)]


class Competitor:
    """One way of calling the API. Subclasses implement the workloads."""

    key = ""
    label = ""
    models = ""
    """What list items are parsed into (W2/W5)."""

    async def open(self, base_url: str, concurrency: int) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def get_small(self) -> Any:
        raise NotImplementedError

    async def list_workflows(self, limit: int) -> int:
        raise NotImplementedError

    async def stream_records(self, limit: int) -> int:
        raise NotImplementedError

    async def send_events(
        self, events: Sequence[dict[str, Any]], batch_size: int, concurrency: int
    ) -> int:
        raise NotImplementedError

    async def warm_up(self) -> None:
        await self.get_small()


# --------------------------------------------------------------------------- aiohttp


class AiohttpJson(Competitor):
    """Hand-written aiohttp with the standard library's json (``resp.json()``)."""

    key = "aiohttp-json"
    label = "aiohttp + json (by hand)"
    models = "dicts (json)"

    def _loads(self, body: bytes) -> Any:
        return json.loads(body)

    def _dumps(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode()

    async def open(self, base_url: str, concurrency: int) -> None:
        self._base = base_url
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))
        async with self._session.post(
            base_url + LOGIN_PATH, json={"apiKey": API_KEY}, headers={"Api-Version": "4.4"}
        ) as resp:
            token = (await resp.json())["token"]
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._post_headers = {
            **self._headers,
            "Content-Type": "application/json",
            "Api-Version": "4.4",
        }

    async def close(self) -> None:
        await self._session.close()

    async def _get(self, url: str) -> Any:
        async with self._session.get(url, headers=self._headers) as resp:
            if resp.status != 200:
                raise BenchError(f"{self.key}: GET {url} -> {resp.status}")
            return await self._read_json(resp)

    async def _read_json(self, resp: aiohttp.ClientResponse) -> Any:
        return await resp.json()

    async def get_small(self) -> Any:
        return await self._get(self._base + SMALL_PATH)

    async def list_workflows(self, limit: int) -> int:
        count, page = 0, 1
        while True:
            body = await self._get(f"{self._base}{LIST_PATH}?page={page}&limit={limit}")
            for _item in body["data"]:
                count += 1
            if page >= body["meta"]["pages"]:
                return count
            page += 1

    async def stream_records(self, limit: int) -> int:
        count, token = 0, None
        while True:
            url = f"{self._base}{RECORDS_PATH}?limit={limit}"
            body = await self._get(url if token is None else f"{url}&pageToken={token}")
            for _item in body["data"]:
                count += 1
            token = body["nextPageToken"]
            if not token or not body["data"]:
                return count

    async def send_events(
        self, events: Sequence[dict[str, Any]], batch_size: int, concurrency: int
    ) -> int:
        batches = iter(_batches(events, batch_size))
        url = self._base + EVENTS_PATH
        confirmed = 0

        async def worker() -> None:
            nonlocal confirmed
            for batch in batches:
                body = self._dumps(batch)
                for _attempt in range(MAX_ATTEMPTS):
                    async with self._session.post(
                        url, data=body, headers=self._post_headers
                    ) as resp:
                        await resp.read()
                        if resp.status == 429:
                            await asyncio.sleep(float(resp.headers.get("Retry-After", "1")))
                            continue
                        if resp.status != 202:
                            raise BenchError(f"{self.key}: batch -> {resp.status}")
                        confirmed += len(batch)
                        break
                else:
                    raise BenchError(f"{self.key}: batch still throttled after retries")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return confirmed


class AiohttpOrjson(AiohttpJson):
    """Hand-written aiohttp with orjson (``orjson.loads(await resp.read())``)."""

    key = "aiohttp-orjson"
    label = "aiohttp + orjson (by hand)"
    models = "dicts (orjson)"

    def _dumps(self, value: Any) -> bytes:
        return orjson.dumps(value)

    async def _read_json(self, resp: aiohttp.ClientResponse) -> Any:
        return orjson.loads(await resp.read())


def salted_batches(
    events: Sequence[dict[str, Any]], batch_size: int, now: str = JOB_TIME
) -> Iterator[tuple[int, bytes]]:
    """The salted sender's stamping and batching by hand: (event count, body) per batch."""
    limit = min(batch_size, MAX_BATCH_EVENTS)
    parts: list[bytes] = []
    size = 2  # the brackets
    for position, event in enumerate(events, 1):
        canonical = orjson.dumps(event, option=orjson.OPT_SORT_KEYS)
        salt = hashlib.sha256(position.to_bytes(8, "big") + canonical).hexdigest()[:32]
        stamped = {"type": "custom", "time": now, **event, "eventSalt": salt}
        encoded = orjson.dumps(stamped)
        if parts and (len(parts) >= limit or size + len(encoded) + 1 > MAX_BATCH_BYTES):
            yield len(parts), b"[" + b",".join(parts) + b"]"
            parts, size = [], 2
        parts.append(encoded)
        size += len(encoded) + 1
    if parts:
        yield len(parts), b"[" + b",".join(parts) + b"]"


class AiohttpOrjsonSalted(AiohttpOrjson):
    """W3 only: hand-written aiohttp + orjson doing the exactly-once work ``send_many`` does,
    the fair baseline of issue 13 (the plain rows send the events unchanged).

    Every event gets ``type`` when missing, a ``time`` stamp when missing and an ``eventSalt``
    of ``sha256(position, key-sorted JSON of the event as given)``; events are encoded one by
    one so that a batch closes at ``batch_size`` events (at most 1000) or before it would
    pass 1 MiB; batches go out from ``concurrency`` workers, a 429 is retried after its
    ``Retry-After``. Written the way a careful user would: a second ``orjson.dumps`` of the
    stamped dict rather than splicing bytes.
    """

    key = "aiohttp-orjson-salted"
    label = "aiohttp + orjson, salted + batched by hand (fair W3 baseline)"

    async def send_events(
        self, events: Sequence[dict[str, Any]], batch_size: int, concurrency: int
    ) -> int:
        url = self._base + EVENTS_PATH
        confirmed = 0
        # Shared by the workers; advanced only between awaits.
        pending = salted_batches(events, batch_size)

        async def worker() -> None:
            nonlocal confirmed
            for count, body in pending:
                for _attempt in range(MAX_ATTEMPTS):
                    async with self._session.post(
                        url, data=body, headers=self._post_headers
                    ) as resp:
                        await resp.read()
                        if resp.status == 429:
                            await asyncio.sleep(float(resp.headers.get("Retry-After", "1")))
                            continue
                        if resp.status != 202:
                            raise BenchError(f"{self.key}: batch -> {resp.status}")
                        confirmed += count
                        break
                else:
                    raise BenchError(f"{self.key}: batch still throttled after retries")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return confirmed


# --------------------------------------------------------------------------- httpx


def _neutralise_sniffio_trap() -> None:
    """httpcore tries ``import sniffio`` on every request; anyio >= 4.11 no longer
    installs it, and a failing import is retried each time (anyio #1021, httpcore #1103).
    Marking it absent in ``sys.modules`` makes that import fail at once, so httpx is
    measured as it runs with sniffio installed, not with a per-request path search."""
    try:
        importlib.import_module("sniffio")
    except ImportError:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


class RawHttpx(Competitor):
    """Hand-written httpx.AsyncClient with orjson."""

    key = "httpx"
    label = "httpx + orjson (by hand)"
    models = "dicts (orjson)"

    async def open(self, base_url: str, concurrency: int) -> None:
        _neutralise_sniffio_trap()
        import httpx

        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._client = httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0)
        resp = await self._client.post(
            LOGIN_PATH, json={"apiKey": API_KEY}, headers={"Api-Version": "4.4"}
        )
        token = resp.json()["token"]
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._post_headers = {
            **self._headers,
            "Content-Type": "application/json",
            "Api-Version": "4.4",
        }

    async def close(self) -> None:
        await self._client.aclose()

    async def _get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        resp = await self._client.get(url, params=params, headers=self._headers)
        if resp.status_code != 200:
            raise BenchError(f"{self.key}: GET {url} -> {resp.status_code}")
        return orjson.loads(resp.content)

    async def get_small(self) -> Any:
        return await self._get(SMALL_PATH)

    async def list_workflows(self, limit: int) -> int:
        count, page = 0, 1
        while True:
            body = await self._get(LIST_PATH, {"page": page, "limit": limit})
            for _item in body["data"]:
                count += 1
            if page >= body["meta"]["pages"]:
                return count
            page += 1

    async def stream_records(self, limit: int) -> int:
        count, token = 0, None
        while True:
            params: dict[str, Any] = {"limit": limit}
            if token is not None:
                params["pageToken"] = token
            body = await self._get(RECORDS_PATH, params)
            for _item in body["data"]:
                count += 1
            token = body["nextPageToken"]
            if not token or not body["data"]:
                return count

    async def send_events(
        self, events: Sequence[dict[str, Any]], batch_size: int, concurrency: int
    ) -> int:
        batches = iter(_batches(events, batch_size))
        confirmed = 0

        async def worker() -> None:
            nonlocal confirmed
            for batch in batches:
                body = orjson.dumps(batch)
                for _attempt in range(MAX_ATTEMPTS):
                    resp = await self._client.post(
                        EVENTS_PATH, content=body, headers=self._post_headers
                    )
                    if resp.status_code == 429:
                        await asyncio.sleep(float(resp.headers.get("Retry-After", "1")))
                        continue
                    if resp.status_code != 202:
                        raise BenchError(f"{self.key}: batch -> {resp.status_code}")
                    confirmed += len(batch)
                    break
                else:
                    raise BenchError(f"{self.key}: batch still throttled after retries")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return confirmed


# --------------------------------------------------------------------------- stock client


class StockClient(Competitor):
    """The stock openapi-python-client output (httpx), generated from the same spec at
    bench time; requests and parsing through its generated functions and models."""

    key = "stock-opc"
    label = "openapi-python-client stock (httpx)"
    models = "stock generated models"
    package = "stock_client"

    def _import(self, name: str) -> ModuleType:
        return importlib.import_module(f"{self.package}.{name}")

    async def open(self, base_url: str, concurrency: int) -> None:
        _neutralise_sniffio_trap()
        import httpx

        client_mod = self._import("client")
        login = self._import("api.authorization.profile_login")
        request_model = self._import("models.workspace_login_request").WorkspaceLoginRequest
        self._small = self._import("api.workspaces.get_current_business_profile_using_get")
        self._list = self._import("api.automation.get_paginated_diagrams")
        self._records = self._import("api.brickworks.list_brickworks_records")
        self._events = self._import("api.events.batch_send_events")
        self._event_item = self._import("models.batch_event_item").BatchEventItem
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        anonymous = client_mod.Client(base_url=base_url, httpx_args={"limits": limits})
        async with anonymous:
            response = await login.asyncio_detailed(
                client=anonymous, **self._login_kwargs(login, request_model)
            )
        token = response.parsed.token
        self._client = client_mod.AuthenticatedClient(
            base_url=base_url,
            token=token,
            httpx_args={"limits": limits},
            timeout=httpx.Timeout(30.0),
        )
        await self._client.__aenter__()

    @staticmethod
    def _login_kwargs(login: ModuleType, request_model: type) -> dict[str, Any]:
        import inspect

        kwargs: dict[str, Any] = {"body": request_model(api_key=API_KEY)}
        if "api_version" in inspect.signature(login.asyncio_detailed).parameters:
            kwargs["api_version"] = "4.4"
        return kwargs

    async def close(self) -> None:
        await self._client.__aexit__(None, None, None)

    async def get_small(self) -> Any:
        parsed = await self._small.asyncio(client=self._client)
        if parsed is None or type(parsed).__name__ == "ErrorResponse":
            raise BenchError(f"{self.key}: small GET failed: {parsed!r}")
        return parsed

    async def list_workflows(self, limit: int) -> int:
        count, page = 0, 1
        while True:
            parsed = await self._list.asyncio(client=self._client, page=page, limit=limit)
            if type(parsed).__name__ != "WorkflowListResponse":
                raise BenchError(f"{self.key}: list failed: {parsed!r}")
            for _item in parsed.data:
                count += 1
            if page >= parsed.meta.pages:
                return count
            page += 1

    async def stream_records(self, limit: int) -> int:
        count, token = 0, None
        while True:
            kwargs: dict[str, Any] = {"limit": limit}
            if token is not None:
                kwargs["page_token"] = token
            parsed = await self._records.asyncio(
                client=self._client, schema_identifier="bench", **kwargs
            )
            for _item in parsed.data:
                count += 1
            token = parsed.next_page_token
            if not token or not parsed.data:
                return count

    async def send_events(
        self, events: Sequence[dict[str, Any]], batch_size: int, concurrency: int
    ) -> int:
        batches = iter(_batches(events, batch_size))
        confirmed = 0
        item = self._event_item

        async def worker() -> None:
            nonlocal confirmed
            for batch in batches:
                body = [item.from_dict(event) for event in batch]
                for _attempt in range(MAX_ATTEMPTS):
                    resp = await self._events.asyncio_detailed(client=self._client, body=body)
                    if resp.status_code == 429:
                        await asyncio.sleep(float(resp.headers.get("Retry-After", "1")))
                        continue
                    if resp.status_code != 202:
                        raise BenchError(f"{self.key}: batch -> {resp.status_code}")
                    confirmed += len(batch)
                    break
                else:
                    raise BenchError(f"{self.key}: batch still throttled after retries")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return confirmed


# --------------------------------------------------------------------------- synerise-async


class SyneriseAsync(Competitor):
    """synerise-async through its generated operations, ``client.paginate`` and
    ``client.events.send_many`` (events are stamped with time and eventSalt)."""

    key = "synerise-async"
    label = "synerise-async"
    models = "generated models"

    async def open(self, base_url: str, concurrency: int) -> None:
        from synerise_async import SyneriseClient, WorkspaceAuth
        from synerise_async.api.automation import get_paginated_diagrams
        from synerise_async.api.brickworks import list_brickworks_records

        self._list = get_paginated_diagrams
        self._records = list_brickworks_records
        self._client = self._client_class(SyneriseClient)(
            WorkspaceAuth(api_key=API_KEY),
            base_url=base_url,
            max_concurrency=concurrency,
            connection_limit=concurrency,
        )
        await self._client.__aenter__()

    def _client_class(self, base: type[SyneriseClient]) -> type[SyneriseClient]:
        """The client class to measure (a diagnostic row may measure a subclass)."""
        return base

    async def close(self) -> None:
        await self._client.aclose()

    async def get_small(self) -> Any:
        # The surface the README recommends: client.<tag>.<operation>().
        return await self._client.workspaces.get_current_business_profile_using_get()

    async def list_workflows(self, limit: int) -> int:
        count = 0
        async for _item in self._client.paginate(self._list, limit=limit):
            count += 1
        return count

    async def stream_records(self, limit: int) -> int:
        count = 0
        async for _item in self._client.paginate(
            self._records, schema_identifier="bench", limit=limit
        ):
            count += 1
        return count

    async def send_events(
        self, events: Sequence[dict[str, Any]], batch_size: int, concurrency: int
    ) -> int:
        report = await self._client.events.send_many(
            events, batch_size=batch_size, concurrency=concurrency, default_time=JOB_TIME
        )
        if not report.ok:
            raise BenchError(f"{self.key}: {len(report.failed)} events failed")
        return report.confirmed


class SyneriseAsyncRaw(SyneriseAsync):
    """synerise-async with ``client.paginate(..., raw=True)`` for the listings (W2, W5):
    the decoded dicts, no models; the other workloads are the parent's."""

    key = "synerise-async-raw"
    label = "synerise-async, paginate(raw=True)"
    models = "dicts (orjson)"

    async def list_workflows(self, limit: int) -> int:
        count = 0
        async for _item in self._client.paginate(self._list, raw=True, limit=limit):
            count += 1
        return count

    async def stream_records(self, limit: int) -> int:
        count = 0
        async for _item in self._client.paginate(
            self._records, raw=True, schema_identifier="bench", limit=limit
        ):
            count += 1
        return count


class AiohttpOrjsonModels(AiohttpOrjson):
    """W1/W2 only, for diagnosis: hand-written aiohttp + orjson parsing into synerise-async's
    generated models, so ``synerise-async`` minus this row is the cost of the SDK's own
    layer (auth, retries, pipeline, paginator) rather than of the models."""

    key = "aiohttp-orjson-models"
    label = "aiohttp + orjson + generated models (diagnostic)"
    models = "generated models"

    async def open(self, base_url: str, concurrency: int) -> None:
        await super().open(base_url, concurrency)
        from synerise_async.models.current_workspace_response import CurrentWorkspaceResponse
        from synerise_async.models.workflow_list_response import WorkflowListResponse

        self._small_model = CurrentWorkspaceResponse
        self._list_model = WorkflowListResponse

    async def get_small(self) -> Any:
        return self._small_model.from_dict(await super().get_small())

    async def list_workflows(self, limit: int) -> int:
        count, page = 0, 1
        while True:
            parsed = self._list_model.from_dict(
                await self._get(f"{self._base}{LIST_PATH}?page={page}&limit={limit}")
            )
            for _item in parsed.data:
                count += 1
            if page >= parsed.meta.pages:
                return count
            page += 1


class SyneriseAsyncPreStamped(SyneriseAsync):
    """W3 only, for diagnosis: events that already carry ``time`` and ``eventSalt`` (stamped
    before timing starts), so the row shows the transport path without the stamping cost."""

    key = "synerise-async-prestamped"
    label = "synerise-async, events pre-stamped (diagnostic)"
    _stamped: tuple[int, list[dict[str, Any]]] | None = None

    async def send_events(
        self, events: Sequence[dict[str, Any]], batch_size: int, concurrency: int
    ) -> int:
        cache = SyneriseAsyncPreStamped._stamped
        assert cache is not None and cache[0] == id(events), "call prestamp() first"
        return await super().send_events(cache[1], batch_size, concurrency)

    @classmethod
    def prestamp(cls, events: Sequence[dict[str, Any]]) -> None:
        from synerise_async._event_batch import stamp_encode

        stamped = [orjson.loads(stamp_encode(e, i, b"", JOB_TIME)) for i, e in enumerate(events)]
        cls._stamped = (id(events), stamped)


class SyneriseAsyncFloor(SyneriseAsync):
    """W1 only, for diagnosis (``python -m bench.instructions --competitors ...``): the
    client with every feature of the success path removed, to show what the SDK's surface
    costs on its own.

    It keeps ``client.workspaces.<op>()``, the prepared-request cache, the token check with
    its cached headers, the session's User-Agent and the generated model. It drops the
    dispatch on options and rate limiter, ``ClientStats``, the loop and closed check, the
    slots check, the debug log, the deprecation check, the parse guard, and the retry and
    401 layers. It is not a usable client: any failure is raised as is.
    """

    key = "synerise-async-floor"
    label = "synerise-async without its success-path features (diagnostic)"

    def _client_class(self, base: type[SyneriseClient]) -> type[SyneriseClient]:
        from synerise_async._transport import RawResponse

        class FloorClient(base):  # type: ignore[valid-type,misc]
            async def call(
                self, operation: Any, kwargs: Any, parse: Any, options: Any = None
            ) -> Any:
                prepared = self._static_requests.get(id(operation))
                found = None if prepared is None else self._authorize_now(prepared, self._clock())
                if prepared is None or found is None or kwargs is not None:
                    return await super().call(operation, kwargs, parse, options)  # warm-up
                session = self._shared.session
                assert session is not None
                async with session.request(prepared.method, prepared.url, headers=found[0]) as r:
                    raw = RawResponse(r.status, r.headers, await r.read())
                return parse(raw)

        return FloorClient


COMPETITORS: dict[str, type[Competitor]] = {
    cls.key: cls
    for cls in (
        AiohttpJson,
        AiohttpOrjson,
        AiohttpOrjsonSalted,
        SyneriseAsync,
        SyneriseAsyncRaw,
        StockClient,
        RawHttpx,
        AiohttpOrjsonModels,
        SyneriseAsyncPreStamped,
        SyneriseAsyncFloor,
    )
}
BASELINE = AiohttpOrjson.key
"""Ratios are given against hand-written aiohttp + orjson (and also + json in targets)."""
