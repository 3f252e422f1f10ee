"""Generated resource namespaces: ``client.<tag>.<operation>`` mirrors every module function."""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import Coroutine, Mapping
from functools import cached_property
from importlib import import_module
from typing import Any

import pytest
from aiohttp import web

import synerise_async.api as api
from synerise_async import APITimeoutError, BasicAuth, InternalServerError, SyneriseClient
from synerise_async._errors import ConfigurationError
from synerise_async._events import EventsAPI
from synerise_async._pagination import operation_module
from synerise_async._transport import Response
from synerise_async.api import REGISTRY
from synerise_async.api.profiles import list_clients
from synerise_async.resources import GeneratedClient
from synerise_async.resources.events import EventsResource
from tests.localserver import serve

OPTIONS: dict[str, Any] = {
    "timeout": float | None,
    "extra_headers": Mapping[str, str] | None,
    "extra_query": Mapping[str, Any] | None,
    "max_retries": int | None,
}
ENTRIES = sorted(REGISTRY.items())


def _hints(function: Any, module: Any) -> dict[str, Any]:
    """Resolved annotations of ``function`` in the namespace of ``module`` (TYPE_CHECKING names)."""
    namespace = {
        **vars(module),
        "Coroutine": Coroutine,
        "Mapping": Mapping,
        "Any": Any,
        "Response": Response,
    }
    return typing.get_type_hints(function, globalns=namespace)


def _is_coroutine_function(method: Any) -> bool:
    """What asyncio (and mock's autospec) sees, and inspect too where it can (Python 3.12+)."""
    seen_by_asyncio = asyncio.iscoroutinefunction(method)
    if hasattr(inspect, "markcoroutinefunction"):
        return seen_by_asyncio and inspect.iscoroutinefunction(method)
    return seen_by_asyncio


@pytest.fixture
def client() -> SyneriseClient:
    return SyneriseClient(base_url="http://127.0.0.1:9")


@pytest.mark.parametrize(("operation_id", "entry"), ENTRIES, ids=[e[0] for e in ENTRIES])
def test_every_operation_is_a_method_with_the_module_signature(
    operation_id: str, entry: api.OperationEntry, client: SyneriseClient
) -> None:
    """client.<tag>.<op> and its raw twin take the asyncio arguments minus client, plus the options."""
    module = import_module(entry.module)
    name = entry.module.rpartition(".")[2]
    expected = inspect.signature(module.asyncio)
    want_params = [p for p in expected.parameters.values() if p.name != "client"]
    want_hints = {k: v for k, v in typing.get_type_hints(module.asyncio).items() if k != "client"}
    for namespace, returns in (
        (getattr(client, entry.tag), want_hints["return"]),
        (getattr(client.with_raw_response, entry.tag), Response[want_hints["return"]]),
    ):
        method = getattr(namespace, name)
        assert _is_coroutine_function(method)
        params = list(inspect.signature(method).parameters.values())
        assert [(p.name, p.kind, p.default) for p in params[: len(want_params)]] == [
            (p.name, p.kind, p.default) for p in want_params
        ]
        options = params[len(want_params) :]
        assert [(p.name, p.kind, p.default) for p in options] == [
            (n, inspect.Parameter.KEYWORD_ONLY, None) for n in OPTIONS
        ]
        hints = _hints(method, module)
        # get_type_hints turns a bare None into NoneType, but not inside Coroutine[...].
        result = None if returns is type(None) else returns
        assert hints == {**want_hints, **OPTIONS, "return": Coroutine[Any, Any, result]}
        first_line = (method.__doc__ or "").splitlines()[0]
        assert first_line.startswith(f"``{entry.method} {entry.path}`` — ")
        assert operation_id in (method.__doc__ or "")


