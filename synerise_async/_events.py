"""Exactly-once bulk event delivery: ``client.events.send_many(events)``.

Synerise overwrites an event sent again with the same ``action``, ``time`` and
``eventSalt`` ("Overwriting events", https://hub.synerise.com/developers/api/events/sending-events).
The sender relies on that: before anything is sent, each event gets an explicit ``time``
and a deterministic ``eventSalt`` (rule in :mod:`._event_batch`), so any batch may be
resent after an ambiguous failure, and the whole job re-run, without duplicates.

Batches respect the limits of the generated ``batchSendEvents`` operation record
(``synerise_async.api.events.batch_send_events.OPERATION``), go out concurrently with
bounded memory, and every event read ends confirmed or reported failed. Errors that would
hit every batch stop the send at once (:class:`SendAborted`), as does a run of
consecutive failed batches.

This module talks to the client only through the :class:`Transport` protocol.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import warnings
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    SyneriseError,
)
from ._event_batch import Batch, Batcher, iso_time, now_iso, stamp_encode
from ._event_report import (
    FailedEvent,
    FailureCallback,
    FailureSink,
    ProgressCallback,
    RateMeter,
    SendAborted,
    SendProgress,
    SendReport,
    Stage,
    call_back,
    replay_events,
    scrub_error,
)
from ._transport import RequestParts, Transport
from .api.events import batch_send_events
from .resources.events import EventsResource

if TYPE_CHECKING:
    import anyio.abc
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

__all__ = [
    "EventsAPI",
    "FailedEvent",
    "ReplayUnsafeWarning",
    "SendAborted",
    "SendProgress",
    "SendReport",
    "replay_events",
    "stamp_encode",
]

logger = logging.getLogger("synerise_async.events")

BATCH_OPERATION: Final = batch_send_events.OPERATION
"""The generated record of ``POST /v4/events/batch`` (limits, retry rule, security)."""
assert BATCH_OPERATION.max_items is not None and BATCH_OPERATION.max_body_bytes is not None
MAX_BATCH_EVENTS: Final[int] = BATCH_OPERATION.max_items
MAX_BATCH_BYTES: Final[int] = BATCH_OPERATION.max_body_bytes
DEFAULT_CONCURRENCY: Final = 8
DEFAULT_MAX_CONSECUTIVE_FAILURES: Final = 10
AUTH_RESENDS: Final = 2
"""Times a batch answered 401 by the batch endpoint (after the client's own re-login and
replay) is sent again before it counts as failed."""

FATAL_ERRORS: Final = (PermissionDeniedError, NotFoundError, ConfigurationError)
"""Errors that would hit every batch: 403 or 404 (from the login or the batch endpoint),
a client misconfiguration. The first one stops the send."""


def _is_fatal(error: SyneriseError) -> bool:
    """Whether ``error`` would hit every later batch too, so sending on is pointless.

    A 401 from the batch endpoint itself is not: the client has already logged in again
    and replayed once, and a short-lived token can still expire in flight (a run of them
    trips the circuit breaker). A failed or token-less login is.
    """
    if isinstance(error, AuthenticationError):
        return error.operation_id != BATCH_OPERATION.operation_id
    return isinstance(error, FATAL_ERRORS)


class ReplayUnsafeWarning(UserWarning):
    """Events without ``time`` were stamped with the send's start time: re-running the
    same input would store them again. Pass ``default_time=`` to make re-runs safe."""


@runtime_checkable
class _CountsRetries(Protocol):
    """Optional: a transport with ``stats.retries_by_cause`` (``SyneriseClient`` has it)."""

    @property
    def stats(self) -> Any: ...


def _retry_counter(transport: Transport) -> Callable[[], int]:
    """How to read the transport's retry total (0 without ``stats``).

    The protocol check runs once per send: ``isinstance`` against a runtime-checkable
    protocol is slow enough (tens of microseconds) to matter per batch.
    """
    if not isinstance(transport, _CountsRetries):
        return lambda: 0

    def retries() -> int:
        counts = getattr(transport.stats, "retries_by_cause", None)
        if isinstance(counts, Mapping):
            return sum(int(v) for v in counts.values())
        return 0

    return retries


def _time_stamp(default_time: dt.datetime | str | None) -> str | None:
    if default_time is None:
        return None
    if isinstance(default_time, dt.datetime):
        if default_time.tzinfo is None:
            raise ConfigurationError("default_time must be timezone-aware (e.g. datetime.UTC)")
        return iso_time(default_time)
    if isinstance(default_time, str) and default_time.strip():
        try:
            parsed = dt.datetime.fromisoformat(default_time.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return default_time
    raise ConfigurationError(
        f"default_time must be an aware datetime or an ISO 8601 string with a time zone, "
        f"got {default_time!r}"
    )


class _Run:
    """The state of one ``send_many`` call, shared by the reader and the workers."""

    def __init__(
        self,
        transport: Transport,
        report: SendReport,
        sink: FailureSink,
        *,
        max_consecutive_failures: int | None,
        progress: ProgressCallback | None,
        on_batch: Callable[[int], Awaitable[None] | None] | None,
    ) -> None:
        self.transport = transport
        self.report = report
        self.sink = sink
        self.max_consecutive_failures = max_consecutive_failures
        self.progress = progress
        self.on_batch = on_batch
        self.consecutive_failures = 0
        self.last_error: SyneriseError | None = None
        self.abort_error: SyneriseError | None = None
        self.abort_message = ""
        self.input_error: Exception | None = None
        """What the caller's iterator raised; events read before it are still delivered."""
        self.caller_error: BaseException | None = None
        """What a caller's callback raised; the send stops at once."""
        self.pending: Batch | None = None
        """The batch being handed to the workers (reported unsent if that is interrupted)."""
        self.reading: anyio.CancelScope | None = None
        self.group: anyio.abc.TaskGroup | None = None
        self.started = time.monotonic()
        self.retries_so_far = _retry_counter(transport)
        self.retries_at_start = self.retries_so_far()
        self.meter = RateMeter(self.started)

    @property
    def stopping(self) -> bool:
        return self.abort_error is not None or self.caller_error is not None

    def abort(self, message: str, error: SyneriseError) -> None:
        """Stop reading input; batches not yet sent are reported as ``unsent``."""
        if self.abort_error is not None:
            return
        self.abort_message, self.abort_error = message, error
        logger.info("send_many aborting: %s", message)
        if self.reading is not None:
            self.reading.cancel()

    def crash(self, exc: BaseException) -> None:
        """A caller callback (or a bug) raised: stop everything and re-raise it later."""
        if self.caller_error is None:
            self.caller_error = exc
        elif exc is not self.caller_error:
            self.caller_error.add_note(f"also raised during the same send: {exc!r}")
        if self.group is not None:
            self.group.cancel_scope.cancel()

    async def fail(self, batch: Batch, stage: Stage, error: SyneriseError) -> None:
        """Report every event of ``batch`` as failed."""
        self.last_error = error
        failures = [
            FailedEvent(index=i, stage=stage, event=e, error=error)
            for i, e in zip(batch.indices, batch.events(), strict=True)
        ]
        await self.record(failures)

    async def record(self, failures: list[FailedEvent]) -> None:
        if not await self.sink.add(failures):
            self.abort(
                f"more than {self.sink.limit} events failed and neither on_failure "
                "nor failures_path was given to hold them",
                failures[0].error,
            )

    def count_outcome(self, confirmed: int) -> None:
        """The circuit breaker: a batch none of whose events was confirmed is a failure."""
        if confirmed:
            self.consecutive_failures = 0
            return
        self.consecutive_failures += 1
        limit = self.max_consecutive_failures
        error = self.last_error
        if limit is not None and self.consecutive_failures >= limit and error is not None:
            self.abort(f"{limit} consecutive batches failed; last: {error}", error)

    async def notify(self, confirmed: int) -> None:
        """Tell the caller's callbacks (progress with a fresh retry count)."""
        if confirmed and self.on_batch is not None:
            await call_back(self.on_batch, confirmed)
        if self.progress is not None:
            report = self.report
            report.retries = self.retries_so_far() - self.retries_at_start
            now = time.monotonic()
            snapshot = SendProgress(
                received=report.received,
                confirmed=report.confirmed,
                failed=report.failed_count,
                retries=report.retries,
                elapsed=now - self.started,
                rate=self.meter.rate(now, report.confirmed),
            )
            await call_back(self.progress, snapshot)


