"""One process of a fleet sharing a token cache: ``python -m tests.scale.token_worker``.

Prints ``ready``, waits for ``go`` on stdin, then calls the fake for ``--duration``
seconds with 4 concurrent tasks, and prints one JSON line: its login count and, in
order, a hash of each distinct token it sent.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from typing import Any

from synerise_async import FileTokenCache, RedisTokenCache, SyneriseClient, WorkspaceAuth
from synerise_async.api.automation import get_paginated_diagrams


async def run(args: argparse.Namespace) -> dict[str, Any]:
    cache: Any = (
        RedisTokenCache(args.cache)
        if args.cache.startswith("redis://")
        else FileTokenCache(args.cache)
    )
    seen: list[str] = []
    async with SyneriseClient(
        WorkspaceAuth(api_key=args.api_key), base_url=args.base_url, token_cache=cache
    ) as client:
        await asyncio.to_thread(sys.stdin.readline)
        loop = asyncio.get_running_loop()
        stop = loop.time() + args.duration

        async def caller() -> None:
            while loop.time() < stop:
                await get_paginated_diagrams.asyncio(client=client, page=1, limit=1)
                token = client._shared.tokens.current() if client._shared.tokens else None
                if token is not None:
                    digest = hashlib.sha256(token.value.encode()).hexdigest()[:16]
                    if not seen or seen[-1] != digest:
                        if digest not in seen:
                            seen.append(digest)

        await asyncio.gather(*(caller() for _ in range(4)))
        stats = client.auth_stats
        logins = stats.logins if stats is not None else 0
    if isinstance(cache, RedisTokenCache):
        await cache.aclose()
    return {"logins": logins, "tokens": seen}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--cache", required=True, help="redis:// URL or a file path")
    parser.add_argument("--duration", type=float, required=True)
    args = parser.parse_args()
    print("ready", flush=True)
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
