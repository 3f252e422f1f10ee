"""Exactly-once bulk event delivery.

Synerise overwrites an event sent again with the same ``action``, ``time`` and
``eventSalt`` ("Overwriting events", https://hub.synerise.com/developers/api/events/sending-events).
The sender relies on that: before anything is sent, each event gets an explicit ``time``
and a deterministic ``eventSalt`` (unless the caller gave them), so any batch may be
resent after an ambiguous failure without creating duplicates. Batches respect the
documented limits of ``POST /v4/events/batch`` (1000 events, 1 MB), go out concurrently
with bounded memory, and every event ends either confirmed or in the report's ``failed``
list with its error, stamped so that replaying it later cannot duplicate it either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs
import orjson

from ._errors import APIError, BadRequestError, ConfigurationError, SyneriseError
from ._transport import Operation, RawResponse
from .resources.events import EventsResource

if TYPE_CHECKING:
    import anyio.abc

    from ._client import SyneriseClient

__all__ = ["EventsAPI", "FailedEvent", "SendReport"]

logger = logging.getLogger("synerise_async.events")

MAX_BATCH_EVENTS: Final = 1000
"""Documented limit of events in one ``POST /v4/events/batch``."""
MAX_BATCH_BYTES: Final = 1_000_000
"""Documented 1 MB body limit of ``POST /v4/events/batch`` (kept decimal, to be safe)."""
BATCH_PATH: Final = "/v4/events/batch"
REQUIRED_FIELDS: Final = ("action", "label", "client")

# The batch call is safe to resend because every event in it carries an eventSalt.
BATCH_OPERATION: Final = Operation(
    operation_id="batchSendEvents",
    method="POST",
    path=BATCH_PATH,
    tag="events",
    security=("JWT", "Basic"),
    api_version="4.4",
    retry="safe",
)


@attrs.frozen(slots=True)
class FailedEvent:
    """An event that was not confirmed, with the reason. Its ``event`` is stamped (time,
    eventSalt), so sending it again later overwrites rather than duplicates."""

    event: Mapping[str, Any]
    error: SyneriseError


@attrs.define
class SendReport:
    """What happened to every event handed to :meth:`EventsAPI.send_many`.

    ``received == confirmed + len(failed)`` always holds once sending has finished.
    """

    received: int = 0
    """Events read from the input."""
    sent: int = 0
    """Events included in at least one HTTP request."""
    confirmed: int = 0
    """Events in batches the API accepted (2xx)."""
    batches: int = 0
    """Batch requests that were accepted."""
    failed: list[FailedEvent] = attrs.field(factory=list)

    @property
    def ok(self) -> bool:
        """True when every event was confirmed."""
        return not self.failed and self.confirmed == self.received

    def raise_for_failures(self) -> None:
        """Raise the first failure's error if any event failed (the report stays available)."""
        if self.failed:
            first = self.failed[0].error
            raise SyneriseError(
                f"{len(self.failed)} of {self.received} events failed; first: {first}"
            ) from first


_SORTED: Final = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stamp_encode(event: Mapping[str, Any], index: int, namespace: bytes, now: str) -> bytes:
    """The JSON of ``event`` with ``type``, ``time`` and a deterministic ``eventSalt``.

    The salt hashes the namespace, the event's position in the input and its canonical
    (key-sorted) JSON with its time, so two identical events at the same instant stay two
    events and re-running the same input produces the same salts. It is spliced into the
    same sorted encoding, so each event is encoded once. Raises TypeError if the event is
    not JSON-serialisable.
    """
    if event.get("eventSalt") and event.get("time") and event.get("type"):
        return orjson.dumps(event, option=_SORTED)
    stamped = dict(event)
    stamped.setdefault("type", "custom")
    if not stamped.get("time"):
        stamped["time"] = now
    if stamped.get("eventSalt"):
        return orjson.dumps(stamped, option=_SORTED)
    stamped.pop("eventSalt", None)
    encoded = orjson.dumps(stamped, option=_SORTED)
    digest = hashlib.sha256(namespace + index.to_bytes(8, "big") + encoded).hexdigest()[:32]
    return encoded[:-1] + b',"eventSalt":"' + digest.encode() + b'"}'


def _is_plainly_valid(event: Any) -> bool:
    """The common case of :func:`_validate`, without generators or ABC checks (hot path)."""
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


def _validate(event: Any) -> str | None:
    """Why an event cannot be sent, or ``None`` when it can."""
    if not isinstance(event, Mapping):
        return f"an event must be a mapping, not {type(event).__name__}"
    missing = [name for name in REQUIRED_FIELDS if not event.get(name)]
    if missing:
        return f"event is missing required field(s): {', '.join(missing)}"
    client = event.get("client")
    if not isinstance(client, Mapping) or not any(
        client.get(k) for k in ("id", "uuid", "email", "customId")
    ):
        return "event 'client' needs one of id, uuid, email or customId"
    return None


@attrs.define(slots=True)
class _Batch:
    """Stamped, encoded events of one request (decoded again only to report failures)."""

    encoded: list[bytes] = attrs.field(factory=list)

    def __len__(self) -> int:
        return len(self.encoded)

    def body(self) -> bytes:
        return b"[" + b",".join(self.encoded) + b"]"

    def events(self) -> list[dict[str, Any]]:
        return [orjson.loads(raw) for raw in self.encoded]