def test_api_tags_and_operations_are_attributes_in_a_fresh_interpreter() -> None:
    """synerise_async.api.<tag>.<operation> resolves lazily, dir() lists it, typos raise."""
    import subprocess
    import sys

    code = """
import sys
import synerise_async.api as api
from synerise_async.api import REGISTRY
assert not any(m in sys.modules for m in (e.module for e in REGISTRY.values()))
from synerise_async.api import profiles
assert profiles.get_profile.OPERATION.operation_id == "getProfile"
assert "list_clients" in dir(profiles) and "profiles" in dir(api)
assert "synerise_async.api.profiles.list_clients" not in sys.modules
for op_id, entry in REGISTRY.items():
    tag, name = entry.module.split(".")[2:]
    assert getattr(getattr(api, tag), name).OPERATION.operation_id == op_id
for bad in (lambda: api.profilez, lambda: profiles.get_profilez):
    try:
        bad()
    except AttributeError:
        pass
    else:
        raise SystemExit("no AttributeError")
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_importing_the_client_imports_no_resource_or_operation_module() -> None:
    """The client imports no tag module; client.<tag> imports one; a call imports one operation."""
    import ast
    import subprocess
    import sys

    code = """
import sys
from synerise_async import SyneriseClient
def ours():
    return sorted(m for m in sys.modules if m.startswith(("synerise_async.resources.", "synerise_async.api")))
before = ours()
client = SyneriseClient(base_url="http://127.0.0.1:9")
client.profiles.get_profile, client.with_raw_response.profiles
after_access = ours()
from synerise_async._pagination import operation_module
operation_module(client.profiles.get_profile)
print([before, after_access, ours()])
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    before, after_access, after_call = ast.literal_eval(result.stdout)
    assert before == ["synerise_async.resources._base"]  # the shared base, no tag module
    assert after_access == ["synerise_async.resources._base", "synerise_async.resources.profiles"]
    assert after_call == [
        "synerise_async.api",
        "synerise_async.api.profiles",
        "synerise_async.api.profiles.get_profile",
        "synerise_async.resources._base",
        "synerise_async.resources.profiles",
    ]


def test_client_attributes_do_not_hide_generated_tags() -> None:
    """Only ``events`` is redefined by SyneriseClient, and it extends the generated resource."""
    tags = {entry.tag for entry in REGISTRY.values()}
    redefined = {tag for tag in tags if tag in vars(SyneriseClient)}
    assert redefined == {"events"}
    assert issubclass(EventsAPI, EventsResource)
    assert all(isinstance(vars(GeneratedClient)[tag], cached_property) for tag in tags)
    assert isinstance(vars(SyneriseClient)["events"], cached_property)
    assert tags | {"with_raw_response"} == GeneratedClient.CACHED_ATTRIBUTES


async def test_resources_are_cached_per_client_and_views_get_their_own() -> None:
    """A tag namespace is built once per client; a with_options view binds its own."""
    async with SyneriseClient(base_url="http://127.0.0.1:1") as client:
        assert client.workspaces is client.workspaces
        assert client.events is client.events
        assert client.with_raw_response.workspaces is client.with_raw_response.workspaces
        view = client.with_options(headers={"X-Test": "1"})
        assert view.workspaces is not client.workspaces
        assert view.workspaces._client is view
        assert view.events._client is view  # type: ignore[attr-defined]
        assert view.with_raw_response.workspaces._client is view


def test_events_namespace_has_generated_operations_and_send_many(client: SyneriseClient) -> None:
    """client.events keeps the bulk sender and gains every generated events operation."""
    events = client.events
    assert isinstance(events, EventsAPI) and callable(events.send_many)
    generated = {e.module.rpartition(".")[2] for e in REGISTRY.values() if e.tag == "events"}
    assert generated and all(_is_coroutine_function(getattr(events, n)) for n in generated)


def test_operation_module_accepts_every_form(client: SyneriseClient) -> None:
    """paginate's resolver maps module, asyncio, asyncio_detailed and bound methods to the module."""
    forms = [
        list_clients,
        list_clients.asyncio,
        list_clients.asyncio_detailed,
        client.profiles.list_clients,
        client.with_raw_response.profiles.list_clients,
    ]
    assert [operation_module(form) for form in forms] == [list_clients] * len(forms)
    view = client.with_options(headers={"X-View": "1"})
    assert view.profiles._client is view  # resources bind to the view, never a cached parent
    with pytest.raises(ConfigurationError, match="not a generated operation"):
        operation_module(len)


