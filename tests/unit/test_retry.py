"""Backoff and Retry-After parsing."""

from __future__ import annotations

import email.utils

import pytest

from synerise_async import RetryPolicy
from synerise_async._retry import parse_retry_after


def test_backoff_grows_exponentially_up_to_the_cap_without_jitter() -> None:
    """Without jitter the delay doubles per retry and stops at max_delay."""
    policy = RetryPolicy(initial_delay=0.5, max_delay=3.0, jitter=False)
    assert [policy.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_full_jitter_draws_between_zero_and_the_bound() -> None:
    """With jitter the delay is the bound scaled by a random factor in [0, 1)."""
    policy = RetryPolicy(initial_delay=1.0, max_delay=10.0)
    assert policy.backoff(2, rand=lambda: 0.0) == 0.0
    assert policy.backoff(2, rand=lambda: 0.5) == 2.0
    assert policy.backoff(2, rand=lambda: 0.999) == pytest.approx(3.996)


def test_backoff_does_not_overflow_for_huge_retry_numbers() -> None:
    """A very large retry number still yields the capped delay."""
    assert RetryPolicy(max_delay=7.0, jitter=False).backoff(10_000) == 7.0


def test_negative_settings_are_rejected() -> None:
    """A negative delay or retry count is a construction error."""
    with pytest.raises(ValueError):
        RetryPolicy(initial_delay=-1)
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)


def test_retry_after_in_seconds() -> None:
    """Retry-After with delta-seconds is returned as a float."""
    assert parse_retry_after({"Retry-After": "3"}, now=0) == 3.0
    assert parse_retry_after({"Retry-After": " 1.5 "}, now=0) == 1.5


def test_retry_after_as_http_date() -> None:
    """Retry-After with an HTTP date is the distance from now."""
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 42, usegmt=True)
    assert parse_retry_after({"Retry-After": header}, now=now) == pytest.approx(42.0)


def test_retry_after_in_the_past_is_zero() -> None:
    """A date already past, or a negative number, means retry now."""
    now = 1_700_000_000.0
    assert (
        parse_retry_after({"Retry-After": email.utils.formatdate(now - 10, usegmt=True)}, now=now)
        == 0.0
    )
    assert parse_retry_after({"Retry-After": "-5"}, now=now) == 0.0


def test_retry_after_ms_takes_precedence() -> None:
    """The retry-after-ms header, when present, is used in milliseconds."""
    assert parse_retry_after({"retry-after-ms": "250", "Retry-After": "9"}, now=0) == 0.25


def test_unparseable_retry_after_is_none() -> None:
    """Garbage or a missing header gives None, never an exception."""
    assert parse_retry_after({"Retry-After": "soon"}, now=0) is None
    assert parse_retry_after({}, now=0) is None