class EventsAPI(EventsResource):
    """``client.events``: the generated ``events`` operations plus ``send_many(...)``."""

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport)
        self._transport = transport

    async def send_many(
        self,
        events: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        default_time: dt.datetime | str | None = None,
        salt_namespace: str = "",
        batch_size: int = MAX_BATCH_EVENTS,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_consecutive_failures: int | None = DEFAULT_MAX_CONSECUTIVE_FAILURES,
        on_failure: FailureCallback | None = None,
        failures_path: str | os.PathLike[str] | None = None,
        progress: ProgressCallback | None = None,
        on_batch: Callable[[int], Awaitable[None] | None] | None = None,
    ) -> SendReport:
        """Send events in batches, exactly once, and report what happened to each.

        Events are dicts in the ``POST /v4/events/batch`` item shape (``action``,
        ``label``, ``client``, optional ``params``, ``time``, ``eventSalt``; ``type``
        defaults to ``custom``). Input is read lazily: at most ``concurrency`` batches
        wait while ``concurrency`` are in flight.

        - ``default_time``: the ``time`` of events that have none (an aware datetime or
          an ISO 8601 string with a zone), e.g. the job's scheduled time. Give it, or
          times in the events, for re-runs to be safe: without either, such events get
          the send's start time, a :class:`ReplayUnsafeWarning` is issued, and a re-run
          stores them again.
        - ``salt_namespace``: mixed into generated salts; use one per distinct input.
        - ``max_consecutive_failures``: abort after this many batches in a row failed
          (after their retries); ``None`` never aborts for that reason.
        - ``on_failure``: called (sync or async) with each :class:`FailedEvent`;
          ``failures_path``: a new JSONL file receiving each failure
          (:func:`replay_events` reads it back). With neither, failures are kept in
          ``report.failed`` (bounded; beyond it the send aborts).
        - ``progress``: called with a :class:`SendProgress` after every batch;
          ``on_batch``: called with the number of events of each accepted batch.

        Invalid events (and values JSON cannot carry faithfully: NaN, infinities,
        non-string keys) fail locally; a batch rejected with 400 is split to isolate the
        offending events. Raises :class:`SendAborted` (with ``.report``) for errors that
        would hit every batch; an exception from ``events`` or a callback propagates as
        itself (``exc.report`` holds the partial report when it can be attached).
        """
        if not 1 <= batch_size <= MAX_BATCH_EVENTS:
            raise ConfigurationError(f"batch_size must be between 1 and {MAX_BATCH_EVENTS}")
        if not 2 <= max_batch_bytes <= MAX_BATCH_BYTES:
            raise ConfigurationError(f"max_batch_bytes must be at most {MAX_BATCH_BYTES}")
        if concurrency < 1:
            raise ConfigurationError("concurrency must be >= 1")
        if max_consecutive_failures is not None and max_consecutive_failures < 1:
            raise ConfigurationError("max_consecutive_failures must be >= 1 or None")
        stamp = _time_stamp(default_time)
        import anyio  # deferred: only bulk sending needs it

        report = SendReport()
        sink = FailureSink(
            report,
            on_failure=on_failure,
            path=failures_path,
            in_flight=(2 * concurrency + 1) * batch_size,
        )
        sink.open()
        run = _Run(
            self._transport,
            report,
            sink,
            max_consecutive_failures=max_consecutive_failures,
            progress=progress,
            on_batch=on_batch,
        )
        batcher = Batcher(
            batch_size=batch_size,
            max_bytes=max_batch_bytes,
            namespace=salt_namespace,
            time=stamp if stamp is not None else now_iso(),
        )
        send, receive = anyio.create_memory_object_stream[Batch](max_buffer_size=concurrency)
        # Closed here too: a worker cancelled before it started never closes its own.
        receivers = [receive.clone() for _ in range(concurrency)]
        receive.close()
        try:
            async with anyio.create_task_group() as group:
                run.group = group
                for receiver in receivers:
                    group.start_soon(self._worker, receiver, run)
                async with send:
                    with anyio.CancelScope() as reading:
                        run.reading = reading
                        await self._read(events, batcher, send, run, warned=stamp is not None)
                    await self._report_unsent(run, batcher)
        except BaseExceptionGroup as group_error:
            lone = _lone(group_error)
            if lone is None:
                raise
            run.crash(lone)
        finally:
            for receiver in receivers:
                receiver.close()
            send.close()
            sink.close()
        if stamp is None:
            report.clock_stamped = batcher.timeless
        report.retries = run.retries_so_far() - run.retries_at_start
        own = run.caller_error if run.caller_error is not None else run.input_error
        if own is not None:
            if run.abort_error is not None:
                own.add_note(f"send_many had also aborted: {run.abort_message}")
            raise _with_report(own, report)
        if run.abort_error is not None:
            raise SendAborted(
                f"send_many aborted: {run.abort_message} ({report.received} events read, "
                f"{report.confirmed} confirmed, {report.failed_count} failed)",
                report=report,
                error=run.abort_error,
            ) from run.abort_error
        return report

    async def _read(
        self,
        events: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        batcher: Batcher,
        send: MemoryObjectSendStream[Batch],
        run: _Run,
        *,
        warned: bool,
    ) -> None:
        """Feed batches to the workers until the input ends, raises, or the send aborts."""
        report = run.report
        try:
            if isinstance(events, AsyncIterable):
                async for event in events:
                    report.received += 1
                    outcome = batcher.add(event)
                    if outcome is not None:
                        await self._hand_over(outcome, event, batcher, send, run)
                        if run.stopping:
                            return
                    if not warned and batcher.timeless:
                        warned = _warn_replay_unsafe(batcher.time)
            else:
                # The batcher reads a plain iterable itself, in one loop until a batch
                # closes or an event is refused. Nothing else runs until a hand-over
                # awaits, so ``received`` and the replay warning are updated only here.
                pending = iter(events)
                while (taken := batcher.take(pending)) is not None:
                    report.received = batcher.position
                    if not warned and batcher.timeless:
                        warned = _warn_replay_unsafe(batcher.time)
                    if isinstance(taken, tuple):
                        await self._hand_over(taken[0], taken[1], batcher, send, run)
                    else:
                        await self._hand_over(taken, None, batcher, send, run)
                    if run.stopping:
                        return
                report.received = batcher.position
        except Exception as exc:  # the caller's iterator: deliver what was read, then re-raise
            report.received = batcher.position
            run.input_error = exc
        if not warned and batcher.timeless:
            _warn_replay_unsafe(batcher.time)
        rest = batcher.rest()
        if rest is not None:
            await self._hand_over(rest, None, batcher, send, run)

    async def _hand_over(
        self,
        outcome: Batch | str,
        event: Any,
        batcher: Batcher,
        send: MemoryObjectSendStream[Batch],
        run: _Run,
    ) -> None:
        if isinstance(outcome, str):
            failure = FailedEvent(
                index=batcher.position - 1,
                stage="local",
                event=event,
                error=ConfigurationError(outcome),
            )
            await run.record([failure])
            return
        import anyio  # loaded by send_many already

        run.pending = outcome
        try:
            # Room in the buffer: hand over without the event-loop turn send() takes.
            send.send_nowait(outcome)
        except anyio.WouldBlock:
            await send.send(outcome)
        run.pending = None

    async def _report_unsent(self, run: _Run, batcher: Batcher) -> None:
        """After an abort: the batch whose hand-over was interrupted and the partial one."""
        if run.abort_error is None:
            return
        for batch in (run.pending, batcher.rest()):
            if batch is not None and not batch.taken:
                batch.taken = True
                await run.fail(batch, "unsent", run.abort_error)

    async def _worker(self, batches: MemoryObjectReceiveStream[Batch], run: _Run) -> None:
        import anyio  # loaded by send_many already

        with batches:
            while True:
                # A batch already waiting is taken without the event-loop turn receive()
                # takes (the worker has just yielded for its HTTP request anyway).
                try:
                    batch = batches.receive_nowait()
                except anyio.WouldBlock:
                    try:
                        batch = await batches.receive()
                    except anyio.EndOfStream:
                        return
                except anyio.EndOfStream:
                    return
                batch.taken = True
                try:
                    confirmed = await self._deliver(batch, run)
                    run.count_outcome(confirmed)
                    await run.notify(confirmed)
                except Exception as exc:  # a caller callback raised (or a bug): stop all
                    run.crash(exc)
                    return

    async def _deliver(self, batch: Batch, run: _Run) -> int:
        """Send one batch (splitting it on 400); return how many of its events were confirmed."""
        if run.abort_error is not None:
            await run.fail(batch, "unsent", run.abort_error)
            return 0
        report = run.report
        count = len(batch)
        report.sent += count
        try:
            await self._send_batch(batch)
        except BadRequestError as exc:
            if count == 1:
                await run.fail(batch, "api", scrub_error(exc))
                return 0
            # One bad event must not sink its neighbours: split and resend (salts make it safe).
            report.sent -= count
            return sum([await self._deliver(half, run) for half in batch.halves()])
        except (APIError, ConfigurationError) as exc:
            error = scrub_error(exc)
            await run.fail(batch, "api", error)
            if _is_fatal(error):
                run.abort(f"{type(error).__name__}: {error}", error)
            else:
                logger.warning("batch of %d events failed: %s", count, type(error).__name__)
            return 0
        report.confirmed += count
        report.batches += 1
        return count

    async def _send_batch(self, batch: Batch) -> None:
        """One batch request, resent after a 401 from the batch endpoint itself.

        The client has then already logged in again and replayed once; a second 401
        means the new token expired while the request waited (short-lived tokens and a
        busy server), so the batch goes again with whatever token is current. It is
        salted, so resending is harmless.
        """
        body = batch.body()
        for resend in range(AUTH_RESENDS + 1):
            try:
                await self._transport.call(
                    BATCH_OPERATION,
                    # Every event of a batch is stamped with an eventSalt before encoding,
                    # so the pre-encoded body is safe to repeat (the core cannot see inside).
                    RequestParts(
                        method=BATCH_OPERATION.method,
                        url=BATCH_OPERATION.path,
                        content=body,
                        headers={"Content-Type": "application/json"},
                        all_salted=True,
                    ),
                    batch_send_events._parse_response,
                )
                return
            except AuthenticationError as exc:
                if resend == AUTH_RESENDS or _is_fatal(exc):
                    raise
                logger.debug("batch answered 401 (token expired in flight?); resending")


def _warn_replay_unsafe(stamp: str) -> bool:
    warnings.warn(
        f"events without 'time' are stamped with this send's start time ({stamp}); "
        "running the same input again would store them twice. Pass default_time= (e.g. "
        "the job's scheduled time) or give every event a time.",
        ReplayUnsafeWarning,
        stacklevel=4,
    )
    return True


def _lone(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The single non-group exception inside (nested) groups, if there is exactly one."""
    leaves: list[BaseException] = []
    stack: list[BaseException] = [group]
    while stack:
        exc = stack.pop()
        if isinstance(exc, BaseExceptionGroup):
            stack.extend(exc.exceptions)
        else:
            leaves.append(exc)
    return leaves[0] if len(leaves) == 1 else None


def _with_report(exc: BaseException, report: SendReport) -> BaseException:
    """Attach the partial report to a caller's exception where Python allows it."""
    try:
        exc.report = report  # type: ignore[attr-defined]
    except AttributeError:
        pass
    exc.add_note(
        f"send_many stopped: {report.received} events read, {report.confirmed} confirmed, "
        f"{report.failed_count} failed"
    )
    return exc
