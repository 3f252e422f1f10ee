"""What a bulk send reports: failures, progress, the final report and the abort error.

Kept apart from the sender so the records a caller handles (and persists) read in one
place. Errors stored here are scrubbed first (:func:`scrub_error`): an aiohttp exception
in the chain carries the request's headers, ``Authorization`` included, so it is
replaced by a summary, and tracebacks (whose frames hold those headers and the batch
body) are dropped.
"""

from __future__ import annotations

import inspect
import os
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, Any, Final, Literal

import attrs
import orjson

from ._errors import ConfigurationError, SyneriseError

__all__ = [
    "FailedEvent",
    "SendAborted",
    "SendProgress",
    "SendReport",
    "replay_events",
    "scrub_error",
]

Stage = Literal["local", "api", "unsent"]
"""Where an event failed: ``local`` (refused before sending: as given, not stamped),
``api`` (sent; the API or the network failed it after retries), ``unsent`` (stamped, but
not sent because the send was aborted)."""

FAILURES_KEPT_WITHOUT_SINK: Final = 10_000
"""Failures :class:`SendReport` keeps in memory when no ``on_failure`` / ``failures_path``
is given; one more aborts the send rather than let memory grow without bound. (Room for
the batches still queued at that moment is added, so their records are kept too.)"""

RATE_WINDOW: Final = 5.0
"""Seconds over which :attr:`SendProgress.rate` is measured."""


@attrs.frozen(slots=True)
class FailedEvent:
    """One event that was not confirmed, where it came from and why.

    ``event`` is the stamped event (with ``time`` and ``eventSalt``) for the ``api`` and
    ``unsent`` stages, so sending it again later overwrites rather than duplicates; for
    the ``local`` stage it is the input exactly as given, which may lack those fields or
    not be a mapping at all.
    """

    index: int
    """0-based position of the event in the input of ``send_many``."""
    stage: Stage
    event: Any
    error: SyneriseError

    @property
    def reason(self) -> str:
        """A one-line explanation (never contains credentials)."""
        return str(self.error)

    @property
    def replayable(self) -> bool:
        """True when ``event`` is stamped and can be resent without duplicating."""
        return self.stage != "local"

    @property
    def event_salt(self) -> str | None:
        """The event's ``eventSalt``; ``None`` for events refused before stamping."""
        if isinstance(self.event, dict):
            salt = self.event.get("eventSalt")
            return salt if isinstance(salt, str) else None
        return None

    def record(self) -> FailureRecord:
        """This failure as one line of a ``failures_path`` file."""
        status = getattr(self.error, "status_code", None)
        return FailureRecord(
            index=self.index,
            stage=self.stage,
            replayable=self.replayable,
            error=type(self.error).__name__,
            status=status if isinstance(status, int) else None,
            reason=self.reason,
            event=self.event if self.stage != "local" else _jsonable(self.event),
        )


@attrs.frozen(slots=True)
class FailureRecord:
    """One line of a ``failures_path`` file: a failure, JSON-ready, read back by
    :func:`replay_events`. (Un)structured by the package's cattrs converter (``_serde``)."""

    index: int
    stage: str
    replayable: bool
    error: str
    """Class name of the error."""
    status: int | None
    """HTTP status, when the API answered."""
    reason: str
    event: Any
    """The stamped event (``api`` / ``unsent``), or the input as far as JSON carries it."""


@attrs.frozen(slots=True)
class SendProgress:
    """A snapshot passed to the ``progress`` callback of ``send_many`` after each batch."""

    received: int
    """Events read from the input so far."""
    confirmed: int
    failed: int
    retries: int
    """Retries the client made since the send started (all causes)."""
    elapsed: float
    """Seconds since the send started."""
    rate: float
    """Confirmed events per second over the last few seconds."""


@attrs.define
class SendReport:
    """What happened to every event handed to ``send_many``.

    Once a send has finished or been aborted, ``received == confirmed + failed_count``:
    every event read from the input was either confirmed or reported as failed.
    """

    received: int = 0
    """Events read from the input."""
    sent: int = 0
    """Events included in at least one HTTP request."""
    confirmed: int = 0
    """Events in batches the API accepted (202)."""
    batches: int = 0
    """Batch requests that were accepted."""
    failed_count: int = 0
    """Events that were not confirmed, wherever their records went."""
    failed: list[FailedEvent] = attrs.field(factory=list, repr=False)
    """The failures themselves, kept only when neither ``on_failure`` nor
    ``failures_path`` was given (at most :data:`FAILURES_KEPT_WITHOUT_SINK`)."""
    retries: int = 0
    """Retries the client made during the send."""
    clock_stamped: int = 0
    """Events without ``time`` that got the send's start time because no
    ``default_time`` was given: a re-run of the same input stores these again."""
    first_error: SyneriseError | None = None
    """The error of the first failure, whichever sink it went to."""

    @property
    def ok(self) -> bool:
        """True when every event was confirmed."""
        return self.failed_count == 0 and self.confirmed == self.received

    def raise_for_failures(self) -> None:
        """Raise :class:`SyneriseError` if any event failed (the report stays available)."""
        if self.failed_count:
            first = self.first_error
            raise SyneriseError(
                f"{self.failed_count} of {self.received} events failed; first: {first}"
            ) from first


