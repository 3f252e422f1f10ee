"""The two core decisions the bulk sender relies on, pinned through the real client.

- A salted ``event-salt`` request answered 500 is retried, also when its JSON is sent
  pre-encoded as ``content`` (as ``send_many`` does): a 500 may follow processing, and
  salted events overwrite rather than duplicate.
- A 2xx login without a usable token is an :class:`AuthenticationError`.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiohttp import web

import synerise_async as sa
from synerise_async import RetryPolicy, SyneriseClient
from synerise_async.api.events import batch_send_events
from synerise_async.api.workspaces import get_current_business_profile_using_get
from tests.localserver import serve

FAST = RetryPolicy(max_retries=3, initial_delay=0.001, max_delay=0.002)


def batch_app(statuses: list[int]) -> tuple[web.Application, list[bytes]]:
    """A batch endpoint answering ``statuses`` in turn (then 202), recording every body."""
    bodies: list[bytes] = []
    app = web.Application()

    async def batch(request: web.Request) -> web.Response:
        bodies.append(await request.read())
        status = statuses.pop(0) if statuses else 202
        return web.Response(status=status)

    app.router.add_post("/v4/events/batch", batch)
    return app, bodies


def content_parts(events: list[dict[str, Any]], *, all_salted: bool) -> sa.RequestParts:
    """A pre-encoded batch as the bulk sender sends it; the core cannot look inside
    ``content``, so the sender states whether every event is salted."""
    return sa.RequestParts(
        method="POST",
        url="/v4/events/batch",
        content=orjson.dumps(events),
        headers={"Content-Type": "application/json"},
        all_salted=all_salted,
    )


SALTED = {"action": "a", "label": "l", "client": {"id": 1}, "time": "2026-01-01T00:00:00Z"}


async def test_a_500_on_a_salted_pre_encoded_batch_is_retried() -> None:
    """A pre-encoded batch marked all-salted (as the sender marks its batches) is resent after a 500."""
    app, bodies = batch_app([500])
    async with serve(app) as url:
        auth = sa.BasicAuth(workspace_guid="ws", api_key="k")
        async with SyneriseClient(auth, base_url=url, retry=FAST) as client:
            events = [{**SALTED, "eventSalt": "s1"}, {**SALTED, "eventSalt": "s2"}]
            response = await client.request(
                batch_send_events.OPERATION,
                content_parts(events, all_salted=True),
                batch_send_events._parse_response,
            )
            assert response.status_code == 202
            assert client.stats.retries_by_cause == {"500": 1}
    assert len(bodies) == 2 and bodies[0] == bodies[1]


async def test_a_500_on_an_unsalted_batch_is_not_retried() -> None:
    """A pre-encoded batch not marked all-salted is unsafe to repeat: the 500 is raised at once."""
    app, bodies = batch_app([500])
    async with serve(app) as url:
        auth = sa.BasicAuth(workspace_guid="ws", api_key="k")
        async with SyneriseClient(auth, base_url=url, retry=FAST) as client:
            events = [{**SALTED, "eventSalt": "s1"}, SALTED]
            with pytest.raises(sa.InternalServerError):
                await client.request(
                    batch_send_events.OPERATION,
                    content_parts(events, all_salted=False),
                    batch_send_events._parse_response,
                )
    assert len(bodies) == 1


@pytest.mark.parametrize("answer", [{}, {"token": ""}, {"token": "  "}, {"token": 5}, [], None])
async def test_a_login_without_a_usable_token_is_an_authentication_error(answer: Any) -> None:
    """A 2xx workspace login whose body has no non-empty string token raises AuthenticationError."""
    app = web.Application()

    async def login(request: web.Request) -> web.Response:
        return web.json_response(answer)

    app.router.add_post("/uauth/v2/auth/login/profile", login)
    async with serve(app) as url:
        async with SyneriseClient(sa.WorkspaceAuth(api_key="secret-key"), base_url=url) as client:
            with pytest.raises(sa.AuthenticationError, match="no usable token") as info:
                await get_current_business_profile_using_get.asyncio(client=client)
    assert "secret-key" not in str(info.value)