class _Batcher:
    """Turns events into batches within the limits, one event at a time."""

    __slots__ = (
        "batch_size",
        "current",
        "index",
        "max_bytes",
        "namespace",
        "now",
        "report",
        "size",
    )

    def __init__(self, report: SendReport, batch_size: int, max_bytes: int, namespace: str) -> None:
        self.report = report
        self.batch_size = batch_size
        self.max_bytes = max_bytes
        self.namespace = namespace.encode()
        self.now = _now_iso()
        self.current = _Batch()
        self.size = 2  # the brackets of the JSON array
        self.index = 0

    def add(self, event: Any) -> _Batch | None:
        """Take one event; return the batch it closed, if any."""
        report = self.report
        report.received += 1
        self.index += 1
        if not _is_plainly_valid(event):
            problem = _validate(event)
            if problem is not None:
                reported = event if isinstance(event, Mapping) else {"value": event}
                report.failed.append(FailedEvent(reported, ConfigurationError(problem)))
                return None
        try:
            encoded = stamp_encode(event, self.index, self.namespace, self.now)
        except TypeError as exc:
            error = ConfigurationError(f"event is not JSON-serialisable: {exc}")
            report.failed.append(FailedEvent(dict(event), error))
            return None
        length = len(encoded)
        if length + 2 > self.max_bytes:
            error = ConfigurationError(
                f"event of {length} bytes exceeds the {self.max_bytes}-byte batch limit"
            )
            report.failed.append(FailedEvent(orjson.loads(encoded), error))
            return None
        closed = None
        current = self.current
        if current.encoded and (
            len(current.encoded) >= self.batch_size or self.size + length + 1 > self.max_bytes
        ):
            closed, current = current, _Batch()
            self.current, self.size = current, 2
        current.encoded.append(encoded)
        self.size += length + 1
        return closed


class EventsAPI(EventsResource):
    """``client.events``: the generated ``events`` operations plus ``send_many(...)``."""

    _client: SyneriseClient

    def __init__(self, client: SyneriseClient) -> None:
        super().__init__(client)

    async def send_many(
        self,
        events: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        batch_size: int = MAX_BATCH_EVENTS,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        concurrency: int = 8,
        salt_namespace: str = "",
        on_batch: Callable[[int], Awaitable[None] | None] | None = None,
    ) -> SendReport:
        """Send events in batches, exactly once, and report what happened to each.

        Events are dicts in the ``POST /v4/events/batch`` item shape (``action``,
        ``label``, ``client``, optional ``params``, ``time``, ``eventSalt``; ``type``
        defaults to ``custom``). Invalid events are reported as failed without being
        sent. Batches rejected with 400 are split to isolate the offending events.
        ``on_batch`` is called with the number of events of each accepted batch.
        Input is consumed lazily: at most ``concurrency`` batches are held at once.
        """
        if not 1 <= batch_size <= MAX_BATCH_EVENTS:
            raise ConfigurationError(f"batch_size must be between 1 and {MAX_BATCH_EVENTS}")
        if not 2 <= max_batch_bytes <= MAX_BATCH_BYTES:
            raise ConfigurationError(f"max_batch_bytes must be at most {MAX_BATCH_BYTES}")
        if concurrency < 1:
            raise ConfigurationError("concurrency must be >= 1")
        import anyio  # deferred: only bulk sending needs it

        report = SendReport()
        send, receive = anyio.create_memory_object_stream[_Batch](max_buffer_size=concurrency)

        async def worker(batches: anyio.abc.ObjectReceiveStream[_Batch]) -> None:
            async with batches:
                async for batch in batches:
                    await self._deliver(batch, report, on_batch)

        async with anyio.create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(worker, receive.clone())
            receive.close()
            async with send:
                async for batch in self._batches(
                    events, report, batch_size, max_batch_bytes, salt_namespace
                ):
                    await send.send(batch)
        return report

    async def _batches(
        self,
        events: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        report: SendReport,
        batch_size: int,
        max_bytes: int,
        namespace: str,
    ) -> AsyncIterable[_Batch]:
        batcher = _Batcher(report, batch_size, max_bytes, namespace)
        if isinstance(events, AsyncIterable):
            async for event in events:
                if (batch := batcher.add(event)) is not None:
                    yield batch
        else:
            for event in events:  # a plain loop: no async-generator step per event
                if (batch := batcher.add(event)) is not None:
                    yield batch
        if batcher.current.encoded:
            yield batcher.current

    async def _deliver(
        self,
        batch: _Batch,
        report: SendReport,
        on_batch: Callable[[int], Awaitable[None] | None] | None,
    ) -> None:
        count = len(batch)
        report.sent += count
        try:
            await self._client.request(
                BATCH_OPERATION,
                {
                    "method": "POST",
                    "url": BATCH_PATH,
                    "content": batch.body(),
                    "headers": {"Content-Type": "application/json"},
                },
                _ignore_body,
            )
        except BadRequestError as exc:
            if count == 1:
                report.failed.append(FailedEvent(batch.events()[0], exc))
                return
            # One bad event must not sink its neighbours: split and resend (salts make it safe).
            report.sent -= count
            middle = count // 2
            for half in (batch.encoded[:middle], batch.encoded[middle:]):
                await self._deliver(_Batch(half), report, on_batch)
            return
        except APIError as exc:
            logger.warning("batch of %d events failed: %s", count, type(exc).__name__)
            report.failed.extend(FailedEvent(event, exc) for event in batch.events())
            return
        report.confirmed += count
        report.batches += 1
        if on_batch is not None:
            result = on_batch(count)
            if result is not None:
                await result


def _ignore_body(raw: RawResponse) -> None:
    return None
