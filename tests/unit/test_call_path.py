"""What a call reuses between calls: prepared requests, credential headers, resource objects."""

from __future__ import annotations

import inspect
import time
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from yarl import URL

import synerise_async as sa
from synerise_async import Operation, SyneriseClient
from synerise_async._request import prepare
from synerise_async._transport import RawResponse, RequestOptions, RequestParts, Response
from synerise_async.api import REGISTRY, load
from tests.aioresponses_compat import CompatMock
from tests.localserver import serve

BASE = "https://api.synerise.com"
STATIC_OP = Operation(
    operation_id="getServerTime", method="GET", path="/time", tag="t", security=("JWT", "Basic")
)


def json_parse(raw: RawResponse) -> Any:
    return raw.json()


def sent_headers(mocked: CompatMock, method: str, url: str) -> list[Any]:
    return [call.kwargs["headers"] for call in mocked.requests[(method, URL(url))]]


def login_token(seconds: int = 3600, subject: str = "ws") -> str:
    now = int(time.time())
    return jwt.encode(
        {"iat": now, "exp": now + seconds, "sub": subject}, "k" * 32, algorithm="HS256"
    )


async def test_an_operation_without_parameters_is_prepared_once_per_client(
    mocked: CompatMock,
) -> None:
    """None as the request parts means the operation's method and path, prepared on first use."""
    mocked.get(f"{BASE}/time", payload={"t": 1}, repeat=True)
    async with SyneriseClient(sa.BasicAuth(workspace_guid="ws", api_key="key")) as client:
        first = await client.request(STATIC_OP, None, json_parse)
        prepared = client._static_requests[id(STATIC_OP)]
        second = await client.request(STATIC_OP, None, json_parse)
        assert client._static_requests[id(STATIC_OP)] is prepared
        assert prepared.url == f"{BASE}/time" and prepared.method == "GET"
        view = client.with_options(headers={"X-Team": "etl"})
        assert view._static_requests == {}
        await view.request(STATIC_OP, None, json_parse)
    assert first.parsed == second.parsed == {"t": 1}
    headers = sent_headers(mocked, "GET", f"{BASE}/time")
    assert [h.get("X-Team") for h in headers] == [None, None, "etl"]
    assert all(h["Authorization"].startswith("Basic ") for h in headers)


async def test_client_state_lives_in_slots_and_views_copy_it(mocked: CompatMock) -> None:
    """The call path's attributes are slots, so a cached tag property leaves them in place."""
    mocked.get(f"{BASE}/time", payload={"t": 1}, repeat=True)
    async with SyneriseClient(sa.BasicAuth(workspace_guid="ws", api_key="key")) as client:
        assert client.workspaces is client.workspaces  # cached in the instance __dict__
        assert not any(name.startswith("_") for name in vars(client))
        view = client.with_options(headers={"X-Team": "etl"})
        assert view._retry is client._retry and view._shared is client._shared
        assert view._root() is client and view._headers["X-Team"] == "etl"
        assert "X-Team" not in client._headers
        assert view.workspaces is not client.workspaces
        assert (await view.request(STATIC_OP, None, json_parse)).parsed == {"t": 1}
        assert (await client.request(STATIC_OP, None, json_parse)).parsed == {"t": 1}
    headers = sent_headers(mocked, "GET", f"{BASE}/time")
    assert [h.get("X-Team") for h in headers] == ["etl", None]


async def test_a_same_named_operation_object_is_prepared_afresh(mocked: CompatMock) -> None:
    """The cache checks the operation object, not only its id."""
    other = Operation(
        operation_id="getServerTime", method="GET", path="/time2", tag="t", security=("Basic",)
    )
    mocked.get(f"{BASE}/time", payload=1)
    mocked.get(f"{BASE}/time2", payload=2)
    async with SyneriseClient(sa.BasicAuth(workspace_guid="ws", api_key="key")) as client:
        assert (await client.request(STATIC_OP, None, json_parse)).parsed == 1
        assert (await client.request(other, None, json_parse)).parsed == 2


def test_every_operation_without_parameters_is_its_method_and_path() -> None:
    """Generated code passes None only where _get_kwargs() would say the same thing."""
    static = []
    for operation_id, entry in REGISTRY.items():
        module = load(operation_id)
        if inspect.signature(module._get_kwargs).parameters:
            continue
        static.append(operation_id)
        op = module.OPERATION
        assert module._get_kwargs() == RequestParts(method=op.method, url=op.path), operation_id
        assert entry.path == op.path
        assert "OPERATION, None, _parse_response" in inspect.getsource(module.asyncio)
    assert len(static) >= 10


