"""Fault injection knobs and the per-key rate limiter of the fake.

Every knob can be set in the constructor, on the command line, or at run time through
``fake.faults`` (``fake.faults.rate_429 = 0.2``, or ``with fake.faults.override(...)``).
Draws come from one ``random.Random(seed)``, so a sequential run is reproducible.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs

__all__ = ["FAULT_KINDS", "Faults", "RateLimiter"]

FAULT_KINDS = ("429", "5xx", "latency", "drop_before", "drop_after", "rate_limit")
"""Keys of ``fake.stats.faults_injected``."""


def _probability(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be a probability in [0, 1], got {value!r}")


def _non_negative(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value!r}")


@attrs.define(slots=True)
class Faults:
    """The fault knobs of a fake (mutable at run time; validated on every assignment).

    - ``rate_429``: probability that a request is answered 429 without being processed;
      ``retry_after`` is the ``Retry-After`` it carries (seconds; ``None``: no header).
    - ``rate_5xx``: probability of a 503 without processing.
    - ``latency``: seconds added before every request is handled.
    - ``drop_before``: probability that the connection is closed before the request is
      processed (nothing stored).
    - ``drop_after``: probability that the request is fully processed (stored), then the
      connection is closed without a response.
    - ``token_lifetime``: seconds a newly issued JWT is valid (fractions allowed).
    - ``rate_limit_per_second``: requests per second allowed per credential, like the API
      gateway (429 with ``Retry-After``); ``None`` for no limit.
    - ``faults_on_auth``: whether login/refresh calls get 429/5xx/drop faults too.
    """

    rate_429: float = attrs.field(default=0.0, validator=_probability)
    retry_after: float | None = attrs.field(default=None, validator=_non_negative)
    rate_5xx: float = attrs.field(default=0.0, validator=_probability)
    latency: float = attrs.field(default=0.0, validator=_non_negative)
    drop_before: float = attrs.field(default=0.0, validator=_probability)
    drop_after: float = attrs.field(default=0.0, validator=_probability)
    token_lifetime: float = attrs.field(default=3600.0, validator=_non_negative)
    rate_limit_per_second: float | None = attrs.field(default=None, validator=_non_negative)
    faults_on_auth: bool = False

    def update(self, **knobs: Any) -> None:
        """Set several knobs at once (unknown names raise ``AttributeError``)."""
        for name, value in knobs.items():
            if not hasattr(self, name):
                raise AttributeError(f"unknown fault knob {name!r}")
            setattr(self, name, value)

    @contextlib.contextmanager
    def override(self, **knobs: Any) -> Iterator[Faults]:
        """Set knobs for the duration of a ``with`` block, then restore them."""
        saved = {name: getattr(self, name) for name in knobs}
        self.update(**knobs)
        try:
            yield self
        finally:
            self.update(**saved)

    def clear(self) -> None:
        """Switch every fault off (token lifetime and rate limit keep their values)."""
        self.update(rate_429=0.0, rate_5xx=0.0, latency=0.0, drop_before=0.0, drop_after=0.0)

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


class RateLimiter:
    """A fixed window per credential, as API gateways count: ``rate`` requests a second.

    A refused request is told to wait until its window ends, so a burst of waiting
    callers comes back together and the next window serves them (a gateway does not
    hand out per-request slots).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def acquire(self, key: str, rate: float) -> float:
        """0 when the request may go ahead, else the seconds until its window ends."""
        if rate <= 0:
            return math.inf
        now = self._clock()
        length = max(1.0, 1.0 / rate)
        allowed = max(1, int(rate * length))
        start, used = self._windows.get(key, (now, 0))
        if now - start >= length:
            start, used = now, 0
        if used < allowed:
            self._windows[key] = (start, used + 1)
            return 0.0
        self._windows[key] = (start, used)
        return max(start + length - now, 0.001)

    def reset(self) -> None:
        self._windows.clear()
