"""What the fake stores, and the counters tests assert on.

The stores are plain in-memory structures owned by one :class:`FakeSynerise`. The event
and transaction stores implement Synerise's overwrite rule: an item sent again with the
same action, time and ``eventSalt`` replaces the first instead of adding a second, so a
test can prove exactly-once delivery by counting.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from typing import Any, Final

import attrs

__all__ = [
    "EventStore",
    "FakeStats",
    "StoredEvent",
    "parse_time",
]

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS: Final = dt.timedelta(milliseconds=1)
_SALT_NAMESPACE: Final = uuid.UUID("6f1c1f83-7d0c-4c43-9d7e-5a1d3a0c2b11")
_UNSALTED_PREFIX: Final = uuid.uuid4().int >> 64


def parse_time(value: str) -> int | None:
    """Epoch milliseconds of an ISO 8601 date-time with a zone; ``None`` when invalid."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        return None
    return (parsed - _EPOCH) // _MS


def iso_millis(epoch_ms: int) -> str:
    """``2024-03-18T10:15:30.000Z`` for epoch milliseconds.

    An instant a few hours outside the years 0001-9999 in UTC (sent with a far offset,
    e.g. ``0001-01-01T00:00:00+14:00``) is written at that extreme offset instead.
    """
    delta = dt.timedelta(milliseconds=epoch_ms)
    for zone, suffix in ((dt.UTC, "Z"), (_EAST, "+14:00"), (_WEST, "-12:00")):
        try:
            moment = _EPOCH.astimezone(zone) + delta
        except OverflowError:
            continue
        return (
            f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}.{epoch_ms % 1000:03d}{suffix}"
        )
    raise OverflowError(f"{epoch_ms} ms is outside what a date-time can express")


_EAST: Final = dt.timezone(dt.timedelta(hours=14))
_WEST: Final = dt.timezone(dt.timedelta(hours=-12))


