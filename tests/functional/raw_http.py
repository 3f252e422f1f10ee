"""Helpers for tests that talk to FakeSynerise over raw HTTP (no SDK client in between);
the ``http`` session fixture is in ``conftest.py``."""

from __future__ import annotations

from typing import Any

import aiohttp

from synerise_async.testing import FakeSynerise
from synerise_async.testing._spec import load_spec

SPEC = load_spec()
ERROR_BODY = SPEC.compiler.compile({"$ref": "#/components/schemas/ErrorResponse"}, "response")
V4 = {"Api-Version": "4.4"}


def as_workspace(fake: FakeSynerise) -> dict[str, str]:
    """Headers of a workspace-token call to a v4 operation."""
    return {"Authorization": f"Bearer {fake.issue_token('workspace')}", **V4}


async def error_of(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    """The body of an error answer, checked against the spec's ErrorResponse."""
    assert resp.content_type == "application/json", await resp.text()
    body: dict[str, Any] = await resp.json()
    problems: list[Any] = []
    ERROR_BODY(body, None, problems)
    assert problems == [], body
    return body
