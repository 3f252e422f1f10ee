"""mypy --strict on user scripts: resource signatures and paginated item types are really checked."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
from __future__ import annotations

from typing import Any, assert_type

from synerise_async import Response, SyneriseClient
from synerise_async.api.automation import get_paginated_diagrams
from synerise_async.api.profiles import list_clients
from synerise_async.models.profile import Profile
from synerise_async.models.workflow_list_item import WorkflowListItem


async def main(client: SyneriseClient) -> list[str]:
    emails: list[str] = []
    async for item in client.paginate(list_clients, page_size=50):
        assert_type(item, Profile)
        emails.append(str(item.email))
    async for a in client.paginate(list_clients.asyncio):
        assert_type(a, Profile)
    async for d in client.paginate(list_clients.asyncio_detailed):
        assert_type(d, Profile)
    async for b in client.paginate(client.profiles.list_clients, max_items=3):
        assert_type(b, Profile)
    async for r in client.paginate(client.with_raw_response.profiles.list_clients):
        assert_type(r, Profile)
    async for w in client.paginate(get_paginated_diagrams, limit=10):
        assert_type(w, WorkflowListItem)
    first = await client.paginate(client.automation.get_paginated_diagrams)
    assert_type(first.items[0], WorkflowListItem)
    async for x in client.paginate(list_clients, raw=True, page_size=50):
        assert_type(x, dict[str, Any])
    async for y in client.paginate(client.with_raw_response.profiles.list_clients, raw=True):
        assert_type(y, dict[str, Any])
    async for z in client.paginate(list_clients.asyncio, raw=False):
        assert_type(z, Profile)
    raw_first = await client.paginate(get_paginated_diagrams, raw=True, max_items=5)
    assert_type(raw_first.items[0], dict[str, Any])
    profile = await client.profiles.get_profile(1, timeout=5.0, extra_headers={"X-A": "b"})
    assert_type(profile, Profile)
    raw = await client.with_raw_response.profiles.get_profile(1, max_retries=0)
    assert_type(raw, Response[Profile])
    report = await client.events.send_many([])
    return [*emails, str(report.confirmed)]
"""

BAD = """
from __future__ import annotations

from synerise_async import SyneriseClient
from synerise_async.api.profiles import list_clients


async def main(client: SyneriseClient) -> None:
    async for item in client.paginate(list_clients):
        print(item.nmae)
    async for other in client.paginate(client.profiles.list_clients):
        print(other.emial)
    await client.profiles.get_profile("not-an-int")
    await client.profiles.get_profile(1, timeout="soon")
    client.paginate(client.profiles.get_profile)
    async for row in client.paginate(list_clients, raw=True):
        print(row.email)
    client.paginate(client.profiles.get_profile, raw=True)
"""


def test_mypy_strict_checks_resource_calls_and_paginated_items(tmp_path: Path) -> None:
    """A correct script passes mypy --strict; misspelt item fields and wrong arguments fail it."""
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(textwrap.dedent(GOOD), encoding="utf-8")
    bad.write_text(textwrap.dedent(BAD), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(good), str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    errors = re.findall(r"^(\S+\.py):(\d+): error: (.*)$", result.stdout, flags=re.MULTILINE)
    assert [e for e in errors if not e[0].endswith("bad.py")] == [], result.stdout
    found = {(int(line), message.rsplit("[", 1)[-1].rstrip("]")) for _, line, message in errors}
    assert found == {
        (10, "attr-defined"),
        (12, "attr-defined"),
        (13, "arg-type"),
        (14, "arg-type"),
        (15, "arg-type"),  # not a paginated operation: no overload matches
        (17, "attr-defined"),  # raw items are dicts
        (18, "call-overload"),  # raw mode is for paginated operations too
    }, result.stdout
    assert '"Profile" has no attribute "nmae"' in result.stdout
    assert result.returncode == 1