@attrs.define(slots=True)
class FakeStats:
    """Counters of one fake; read them in tests (``fake.stats.logins == 1``)."""

    requests: int = 0
    """Every HTTP request received, the fake's control endpoints excepted."""
    in_flight: int = 0
    """Requests being handled right now."""
    max_in_flight: int = 0
    """The most requests ever handled at the same time."""
    requests_by_operation: Counter[str] = attrs.field(factory=Counter)
    """Requests per ``operationId`` (counted once routed, before faults and checks)."""
    responses_by_status: Counter[int] = attrs.field(factory=Counter)
    logins: int = 0
    """Successful credential logins of any kind (workspace, profile, anonymous, user)."""
    logins_by_kind: Counter[str] = attrs.field(factory=Counter)
    refreshes: int = 0
    """Successful token-for-token refreshes (profile and workspace)."""
    mfa_verifications: int = 0
    workspace_selections: int = 0
    unauthorized: int = 0
    """Requests answered 401."""
    rejected: int = 0
    """Requests answered 400/415 because the spec does not allow them."""
    faults_injected: Counter[str] = attrs.field(factory=Counter)
    """Injected faults by kind: ``429``, ``5xx``, ``latency``, ``drop_before``,
    ``drop_after``, ``rate_limit``."""
    events_received: int = 0
    """Events in accepted requests, repeats included."""
    events_stored: int = 0
    """Distinct events held (what Synerise would show)."""
    events_overwritten: int = 0
    """Events that replaced an earlier one with the same action, time and eventSalt."""
    transactions_received: int = 0
    transactions_stored: int = 0
    transactions_overwritten: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot."""
        data = attrs.asdict(self)
        data["responses_by_status"] = {str(k): v for k, v in self.responses_by_status.items()}
        return data


class StoredEvent:
    """An event as the fake holds it (its UUID and ISO time are computed when read)."""

    __slots__ = (
        "_serial",
        "action",
        "client",
        "event_salt",
        "label",
        "operation_id",
        "params",
        "received_at",
        "time_ms",
    )

    def __init__(
        self,
        serial: int,
        action: str,
        label: str | None,
        client: Mapping[str, Any],
        time_ms: int,
        params: Mapping[str, Any],
        event_salt: str | None,
        operation_id: str,
        received_at: float,
    ) -> None:
        self._serial = serial
        self.action = action
        self.label = label
        self.client = client
        self.time_ms = time_ms
        self.params = params
        self.event_salt = event_salt
        self.operation_id = operation_id
        self.received_at = received_at

    def __repr__(self) -> str:
        return (
            f"StoredEvent(action={self.action!r}, time={self.time!r}, client={dict(self.client)!r})"
        )

    @property
    def uuid(self) -> str:
        """Derived from action, time and salt when salted (so it survives overwrites)."""
        if self.event_salt:
            seed = f"{self.action}\x00{self.time_ms}\x00{self.event_salt}"
            return str(uuid.uuid5(_SALT_NAMESPACE, seed))
        return str(uuid.UUID(int=(_UNSALTED_PREFIX << 64) | self._serial, version=4))

    @property
    def time(self) -> str:
        """ISO 8601 UTC with milliseconds."""
        return iso_millis(self.time_ms)

    def to_record(self) -> dict[str, Any]:
        """The ``EventRecord`` shape of the read endpoints."""
        record: dict[str, Any] = {
            "uuid": self.uuid,
            "time": self.time,
            "action": self.action,
            "params": dict(self.params),
        }
        if self.client:  # an AI-engine event may name no profile; `client` needs an identifier
            record["client"] = dict(self.client)
        if self.label is not None:
            record["label"] = self.label
        return record


class EventStore:
    """Events by identity: ``(action, time, eventSalt)`` when salted, else a fresh serial.

    ``len(store)`` is the number of distinct events; ``store.received`` counts every
    event handed in, ``store.overwritten`` those that replaced an earlier one.
    """

    def __init__(self, stats: FakeStats, *, kind: str = "events") -> None:
        self._stats = stats
        self._events = kind == "events"
        self._kind = kind
        self._items: dict[Any, StoredEvent] = {}
        self.received = 0
        self.overwritten = 0
        self._serial = 0
        self._daily: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._day: tuple[int, str] = (-1, "")

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[StoredEvent]:
        return iter(list(self._items.values()))

    def __repr__(self) -> str:
        return (
            f"<EventStore {len(self)} {self._kind} stored, {self.received} received, "
            f"{self.overwritten} overwritten>"
        )

    def add(
        self,
        *,
        action: str,
        time_ms: int,
        client: Mapping[str, Any],
        params: Mapping[str, Any] | None,
        label: str | None,
        event_salt: str | None,
        operation_id: str,
        received_at: float,
    ) -> StoredEvent:
        """Store one event; a salted repeat replaces the stored one."""
        self.received += 1
        self._serial += 1
        key: Any = (action, time_ms, event_salt) if event_salt else self._serial
        event = StoredEvent(
            self._serial,
            action,
            label,
            client,
            time_ms,
            params or {},
            event_salt or None,
            operation_id,
            received_at,
        )
        items = self._items
        replaced = key in items
        items[key] = event
        stats = self._stats
        if self._events:
            stats.events_received += 1
            if replaced:
                stats.events_overwritten += 1
            stats.events_stored = len(items)
        else:
            stats.transactions_received += 1
            if replaced:
                stats.transactions_overwritten += 1
            stats.transactions_stored = len(items)
        if replaced:
            self.overwritten += 1
        else:
            self._daily[self._day_of(received_at)][action] += 1
        return event

    def _day_of(self, moment: float) -> str:
        number = int(moment // 86400)
        if self._day[0] != number:
            self._day = (number, dt.datetime.fromtimestamp(moment, dt.UTC).date().isoformat())
        return self._day[1]

    def count(self, action: str | None = None, **client: Any) -> int:
        """Stored events, optionally of one ``action`` and matching client identifiers."""
        return sum(1 for _ in self.find(action, **client))

    def find(self, action: str | None = None, **client: Any) -> Iterator[StoredEvent]:
        """Stored events of ``action`` whose client has all the given identifiers."""
        for event in self._items.values():
            if action is not None and event.action != action:
                continue
            if any(event.client.get(k) != v for k, v in client.items()):
                continue
            yield event

    def by_action(self) -> Counter[str]:
        """Number of stored events per action."""
        return Counter(event.action for event in self._items.values())

    def new_per_day(self) -> dict[str, Counter[str]]:
        """New (not overwriting) data points per ingestion day (UTC) and action."""
        return {day: Counter(counts) for day, counts in self._daily.items()}

    def clear(self) -> None:
        self._items.clear()
        self._daily.clear()
        self.received = self.overwritten = 0
