"""Turning input events into stamped, encoded batches within the documented limits.

Stamping rule (what makes a re-run of the same input store nothing twice): an event
keeps the ``time`` and ``eventSalt`` it has; one without ``time`` gets ``default_time``
(or, failing that, the send's start time, which a re-run cannot reproduce); one without
``eventSalt`` gets ``sha256(namespace, position in the input, canonical JSON of the event
as given)``. The salt never includes a time the sender added, so it does not depend on
when the send ran.

Encoding is strict: a value JSON cannot carry faithfully (NaN, infinities, non-string
keys, unsupported types) makes that event a local failure instead of being changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import operator
from collections.abc import Iterator, Mapping
from typing import Any, Final

import orjson

__all__ = ["Batch", "Batcher", "Refusal", "Rejected", "iso_time", "now_iso", "stamp_encode"]

REQUIRED_FIELDS: Final = ("action", "label", "client")
CLIENT_IDENTIFIERS: Final = ("id", "uuid", "email", "customId")
_IDENTIFIERS: Final = frozenset(CLIENT_IDENTIFIERS)
_SORTED: Final = orjson.OPT_SORT_KEYS


def now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds (the stamp format)."""
    return iso_time(dt.datetime.now(dt.UTC))


def iso_time(moment: dt.datetime) -> str:
    """``moment`` (timezone-aware) as ISO 8601 UTC with milliseconds and a ``Z``."""
    utc = moment.astimezone(dt.UTC)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Rejected(ValueError):
    """An event that cannot be sent as it is (the message says why)."""


