"""One SyneriseClient shared by an aiohttp.web application.

The client is created when the app starts (inside the running loop) and closed when it
shuts down; handlers borrow it from the app. Run it with::

    SYNERISE_API_KEY=... python examples/webapp.py      # a real workspace
    python examples/webapp.py                            # the built-in fake Synerise

then open http://127.0.0.1:8081/workflows?limit=5
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

from aiohttp import web

from synerise_async import APIStatusError, SyneriseClient, WorkspaceAuth
from synerise_async.api.automation import get_paginated_diagrams
from synerise_async.testing import FakeSynerise

CLIENT = web.AppKey("synerise_client", SyneriseClient)


async def synerise_context(app: web.Application) -> AsyncIterator[None]:
    """Open the client (and, without credentials, a fake Synerise) for the app's lifetime."""
    api_key = os.environ.get("SYNERISE_API_KEY")
    if api_key:
        async with SyneriseClient(WorkspaceAuth(api_key=api_key)) as client:
            app[CLIENT] = client
            yield
        return
    async with FakeSynerise(workflows=20) as fake:
        async with SyneriseClient(WorkspaceAuth(api_key=fake.api_key), base_url=fake.url) as client:
            app[CLIENT] = client
            yield


async def list_workflows(request: web.Request) -> web.Response:
    """Names and statuses of the first workflows, straight from Synerise."""
    limit = int(request.query.get("limit", "10"))
    try:
        page = await get_paginated_diagrams.asyncio(client=request.app[CLIENT], page=1, limit=limit)
    except APIStatusError as exc:
        return web.json_response({"error": exc.message}, status=502)
    return web.json_response(
        {
            "workflows": [
                {"id": w.diagram_id, "name": w.name, "status": str(w.status.value)}
                for w in page.data
            ]
        }
    )


def make_app() -> web.Application:
    app = web.Application()
    app.cleanup_ctx.append(synerise_context)
    app.router.add_get("/workflows", list_workflows)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), host="127.0.0.1", port=8081)
