"""``python -m synerise_async.testing``: run the fake Synerise until Ctrl-C.

Prints ``SYNERISE_BASE_URL=...`` and ``SYNERISE_API_KEY=...`` lines (shell-friendly) and,
on exit, the fake's counters. Every fault knob of :class:`FakeSynerise` is a flag.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from typing import Any

import orjson

from ._server import FakeSynerise


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a probability in [0, 1]")
    return value


def _seconds_or_none(text: str) -> float | None:
    return None if text.lower() in ("none", "") else float(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m synerise_async.testing",
        description="Serve a fake Synerise API on loopback, optionally with injected faults.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port (0 picks a free one; default 8080)"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for data and fault draws")
    parser.add_argument(
        "--api-key", default=None, help="workspace API key to accept (default: generated)"
    )
    parser.add_argument("--workflows", type=int, default=250, help="seeded workflows (default 250)")
    parser.add_argument("--profiles", type=int, default=100, help="seeded profiles (default 100)")
    faults = parser.add_argument_group("faults")
    faults.add_argument("--rate-429", type=_probability, default=0.0, help="probability of a 429")
    faults.add_argument(
        "--retry-after",
        type=_seconds_or_none,
        default=None,
        help="Retry-After of injected 429s (seconds or none)",
    )
    faults.add_argument("--rate-5xx", type=_probability, default=0.0, help="probability of a 503")
    faults.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    faults.add_argument(
        "--drop-before",
        type=_probability,
        default=0.0,
        help="probability of closing the connection unprocessed",
    )
    faults.add_argument(
        "--drop-after",
        type=_probability,
        default=0.0,
        help="probability of closing the connection after processing",
    )
    faults.add_argument(
        "--token-lifetime", type=float, default=3600.0, help="JWT lifetime in seconds"
    )
    faults.add_argument(
        "--rate-limit-per-second", type=float, default=None, help="requests/second per credential"
    )
    faults.add_argument(
        "--faults-on-auth", action="store_true", help="inject faults into login calls too"
    )
    parser.add_argument("--mfa", action="store_true", help="users must confirm a multi-factor code")
    parser.add_argument("--no-basic-auth", action="store_true", help="refuse Basic credentials")
    return parser


def fake_from_args(args: argparse.Namespace) -> FakeSynerise:
    return FakeSynerise(
        host=args.host,
        port=args.port,
        seed=args.seed,
        api_key=args.api_key,
        workflows=args.workflows,
        profiles=args.profiles,
        rate_429=args.rate_429,
        retry_after=args.retry_after,
        rate_5xx=args.rate_5xx,
        latency=args.latency,
        drop_before=args.drop_before,
        drop_after=args.drop_after,
        token_lifetime=args.token_lifetime,
        rate_limit_per_second=args.rate_limit_per_second,
        faults_on_auth=args.faults_on_auth,
        mfa=args.mfa,
        basic_auth=not args.no_basic_auth,
    )


async def serve(fake: FakeSynerise, *, stop: asyncio.Event | None = None, out: Any = None) -> None:
    """Run ``fake`` until ``stop`` is set (or SIGINT/SIGTERM), printing how to reach it."""
    out = out or sys.stdout
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    async with fake:
        print(f"SYNERISE_BASE_URL={fake.url}", file=out)
        print(f"SYNERISE_API_KEY={fake.api_key}", file=out)
        print(f"SYNERISE_WORKSPACE_GUID={fake.workspace_guid}", file=out)
        print(
            f"# profile API key {fake.profile_api_key}; user {fake.user_email} / {fake.user_password}",
            file=out,
        )
        print(
            f"# counters at {fake.url}/__fake__/stats; press Ctrl-C to stop", file=out, flush=True
        )
        await stop.wait()
    print(orjson.dumps(fake.snapshot(), option=orjson.OPT_INDENT_2).decode(), file=out, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        fake = fake_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(fake))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(
            f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
