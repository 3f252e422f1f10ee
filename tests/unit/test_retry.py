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


# ---------------------------------------------------------------- the pure retry decisions

NO_JITTER = RetryPolicy(max_retries=3, initial_delay=1.0, max_delay=8.0, jitter=False)


def _status(status: int, *, repeat_safe: bool = True, **kwargs: object) -> float | None:
    from synerise_async._retry import status_retry_delay

    args: dict[str, object] = {
        "retries": 0,
        "policy": NO_JITTER,
        "repeat_safe": repeat_safe,
        "elapsed": 0.0,
        "now": 1_000.0,
    }
    headers = kwargs.pop("headers", {})
    args.update(kwargs)
    return status_retry_delay(status, headers, **args)  # type: ignore[arg-type]


def test_default_retry_statuses_include_500() -> None:
    """The default retryable statuses are 408, 429, 500, 502, 503 and 504."""
    assert RetryPolicy().retry_statuses == frozenset({408, 429, 500, 502, 503, 504})


def test_500_is_retried_only_when_repeat_safe() -> None:
    """A 500 gets a backoff when the request is safe to repeat and None when it is not."""
    assert _status(500, repeat_safe=True) == 1.0
    assert _status(500, repeat_safe=False) is None


def test_429_is_retried_even_when_not_repeat_safe_and_honours_retry_after() -> None:
    """A 429 was not processed: it is retried for any request, after Retry-After seconds."""
    assert _status(429, repeat_safe=False, headers={"Retry-After": "3"}) == 3.0
    assert _status(429, repeat_safe=False) == 1.0


def test_429_with_a_retry_after_over_the_cap_is_not_retried() -> None:
    """A Retry-After longer than max_retry_after ends retrying (RateLimitError carries it)."""
    assert _status(429, headers={"Retry-After": "120"}) is None


def test_retry_after_lengthens_but_never_shortens_the_backoff_for_safe_statuses() -> None:
    """For a 503 the wait is the larger of the backoff and Retry-After."""
    assert _status(503, headers={"Retry-After": "5"}) == 5.0
    assert _status(503, headers={"Retry-After": "0"}, retries=2) == 4.0


def test_statuses_outside_the_policy_are_not_retried() -> None:
    """A status the policy does not list (400, or 500 when removed) gets None."""
    assert _status(400) is None
    assert _status(500, policy=RetryPolicy(retry_statuses={502, 503})) is None
    assert _status(502, policy=RetryPolicy(retry_statuses={502, 503}, jitter=False)) == 0.25


def test_no_retry_after_max_retries_or_past_the_deadline() -> None:
    """The retry budget and the deadline both end retrying."""
    assert _status(503, retries=3) is None
    deadline = RetryPolicy(initial_delay=1.0, jitter=False, deadline=5.0)
    assert _status(503, policy=deadline, elapsed=3.0) == 1.0
    assert _status(503, policy=deadline, elapsed=4.5) is None


def test_failures_are_retried_when_unsent_or_repeat_safe() -> None:
    """A connect failure (surely unsent) is retried even for an unsafe request; a failure
    after sending only for a safe one."""
    from synerise_async._retry import failure_retry_delay

    common: dict[str, object] = {"retries": 1, "policy": NO_JITTER, "elapsed": 0.0}
    assert failure_retry_delay(unsent=True, repeat_safe=False, **common) == 2.0  # type: ignore[arg-type]
    assert failure_retry_delay(unsent=False, repeat_safe=True, **common) == 2.0  # type: ignore[arg-type]
    assert failure_retry_delay(unsent=False, repeat_safe=False, **common) is None  # type: ignore[arg-type]
    assert (
        failure_retry_delay(unsent=True, repeat_safe=True, retries=3, policy=NO_JITTER, elapsed=0.0)
        is None
    )


def test_retry_statuses_are_validated() -> None:
    """retry_statuses accepts only HTTP error statuses, stored as a frozenset."""
    assert RetryPolicy(retry_statuses=[503]).retry_statuses == frozenset({503})
    for bad in ([200], ["503"], [True]):
        with pytest.raises(ValueError):
            RetryPolicy(retry_statuses=bad)  # type: ignore[arg-type]
