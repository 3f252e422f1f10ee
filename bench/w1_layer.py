"""The SDK's own cost per call, with aiohttp replaced by an instant stand-in session.

    python -m bench.w1_layer [--tree DIR] [--calls 20000] [--rounds 3]

Times ``await op.asyncio(client=client)`` (``GET /uauth/business-profile/current``), and the
same call as ``client.workspaces.<operation>()``, through
a ``SyneriseClient`` whose ``session=`` answers at once with the bench payload, and a
by-hand loop over the same stand-in that parses the same generated model; CPU time
(``process_time``), rounds alternating. ``--tree`` imports ``synerise_async`` from another
checkout (e.g. ``git worktree add /tmp/before <rev>``) to compare revisions: run this once
per tree, alternately. No socket is opened, so the numbers isolate the Python work of the
call path from aiohttp and the network (issue 13, W1).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from typing import Any

import orjson


class _Response:
    __slots__ = ("_body", "headers", "status")

    def __init__(self, body: bytes) -> None:
        self.status = 200
        self.headers = {"Content-Type": "application/json"}
        self._body = body

    async def read(self) -> bytes:
        return self._body

    async def __aenter__(self) -> _Response:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class _InstantSession:
    """Enough of ``aiohttp.ClientSession`` for the client: every request answers at once."""

    closed = False

    def __init__(self, small: bytes, login: bytes) -> None:
        self._small = small
        self._login = login

    def request(self, method: str, url: str, **_: Any) -> _Response:
        return _Response(self._login if method == "POST" else self._small)

    def get(self, url: str, **_: Any) -> _Response:
        return _Response(self._small)

    async def close(self) -> None:
        return None


async def _measure(calls: int, rounds: int) -> tuple[list[float], list[float], list[float]]:
    from synerise_async import SyneriseClient, WorkspaceAuth
    from synerise_async.api.workspaces import get_current_business_profile_using_get as op
    from synerise_async.models.current_workspace_response import CurrentWorkspaceResponse

    from . import payloads

    now = int(time.time())
    session = _InstantSession(
        orjson.dumps(payloads.current_workspace()),
        orjson.dumps({"token": payloads.jwt("bench", now, now + 3600, 1)}),
    )
    url = "http://127.0.0.1:1/uauth/business-profile/current"
    headers = {"Authorization": "Bearer x", "Accept": "application/json"}

    async def sdk(resource: bool = False) -> float:
        client = SyneriseClient(
            WorkspaceAuth(api_key="bench"),
            base_url="http://127.0.0.1:1",
            session=session,  # type: ignore[arg-type]
        )
        async with client:
            await op.asyncio(client=client)  # login outside the timing
            gc.collect()
            if resource:
                t0 = time.process_time()
                for _ in range(calls):
                    await client.workspaces.get_current_business_profile_using_get()
            else:
                t0 = time.process_time()
                for _ in range(calls):
                    await op.asyncio(client=client)
            return (time.process_time() - t0) / calls * 1e6

    async def by_hand() -> float:
        gc.collect()
        t0 = time.process_time()
        for _ in range(calls):
            async with session.get(url, headers=headers) as resp:
                if resp.status != 200:
                    raise RuntimeError(resp.status)
                CurrentWorkspaceResponse.from_dict(orjson.loads(await resp.read()))
        return (time.process_time() - t0) / calls * 1e6

    ours: list[float] = []
    resource: list[float] = []
    hand: list[float] = []
    for n in range(rounds):
        if n % 2 == 0:
            hand.append(await by_hand())
            ours.append(await sdk())
            resource.append(await sdk(resource=True))
        else:
            resource.append(await sdk(resource=True))
            ours.append(await sdk())
            hand.append(await by_hand())
    return ours, resource, hand


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", help="import synerise_async from this checkout")
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.tree:
        sys.path.insert(0, args.tree)
    import synerise_async

    ours, resource, hand = asyncio.run(_measure(args.calls, args.rounds))
    sdk, by_hand = statistics.median(ours), statistics.median(hand)
    method = statistics.median(resource)
    print(f"synerise_async from {synerise_async.__file__}")
    print(
        f"SDK call {sdk:.2f} us (client.workspaces.<op>(): {method:.2f} us); by hand with "
        f"the same model {by_hand:.2f} us; the SDK's layer {sdk - by_hand:.2f} us "
        f"({method - by_hand:.2f} us) (CPU per call, medians of {args.rounds})"
    )


if __name__ == "__main__":
    main()
