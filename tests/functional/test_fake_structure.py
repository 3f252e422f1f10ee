"""How the fake is put together: handlers see a state object, the spec has one source."""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from synerise_async.testing import FakeSynerise, SpecNotFoundError, _spec
from synerise_async.testing._fake_state import FakeState
from synerise_async.testing._handlers import HANDLERS, Ctx


async def test_handlers_receive_the_state_not_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A handler is called with ``ctx.state`` (the fake's FakeState) and no reference to the server."""
    seen: list[Ctx] = []
    original = HANDLERS["listAllProfileTags"]

    def spy(ctx: Ctx) -> Any:
        seen.append(ctx)
        return original(ctx)

    monkeypatch.setitem(HANDLERS, "listAllProfileTags", spy)
    async with FakeSynerise(seed=1) as fake, aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {fake.issue_token()}", "Api-Version": "4.4"}
        async with http.get(f"{fake.url}/v4/clients/tags", headers=headers) as resp:
            assert resp.status == 200
    assert len(seen) == 1
    ctx = seen[0]
    assert isinstance(ctx.state, FakeState)
    assert ctx.state is fake.state
    assert not hasattr(ctx, "fake")
    assert not any(isinstance(value, FakeSynerise) for value in vars(ctx.state).values())


def test_the_packaged_spec_is_the_only_source(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without synerise_async/api/openapi.json the fake refuses to start instead of normalising openapi/ itself."""
    assert _spec.load_spec().source.startswith("package data")
    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    with pytest.raises(SpecNotFoundError, match=r"openapi\.json is missing"):
        _spec._find_spec_bytes()
