"""Retry policy and the pure decisions the client's retry loop makes with it.

The functions here do no I/O and read no clock: the loop in ``_client.py`` passes in the
status or failure, the attempt count, whether the request is safe to repeat, the headers
and the current time, and gets back the seconds to wait before the next attempt, or
``None`` for "do not retry".
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Final

import attrs

__all__ = [
    "DEFAULT_RETRY_STATUSES",
    "RetryPolicy",
    "failure_retry_delay",
    "parse_retry_after",
    "status_retry_delay",
]

DEFAULT_RETRY_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
"""Statuses retried by default: 429 always (the request was not processed), the others only
when the request is safe to repeat. 500 joins 502-504 as openai-python, botocore and
google-api-core do."""

NOT_PROCESSED_STATUS: Final = 429
"""A rate-limited request was refused before processing: repeating it cannot apply it twice."""


def _non_negative(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value!r}")


def _positive_or_none(
    _instance: object, attribute: attrs.Attribute[float | None], value: float | None
) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{attribute.name} must be > 0 seconds or None, got {value!r}")


def _statuses(value: Iterable[int]) -> frozenset[int]:
    statuses = frozenset(value)
    for status in statuses:
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"retry_statuses must be HTTP statuses 400-599, got {status!r}")
    return statuses


@attrs.frozen(slots=True)
class RetryPolicy:
    """How a client retries: exponential backoff with full jitter, capped, within a deadline.

    - ``max_retries``: retries after the first attempt (0 disables retrying).
    - ``initial_delay`` / ``max_delay``: the backoff before retry *n* is drawn from
      ``[0, min(max_delay, initial_delay * 2**n)]`` with ``jitter=True`` (full jitter), or is
      exactly that bound without jitter.
    - ``max_retry_after``: the longest ``Retry-After`` honoured; a longer one raises
      :class:`~synerise_async.RateLimitError` at once, carrying ``retry_after``.
    - ``deadline``: seconds from the first attempt after which no new attempt starts.
    - ``retry_statuses``: statuses worth another attempt (default 408, 429, 500, 502, 503,
      504). 429 is always retried; the others only when the request is safe to repeat
      (an idempotent method, or an operation documented as safe).
    """

    max_retries: int = attrs.field(default=5, validator=attrs.validators.ge(0))
    initial_delay: float = attrs.field(default=0.25, validator=_non_negative)
    max_delay: float = attrs.field(default=8.0, validator=_non_negative)
    jitter: bool = True
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)
    deadline: float | None = attrs.field(default=None, validator=_positive_or_none)
    retry_statuses: frozenset[int] = attrs.field(
        default=DEFAULT_RETRY_STATUSES, converter=_statuses
    )

    def backoff(self, retry_number: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry ``retry_number`` (0-based)."""
        bound = min(self.max_delay, self.initial_delay * (2 ** min(retry_number, 62)))
        return float(bound * rand()) if self.jitter else float(bound)


def _within_deadline(policy: RetryPolicy, elapsed: float, delay: float) -> bool:
    return policy.deadline is None or elapsed + delay < policy.deadline


def status_retry_delay(
    status: int,
    headers: Mapping[str, str],
    *,
    retries: int,
    policy: RetryPolicy,
    repeat_safe: bool,
    elapsed: float,
    now: float,
    rand: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before retrying after an HTTP ``status``, or ``None`` not to retry.

    ``retries`` counts the retries already made; ``elapsed`` is the time since the first
    attempt and ``now`` the Unix time (for an HTTP-date ``Retry-After``).
    """
    if status not in policy.retry_statuses or retries >= policy.max_retries:
        return None
    retry_after = parse_retry_after(headers, now)
    if status == NOT_PROCESSED_STATUS:
        if retry_after is not None and retry_after > policy.max_retry_after:
            return None
        delay = retry_after if retry_after is not None else policy.backoff(retries, rand)
    elif not repeat_safe:
        return None
    else:
        delay = policy.backoff(retries, rand)
        if retry_after is not None and retry_after <= policy.max_retry_after:
            delay = max(delay, retry_after)
    return delay if _within_deadline(policy, elapsed, delay) else None


def failure_retry_delay(
    *,
    unsent: bool,
    retries: int,
    policy: RetryPolicy,
    repeat_safe: bool,
    elapsed: float,
    rand: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before retrying an attempt that got no response, or ``None``.

    ``unsent`` means the request surely never reached the server (the connection could
    not be opened), so even an unsafe request may be sent again.
    """
    if retries >= policy.max_retries or not (unsent or repeat_safe):
        return None
    delay = policy.backoff(retries, rand)
    return delay if _within_deadline(policy, elapsed, delay) else None


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta-seconds or HTTP date) or ``retry-after-ms``.

    ``now`` is the current Unix time, used for the HTTP-date form. Unparseable values
    give ``None``; negative waits become 0.
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)
