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

import anyio
import anyio.abc
import attrs
import orjson

from ._errors import APIError, BadRequestError, ConfigurationError, SyneriseError
from ._transport import Operation, RawResponse

if TYPE_CHECKING:
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


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stamp_event(event: Mapping[str, Any], index: int, namespace: str, now: str) -> dict[str, Any]:
    """A copy of ``event`` with ``type``, ``time`` and a deterministic ``eventSalt``.

    The salt hashes the event's content (with its time) and its position in the input,
    so two identical events at the same instant stay two events, and re-running the same
    input produces the same salts.
    """
    stamped = dict(event)
    stamped.setdefault("type", "custom")
    if not stamped.get("time"):
        stamped["time"] = now
    if not stamped.get("eventSalt"):
        digest = hashlib.sha256()
        digest.update(namespace.encode())
        digest.update(index.to_bytes(8, "big"))
        digest.update(orjson.dumps(stamped, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS))
        stamped["eventSalt"] = digest.hexdigest()[:32]
    return stamped


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
    events: list[dict[str, Any]]
    encoded: list[bytes]

    def body(self) -> bytes:
        return b"[" + b",".join(self.encoded) + b"]"


class EventsAPI:
    """Event helpers bound to a client: ``client.events.send_many(...)``."""

    def __init__(self, client: SyneriseClient) -> None:
        self._client = client

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
        now = _now_iso()
        current = _Batch([], [])
        size = 2  # the brackets of the JSON array
        index = 0
        async for event in _aiter(events):
            report.received += 1
            index += 1
            problem = _validate(event)
            if problem is not None:
                report.failed.append(
                    FailedEvent(
                        event=event if isinstance(event, Mapping) else {"value": event},
                        error=ConfigurationError(problem),
                    )
                )
                continue
            stamped = stamp_event(event, index, namespace, now)
            try:
                encoded = orjson.dumps(stamped, option=orjson.OPT_NON_STR_KEYS)
            except TypeError as exc:
                report.failed.append(
                    FailedEvent(
                        stamped, ConfigurationError(f"event is not JSON-serialisable: {exc}")
                    )
                )
                continue
            if len(encoded) + 2 > max_bytes:
                report.failed.append(
                    FailedEvent(
                        stamped,
                        ConfigurationError(
                            f"event of {len(encoded)} bytes exceeds the {max_bytes}-byte batch limit"
                        ),
                    )
                )
                continue
            if current.events and (
                len(current.events) >= batch_size or size + len(encoded) + 1 > max_bytes
            ):
                yield current
                current, size = _Batch([], []), 2
            current.events.append(stamped)
            current.encoded.append(encoded)
            size += len(encoded) + 1
        if current.events:
            yield current

    async def _deliver(
        self,
        batch: _Batch,
        report: SendReport,
        on_batch: Callable[[int], Awaitable[None] | None] | None,
    ) -> None:
        report.sent += len(batch.events)
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
            if len(batch.events) == 1:
                report.failed.append(FailedEvent(batch.events[0], exc))
                return
            # One bad event must not sink its neighbours: split and resend (salts make it safe).
            report.sent -= len(batch.events)
            middle = len(batch.events) // 2
            for half in (slice(None, middle), slice(middle, None)):
                await self._deliver(
                    _Batch(batch.events[half], batch.encoded[half]), report, on_batch
                )
            return
        except APIError as exc:
            logger.warning("batch of %d events failed: %s", len(batch.events), type(exc).__name__)
            report.failed.extend(FailedEvent(event, exc) for event in batch.events)
            return
        report.confirmed += len(batch.events)
        report.batches += 1
        if on_batch is not None:
            result = on_batch(len(batch.events))
            if result is not None:
                await result


def _ignore_body(raw: RawResponse) -> None:
    return None


async def _aiter(events: Iterable[Any] | AsyncIterable[Any]) -> AsyncIterable[Any]:
    if isinstance(events, AsyncIterable):
        async for event in events:
            yield event
    else:
        for event in events:
            yield event
