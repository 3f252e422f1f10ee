"""One process of a fleet drawing on a shared Redis rate budget.

``python -m tests.scale.budget_worker`` prints ``ready``, waits for ``go`` on stdin, then
has ``--tasks`` tasks call ``GET <url>/ping`` through a client limited by a
:class:`RedisRateLimiter` for ``--duration`` seconds (429s are not retried: they only
teach the limiter), and prints one JSON line of its counters.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from synerise_async import RateLimit, RateLimitError, RedisRateLimiter, RetryPolicy, SyneriseClient
from synerise_async._transport import Operation

PING = Operation(operation_id="ping", method="GET", path="/ping", tag="test")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    limit = RateLimit(per_second=args.per_second, recovery_seconds=args.recovery)
    throttled = 0
    async with RedisRateLimiter(args.redis, limit=limit, budget=args.budget) as limiter:
        async with SyneriseClient(
            base_url=args.url, rate_limit=limiter, retry=RetryPolicy(max_retries=0)
        ) as client:
            await asyncio.to_thread(sys.stdin.readline)
            loop = asyncio.get_running_loop()
            stop = loop.time() + args.duration

            async def caller() -> None:
                nonlocal throttled
                while loop.time() < stop:
                    try:
                        await client.request(
                            PING, {"method": "GET", "url": "/ping"}, lambda r: None
                        )
                    except RateLimitError:
                        throttled += 1

            await asyncio.gather(*(caller() for _ in range(args.tasks)))
        stats = limiter.stats
    return {"acquired": stats.acquired, "throttled": throttled, "cuts": stats.cuts}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--budget", required=True)
    parser.add_argument("--per-second", type=float, required=True)
    parser.add_argument("--recovery", type=float, default=10.0)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--tasks", type=int, default=16)
    args = parser.parse_args()
    print("ready", flush=True)
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
