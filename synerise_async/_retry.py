"""Retry policy: which failures are retried, and how long to wait between attempts."""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable, Mapping

import attrs

__all__ = ["RetryPolicy", "parse_retry_after"]

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Statuses retried at all; 429 always (not processed), the others only when safe to
repeat: a 500 may come after the request was processed, which a repeat-safe request
(idempotent method, ``safe`` operation, every event salted) tolerates."""


def _non_negative(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value!r}")


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
    """

    max_retries: int = attrs.field(default=5, validator=attrs.validators.ge(0))
    initial_delay: float = attrs.field(default=0.25, validator=_non_negative)
    max_delay: float = attrs.field(default=8.0, validator=_non_negative)
    jitter: bool = True
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)
    deadline: float | None = None

    def backoff(self, retry_number: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry ``retry_number`` (0-based)."""
        bound = min(self.max_delay, self.initial_delay * (2 ** min(retry_number, 62)))
        return float(bound * rand()) if self.jitter else float(bound)


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