class SendAborted(SyneriseError):
    """``send_many`` stopped early because sending on could not succeed.

    Raised for errors that would hit every batch (a rejected login, 403 on the batch
    endpoint, a configuration error) and when ``max_consecutive_failures`` batches in a
    row failed. ``report`` accounts for every event read so far (events still queued
    are reported with stage ``unsent``); ``error`` is the error that stopped the send
    (also ``__cause__``). Re-running the same input is safe when events carry
    deterministic times (see ``send_many``'s ``default_time``).
    """

    def __init__(self, message: str, *, report: SendReport, error: SyneriseError) -> None:
        super().__init__(message)
        self.report = report
        self.error = error


class ScrubbedCause(Exception):
    """Stands in for a third-party exception removed from an error's chain (its type and a
    secret-free summary are kept; its request headers and traceback are not)."""


def _summary(exc: BaseException) -> str:
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    # aiohttp's ClientResponseError keeps the parser's message apart from the URL (which
    # may carry a ?token=) and the request headers; OS and timeout errors name no request.
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return f"{name}: {message[:300]}"
    if isinstance(exc, OSError | TimeoutError) and str(exc):
        return f"{name}: {str(exc)[:300]}"
    return name


def scrub_error(error: SyneriseError) -> SyneriseError:
    """Make ``error`` safe to keep and hand out: returns it, modified in place.

    Every link of its ``__cause__`` / ``__context__`` chain that is not a
    :class:`SyneriseError` becomes a :class:`ScrubbedCause`; tracebacks are dropped.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.__traceback__ = None
        link = current.__cause__ if current.__cause__ is not None else current.__context__
        if link is None:
            break
        if not isinstance(link, SyneriseError | ScrubbedCause):
            link = ScrubbedCause(_summary(link))
        current.__cause__ = link
        current.__context__ = link
        current.__suppress_context__ = True
        current = link
    return error


FailureCallback = Callable[[FailedEvent], Awaitable[None] | None]
ProgressCallback = Callable[[SendProgress], Awaitable[None] | None]


async def call_back(callback: Callable[[Any], Awaitable[None] | None], value: Any) -> None:
    """Call a caller's sync or async callback."""
    result = callback(value)
    if inspect.isawaitable(result):
        await result


def _jsonable(event: Any) -> Any:
    """Best effort for events refused locally (often for not being JSON in the first place)."""
    try:
        return orjson.loads(
            orjson.dumps(event, default=repr, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_NAIVE_UTC)
        )
    except (TypeError, orjson.JSONDecodeError):
        return {"repr": repr(event)[:2000]}


class FailureSink:
    """Where failures go: the caller's callback, a JSONL file, or (neither) the report."""

    def __init__(
        self,
        report: SendReport,
        *,
        on_failure: FailureCallback | None,
        path: str | os.PathLike[str] | None,
        in_flight: int = 0,
    ) -> None:
        self.report = report
        self.on_failure = on_failure
        self.keep = on_failure is None and path is None
        self.limit = FAILURES_KEPT_WITHOUT_SINK
        self.room = FAILURES_KEPT_WITHOUT_SINK + in_flight
        """What the report may hold: the limit plus the events queued or in flight."""
        self.path = None if path is None else Path(path)
        self._file: IO[bytes] | None = None

    def open(self) -> None:
        """Create the failures file; an existing one is never overwritten or appended to."""
        if self.path is None:
            return
        try:
            self._file = self.path.open("xb")
        except FileExistsError:
            raise ConfigurationError(
                f"failures_path {str(self.path)!r} already exists; choose a new file "
                "(replay the old one with replay_events first, then delete it)"
            ) from None
        except OSError as exc:
            raise ConfigurationError(
                f"failures_path {str(self.path)!r} cannot be created: {exc.strerror}"
            ) from None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    async def add(self, failures: list[FailedEvent]) -> bool:
        """Record failures; False when they exceed what the report may keep in memory."""
        report = self.report
        if not failures:
            return True
        if report.first_error is None:
            report.first_error = failures[0].error
        report.failed_count += len(failures)
        if self._file is not None:
            from ._serde import converter

            lines = [converter.dumps(failure.record()) + b"\n" for failure in failures]
            self._file.write(b"".join(lines))
            self._file.flush()
        if self.on_failure is not None:
            for failure in failures:
                await call_back(self.on_failure, failure)
        if self.keep:
            report.failed.extend(failures[: self.room - len(report.failed)])
            return len(report.failed) <= self.limit
        return True


class RateMeter:
    """Confirmed events per second over the last :data:`RATE_WINDOW` seconds."""

    def __init__(self, now: float) -> None:
        self._samples: deque[tuple[float, int]] = deque([(now, 0)])

    def rate(self, now: float, confirmed: int) -> float:
        samples = self._samples
        samples.append((now, confirmed))
        while len(samples) > 2 and now - samples[1][0] >= RATE_WINDOW:
            samples.popleft()
        then, before = samples[0]
        return (confirmed - before) / (now - then) if now > then else 0.0


def replay_events(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The replayable events of a ``failures_path`` file, ready for ``send_many``.

    They are stamped (``time`` and ``eventSalt``), so sending them again overwrites any
    copy the API already stored. Events refused locally (stage ``local``) are skipped:
    they need fixing first (the file keeps them, with their reason). Failures of the
    replay send are indexed by position in the replay; each line's ``index`` keeps the
    position in the original input.
    """
    from ._serde import converter

    with Path(path).open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = converter.loads(line, FailureRecord)
            except orjson.JSONDecodeError:
                raise ConfigurationError(f"{path}: line {number} is not JSON") from None
            except Exception:  # cattrs: a missing or mistyped field
                raise ConfigurationError(f"{path}: line {number} is not a failure record") from None
            if record.replayable:
                yield record.event