def _non_finite(value: Any) -> bool:
    """True when ``value`` holds a NaN or infinity anywhere (orjson would write ``null``)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, Mapping):
        return any(_non_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_non_finite(v) for v in value)
    return False


def _encode(value: Any) -> bytes:
    try:
        encoded = orjson.dumps(value, option=_SORTED)
    except TypeError as exc:  # non-str keys, sets, bytes, lone surrogates, huge ints, ...
        raise Rejected(f"event cannot be encoded as JSON faithfully: {exc}") from None
    # NaN and infinities come out as null; only look deeper when a null appears at all.
    if encoded.find(b"null") != -1 and _non_finite(value):
        raise Rejected("event contains NaN or infinity, which JSON cannot carry")
    return encoded


def stamp_encode(event: Mapping[str, Any], index: int, namespace: bytes, time: str) -> bytes:
    """The JSON of ``event`` with ``type``, ``time`` and a deterministic ``eventSalt``.

    ``index`` is the event's 1-based position in the input and ``time`` the stamp for an
    event without one. The salt hashes the namespace, the index and the canonical
    (key-sorted) JSON of the event as given, plus ``type`` when defaulted: two identical
    events at different positions stay two events, and the same input at the same
    positions gets the same salts on every run. Raises :class:`Rejected` for values JSON
    cannot carry faithfully.
    """
    if event.get("eventSalt") and event.get("time") and event.get("type"):
        return _encode(event)
    stamped = dict(event)
    stamped.setdefault("type", "custom")
    add_time = not stamped.get("time")
    if add_time:
        stamped.pop("time", None)
    if stamped.get("eventSalt"):
        encoded = _encode(stamped)
        tail = b""
    else:
        stamped.pop("eventSalt", None)
        encoded = _encode(stamped)
        digest = hashlib.sha256(namespace + index.to_bytes(8, "big") + encoded).hexdigest()[:32]
        tail = b',"eventSalt":"' + digest.encode() + b'"'
    if add_time:
        tail += b',"time":' + orjson.dumps(time)
    return encoded[:-1] + tail + b"}" if tail else encoded


def _is_plainly_valid(event: Any) -> bool:
    """The common case of :func:`problem_with`, without ABC checks (hot path)."""
    if type(event) is not dict:
        return False
    client = event.get("client")
    return bool(
        event.get("action")
        and event.get("label")
        and type(client) is dict
        and (
            client.get("id") or client.get("uuid") or client.get("email") or client.get("customId")
        )
    )


def problem_with(event: Any) -> str | None:
    """Why an event cannot be sent, or ``None`` when its shape is right."""
    if _is_plainly_valid(event):
        return None
    if not isinstance(event, Mapping):
        return f"an event must be a mapping, not {type(event).__name__}"
    missing = [name for name in REQUIRED_FIELDS if not event.get(name)]
    if missing:
        return f"event is missing required field(s): {', '.join(missing)}"
    client = event.get("client")
    if not isinstance(client, Mapping) or not any(client.get(k) for k in CLIENT_IDENTIFIERS):
        return "event 'client' needs one of id, uuid, email or customId"
    return None


class Batch:
    """Stamped, encoded events of one request, with their 0-based input positions."""

    __slots__ = ("encoded", "indices", "taken")

    def __init__(self, encoded: list[bytes] | None = None, indices: list[int] | None = None):
        self.encoded: list[bytes] = encoded if encoded is not None else []
        self.indices: list[int] = indices if indices is not None else []
        self.taken = False
        """Set when a worker received it (so an interrupted hand-over is not counted twice)."""

    def __len__(self) -> int:
        return len(self.encoded)

    def body(self) -> bytes:
        return b"[" + b",".join(self.encoded) + b"]"

    def events(self) -> list[dict[str, Any]]:
        """The stamped events, decoded again (only to report failures)."""
        return [orjson.loads(raw) for raw in self.encoded]

    def halves(self) -> tuple[Batch, Batch]:
        middle = len(self.encoded) // 2
        return (
            Batch(self.encoded[:middle], self.indices[:middle]),
            Batch(self.encoded[middle:], self.indices[middle:]),
        )


_SALT_OPEN: Final = b',"eventSalt":"'
_SALT_CLOSE: Final = b'"}'
# Slice objects made once: ``x[:-1]`` and ``x[:32]`` build one per use.
_BEFORE_CLOSING_BRACE: Final = slice(-1)
_SALT_DIGITS: Final = slice(32)
"""The salt is the first 32 hex digits of the sha256."""
_required: Final = operator.itemgetter("action", "label", "client")
"""The fields every event needs, in one call (``KeyError`` when one is missing)."""

Refusal = tuple[str, Any]
"""Why an event was refused, and the event."""


class Batcher:
    """Turns events into full batches and local refusals.

    :meth:`take` reads events from an iterator in one tight loop (state and callables in
    locals, no call of ours per event) and handles the common shape inline: a plain
    ``dict`` with the required fields and no ``eventSalt`` of its own, with one lookup per
    key and no copy unless ``type`` must be added. Its bytes are exactly those of
    :func:`stamp_encode`, which handles every other shape.
    """

    __slots__ = (
        "batch_size",
        "current",
        "max_bytes",
        "namespace",
        "position",
        "size",
        "time",
        "time_tail",
        "timeless",
    )

    def __init__(self, *, batch_size: int, max_bytes: int, namespace: str, time: str) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.batch_size = batch_size
        self.max_bytes = max_bytes
        self.namespace = namespace.encode()
        self.time = time
        self.time_tail = b'","time":' + orjson.dumps(time) + b"}"
        """What follows the salt's hex digits in an event stamped with ``time``."""
        self.current = Batch()
        self.size = 1
        """The body's length so far plus one: ``[`` and, per event, its bytes and a comma
        (the last comma stands for the closing ``]``), so a body may fill max_bytes exactly."""
        self.position = 0
        """Events read so far (also the 0-based position of the next one)."""
        self.timeless = 0
        """Events that got ``time`` from the batcher because they had none."""

    def add(self, event: Any) -> Batch | str | None:
        """Take one event: a closed batch, the reason it was refused, or ``None``."""
        outcome = self.take(iter((event,)))
        return outcome[0] if isinstance(outcome, tuple) else outcome

    def take(self, events: Iterator[Any]) -> Batch | Refusal | None:
        """Read ``events`` until a batch closes (returned; the event that closed it starts
        the next one), an event is refused (returned with its reason) or the input ends
        (``None``). An exception from the iterator propagates with every event read
        before it kept."""
        # Every name the loop uses per event is a local: this loop is most of send_many's
        # CPU, and each global or attribute lookup is a bytecode more per event.
        max_bytes = self.max_bytes
        namespace = self.namespace
        time_tail = self.time_tail
        salt_open, salt_close, identifiers, required = (
            _SALT_OPEN,
            _SALT_CLOSE,
            _IDENTIFIERS,
            _required,
        )
        before_brace, salt_digits = _BEFORE_CLOSING_BRACE, _SALT_DIGITS
        dumps, sorted_keys, sha256 = orjson.dumps, _SORTED, hashlib.sha256
        current = self.current
        encoded_list = current.encoded
        add_encoded = encoded_list.append
        add_index = current.indices.append
        room = self.batch_size - len(encoded_list)  # events the current batch can still take
        size = self.size
        index = self.position
        timeless = self.timeless
        try:
            for event in events:
                position = index + 1
                # ``tail`` is set only for the common shape: the checks of problem_with,
                # no eventSalt, and either no time (stamped) or a usable one (a present
                # but empty time is dropped: left to stamp_encode).
                tail = None
                if type(event) is dict and "eventSalt" not in event:
                    try:
                        action, label, client = required(event)
                    except KeyError:
                        pass
                    else:
                        if action and label and type(client) is dict:
                            # A walk over the client's keys (usually one) costs less
                            # than a lookup of each of the four identifiers.
                            for key in client:
                                if key in identifiers and client[key]:
                                    if "time" not in event:
                                        tail = time_tail
                                        timeless += 1
                                    elif event["time"]:
                                        tail = salt_close
                                    break
                if tail is not None:
                    # stamp_encode's bytes: the event as given plus a defaulted type,
                    # sorted, then the salt (and the time stamp) spliced in.
                    source = event if "type" in event else {**event, "type": "custom"}
                    try:
                        canonical = dumps(source, option=sorted_keys)
                    except TypeError as exc:
                        timeless -= tail is time_tail
                        index = position
                        return f"event cannot be encoded as JSON faithfully: {exc}", event
                    # partition(), not ``in`` or find(): ``in`` first tries the needle
                    # as an int and clears the TypeError, find() parses its arguments
                    # with the old tuple parser; partition() takes one argument directly.
                    if canonical.partition(b"null")[1] and _non_finite(source):
                        timeless -= tail is time_tail
                        index = position
                        return "event contains NaN or infinity, which JSON cannot carry", event
                    # Concatenation and int.to_bytes reuse code the loop runs anyway;
                    # b"".join and a struct packer measured fewer instructions but more
                    # cache misses per event (bench/ANALYSIS.md, W3).
                    digest = sha256(namespace + position.to_bytes(8, "big") + canonical)
                    encoded = (
                        canonical[before_brace]
                        + salt_open
                        + digest.hexdigest().encode()[salt_digits]
                        + tail
                    )
                else:
                    problem = problem_with(event)
                    if problem is not None:
                        index = position
                        return problem, event
                    try:
                        encoded = stamp_encode(event, position, namespace, self.time)
                    except Rejected as exc:
                        index = position
                        return str(exc), event
                    if not event.get("time"):
                        timeless += 1
                length = len(encoded)
                # Fits when the body, a comma and this event stay within max_bytes; an
                # empty batch (size 1) fails this only for an event too big for any batch.
                if room and size + length < max_bytes:
                    add_encoded(encoded)
                    add_index(index)
                    size += length + 1
                    room -= 1
                    index = position
                    continue
                if length + 2 > max_bytes:
                    index = position
                    return (
                        f"event of {length} bytes exceeds the {max_bytes}-byte batch limit",
                        event,
                    )
                # The batch is full: it is returned, and this event starts the next one.
                closed = current
                current = Batch([encoded], [index])
                size = length + 2
                index = position
                return closed
            return None
        finally:
            self.current = current
            self.size = size
            self.position = index
            self.timeless = timeless

    def rest(self) -> Batch | None:
        """The last, partly filled batch (once), if it holds any event."""
        current = self.current
        if not current.encoded:
            return None
        self.current, self.size = Batch(), 1
        return current