# --- per-call options on a real loopback server -------------------------------------


class _Recorder:
    """A loopback server for deleteProfile that records requests; can stall or fail."""

    def __init__(self, *, delay: float = 0.0, status: int = 202) -> None:
        self.requests: list[web.Request] = []
        self.delay = delay
        self.status = status

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_delete("/v4/clients/{client_id}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=self.status, headers={"X-Request-Id": "req-1"})


def _client(url: str, **kwargs: Any) -> SyneriseClient:
    return SyneriseClient(BasicAuth(workspace_guid="ws", api_key="k"), base_url=url, **kwargs)


async def test_resource_method_sends_the_operation_with_per_call_headers_and_query() -> None:
    """extra_headers and extra_query reach the wire; the path parameter is quoted into the URL."""
    recorder = _Recorder()
    async with serve(recorder.app()) as url, _client(url) as client:
        result = await client.profiles.delete_profile(
            42, extra_headers={"X-Trace": "t-1"}, extra_query={"debug": "1"}
        )
    assert result is None
    (request,) = recorder.requests
    assert request.path == "/v4/clients/42"
    assert request.headers["X-Trace"] == "t-1"
    assert request.query["debug"] == "1"


async def test_raw_response_carries_status_headers_and_bytes() -> None:
    """with_raw_response returns the whole Response: status, headers (request id), content, parsed."""
    recorder = _Recorder()
    async with serve(recorder.app()) as url, _client(url) as client:
        response = await client.with_raw_response.profiles.delete_profile(7)
    assert isinstance(response, Response)
    assert response.status_code == 202
    assert response.headers["X-Request-Id"] == "req-1"
    assert response.content == b"" and response.parsed is None


async def test_timeout_bounds_one_call_only() -> None:
    """timeout= makes a stalled call fail with APITimeoutError while the client default is longer."""
    recorder = _Recorder(delay=2.0)
    async with serve(recorder.app()) as url, _client(url, timeout=30) as client:
        with pytest.raises(APITimeoutError):
            await client.profiles.delete_profile(1, timeout=0.2)


async def test_max_retries_applies_to_one_call() -> None:
    """max_retries=0 sends a 503-failing call once although the client would retry it."""
    recorder = _Recorder(status=503)

    async def no_sleep(_delay: float) -> None:
        return None

    async with serve(recorder.app()) as url, _client(url, sleep=no_sleep) as client:
        with pytest.raises(InternalServerError):
            await client.profiles.delete_profile(1, max_retries=0)
        assert len(recorder.requests) == 1
        with pytest.raises(InternalServerError):
            await client.profiles.delete_profile(1, max_retries=2)
        assert len(recorder.requests) == 4


def test_an_operation_module_replaces_its_lazy_stand_in_on_first_use() -> None:
    """A tag module's LazyModule gives way to the real operation module after first use."""
    import types

    from synerise_async.api.workspaces import get_current_business_profile_using_get as real
    from synerise_async.resources import workspaces
    from synerise_async.resources._base import LazyModule

    alias = "_get_current_business_profile_using_get"
    stand_in = LazyModule(
        vars(workspaces), alias, "..api.workspaces." + alias[1:], "synerise_async.resources"
    )
    vars(workspaces)[alias] = stand_in
    assert stand_in.OPERATION is real.OPERATION
    assert isinstance(vars(workspaces)[alias], types.ModuleType)
    assert vars(workspaces)[alias] is real


def test_resource_methods_autospec_as_async_mocks() -> None:
    """mock.create_autospec makes AsyncMocks of resource methods, as it does of async defs."""
    from unittest import mock

    from synerise_async.resources.profiles import ProfilesResource

    spec = mock.create_autospec(ProfilesResource, instance=True)
    assert isinstance(spec.delete_profile, mock.AsyncMock)
    events = mock.create_autospec(EventsResource, instance=True)
    assert isinstance(events.batch_send_events, mock.AsyncMock)