async def test_credential_headers_are_built_once_per_token(mocked: CompatMock) -> None:
    """Calls with the same token reuse one headers dict; a new token gets a new one."""
    mocked.post(f"{BASE}/uauth/v2/auth/login/profile", payload={"token": login_token()})
    mocked.post(
        f"{BASE}/uauth/v2/auth/login/profile", payload={"token": login_token(subject="second")}
    )
    mocked.get(f"{BASE}/time", payload={}, repeat=True)
    built: list[Any] = []
    async with SyneriseClient(sa.WorkspaceAuth(api_key="key")) as client:
        for _ in range(3):
            await client.request(STATIC_OP, None, json_parse)
            built.append(client._last_authorized)
        token = client._token_manager().current()
        assert token is not None
        await client._token_manager().invalidate(token)
        for _ in range(3):
            await client.request(STATIC_OP, None, json_parse)
            built.append(client._last_authorized)
    # The first call after each login waited for it (and built its headers on that path).
    # _last_authorized holds the token manager's (token, refresh time) pair.
    assert built[1] is built[2] and built[1][0][0] is token
    assert built[4] is built[5] and built[4][0][0] is not token
    sent = [h["Authorization"] for h in sent_headers(mocked, "GET", f"{BASE}/time")]
    assert sent[0] == sent[1] == sent[2] == "Bearer " + token.value
    assert sent[3] == sent[4] == sent[5] != sent[0]
    assert jwt.decode(sent[3][7:], options={"verify_signature": False})["sub"] == "second"
    assert "Authorization" not in client._headers


def test_prepare_shares_the_client_headers_only_when_it_adds_none() -> None:
    """A request that adds no header reuses the client's dict; any other gets a copy."""
    headers = {"User-Agent": "t", "Accept": "application/json"}
    plain = prepare(
        STATIC_OP, RequestParts(method="GET", url="/time"), base_url=BASE, headers=headers
    )
    assert plain.headers is headers
    with_body = prepare(
        STATIC_OP,
        RequestParts(method="POST", url="/time", json={"a": 1}),
        base_url=BASE,
        headers=headers,
        options=RequestOptions(extra_headers={"Content-Type": "application/x-custom"}),
    )
    assert with_body.headers is not headers
    assert with_body.headers["Content-Type"] == "application/x-custom"  # the caller's word wins
    assert headers == {"User-Agent": "t", "Accept": "application/json"}


def test_a_response_is_read_only_and_compares_by_value() -> None:
    """Response fields cannot be reassigned, equal fields compare equal, content stays out of repr."""
    response = Response(200, {"X-Request-Id": "r1"}, b"secret-bytes", {"a": 1})
    assert response == Response(200, {"X-Request-Id": "r1"}, b"secret-bytes", {"a": 1})
    assert response != Response(201, {"X-Request-Id": "r1"}, b"secret-bytes", {"a": 1})
    assert response.request_id == "r1"
    with pytest.raises(AttributeError):
        response.parsed = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        hash(response)
    assert "secret-bytes" not in repr(response) and "status_code=200" in repr(response)


@pytest.mark.parametrize("own_session", [True, False])
@pytest.mark.parametrize("custom", [None, "etl-job/2.0"])
async def test_the_user_agent_reaches_the_server(own_session: bool, custom: str | None) -> None:
    """The SDK's User-Agent (or the caller's) and a JSON Accept arrive, whoever owns the session."""
    seen: list[str] = []
    accepted: list[list[str]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.headers.get("User-Agent", ""))
        accepted.append(request.headers.getall("Accept", []))
        return web.json_response({"t": 1})

    app = web.Application()
    app.router.add_get("/time", handle)
    headers = {"User-Agent": custom} if custom else None
    async with serve(app) as url, aiohttp.ClientSession() as session:
        auth = sa.BasicAuth(workspace_guid="ws", api_key="key")
        given = None if own_session else session
        async with SyneriseClient(auth, base_url=url, session=given, headers=headers) as client:
            await client.request(STATIC_OP, None, json_parse)
            await client.with_options(headers={"X-A": "1"}).request(STATIC_OP, None, json_parse)
    expected = custom or f"synerise-async/{sa.__version__}"
    assert len(seen) == 2 and all(agent.startswith(expected) for agent in seen), seen
    assert accepted == [["application/json"], ["application/json"]]


@pytest.mark.parametrize("surface", ["asyncio", "asyncio_detailed", "resource"])
async def test_a_deprecation_warning_points_at_the_callers_line(surface: str) -> None:
    """The DeprecationWarning names the line that called the operation, on every surface."""
    from synerise_async.api.catalogs import create_catalog

    async def created(request: web.Request) -> web.Response:
        return web.json_response({"data": {"id": 1}}, headers={"X-API-DEPRECATED": "use v2"})

    app = web.Application()
    app.router.add_post("/catalogs/bags", created)
    body = {"name": "bag"}
    async with serve(app) as url:
        auth = sa.BasicAuth(workspace_guid="ws", api_key="k")
        async with SyneriseClient(auth, base_url=url) as client:
            with pytest.warns(DeprecationWarning, match="use v2") as record:
                if surface == "asyncio":
                    await create_catalog.asyncio(client=client, body=body)
                elif surface == "asyncio_detailed":
                    await create_catalog.asyncio_detailed(client=client, body=body)
                else:
                    await client.catalogs.create_catalog(body=body)
    (warning,) = [w for w in record if issubclass(w.category, DeprecationWarning)]
    assert warning.filename == __file__
