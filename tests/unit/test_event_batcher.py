"""The batcher's inline stamping: the same bytes, salts, limits and refusals as stamp_encode."""

from __future__ import annotations

import math
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

import orjson
import pytest

from synerise_async._event_batch import Batch, Batcher, problem_with, stamp_encode

RUN_TIME = "2026-11-30T06:00:00.000Z"

# (event, 1-based position, namespace, stamp_encode's bytes) computed with the code as it
# was before the batcher stamped inline (commit e8fe9d0): a change here breaks replay
# safety for every job that re-runs an input sent with an earlier release.
VECTORS: list[tuple[dict[str, Any], int, bytes, bytes]] = [
    (
        {"action": "a", "label": "l", "client": {"uuid": "u"}},
        1,
        b"",
        b'{"action":"a","client":{"uuid":"u"},"label":"l","type":"custom",'
        b'"eventSalt":"58616ea70dceb8097799213d3881f9db","time":"2026-11-30T06:00:00.000Z"}',
    ),
    (
        {
            "type": "custom",
            "action": "product.buy",
            "label": "Bought",
            "client": {"customId": "c-1"},
            "params": {"sku": "S", "price": 20.99, "quantity": 1},
        },
        7,
        b"",
        b'{"action":"product.buy","client":{"customId":"c-1"},"label":"Bought",'
        b'"params":{"price":20.99,"quantity":1,"sku":"S"},"type":"custom",'
        b'"eventSalt":"ce9e01d6da3515876e56add2c04aa786","time":"2026-11-30T06:00:00.000Z"}',
    ),
    (
        {"action": "a", "label": "l", "client": {"id": 5}, "time": None, "eventSalt": ""},
        3,
        b"ns",
        b'{"action":"a","client":{"id":5},"label":"l","type":"custom",'
        b'"eventSalt":"4f9af4056a382761b635468c76522c29","time":"2026-11-30T06:00:00.000Z"}',
    ),
    (
        {"action": "a", "label": "l", "client": {"email": "e@x"}, "time": "2025-01-01T00:00:00Z"},
        1000001,
        b"job-42",
        b'{"action":"a","client":{"email":"e@x"},"label":"l","time":"2025-01-01T00:00:00Z",'
        b'"type":"custom","eventSalt":"7e4f71748b37e4f17acde97a02d612a6"}',
    ),
    (
        {"action": "a", "label": "l", "client": {"uuid": "u"}, "eventSalt": "mine"},
        2,
        b"",
        b'{"action":"a","client":{"uuid":"u"},"eventSalt":"mine","label":"l","type":"custom",'
        b'"time":"2026-11-30T06:00:00.000Z"}',
    ),
    (
        {
            "action": "a",
            "label": "l",
            "client": {"uuid": "u"},
            "eventSalt": "mine",
            "time": "2025-01-01T00:00:00Z",
        },
        2,
        b"",
        b'{"action":"a","client":{"uuid":"u"},"eventSalt":"mine","label":"l",'
        b'"time":"2025-01-01T00:00:00Z","type":"custom"}',
    ),
    (
        {
            "action": "a",
            "label": "l",
            "client": {"uuid": "u"},
            "type": "",
            "params": {"z": [1, 2, {"y": "é"}]},
        },
        9,
        b"ns",
        b'{"action":"a","client":{"uuid":"u"},"label":"l","params":{"z":[1,2,{"y":"\xc3\xa9"}]},'
        b'"type":"","eventSalt":"86ced6f0d2c7d69a993ecf94ec014895","time":"2026-11-30T06:00:00.000Z"}',
    ),
]


def batched(events: list[Any], *, namespace: str = "", **limits: int) -> Iterator[Batch | str]:
    """Feed ``events`` to a Batcher; yield its closed batches, refusals and the rest."""
    batcher = Batcher(
        batch_size=limits.get("batch_size", 1000),
        max_bytes=limits.get("max_bytes", 1024 * 1024),
        namespace=namespace,
        time=RUN_TIME,
    )
    for event in events:
        outcome = batcher.add(event)
        if outcome is not None:
            yield outcome
    rest = batcher.rest()
    if rest is not None:
        yield rest


def encoded_at(event: Any, position: int, namespace: bytes) -> bytes:
    """The bytes the Batcher gives ``event`` when it is read at 1-based ``position``."""
    filler = {"action": "f", "label": "f", "client": {"id": 1}, "time": RUN_TIME}
    outcomes = list(batched([filler] * (position - 1) + [event], namespace=namespace.decode()))
    assert len(outcomes) == 1 and isinstance(outcomes[0], Batch)
    return outcomes[0].encoded[-1]


@pytest.mark.parametrize(("event", "position", "namespace", "expected"), VECTORS)
def test_stamp_encode_gives_the_pinned_bytes(
    event: dict[str, Any], position: int, namespace: bytes, expected: bytes
) -> None:
    """stamp_encode still produces byte for byte what earlier releases produced."""
    assert stamp_encode(event, position, namespace, RUN_TIME) == expected


@pytest.mark.parametrize(
    ("event", "position", "namespace", "expected"),
    [v for v in VECTORS if v[1] < 100],
)
def test_the_batcher_gives_the_pinned_bytes(
    event: dict[str, Any], position: int, namespace: bytes, expected: bytes
) -> None:
    """The batcher's inline stamping matches the pinned bytes for every event shape."""
    assert encoded_at(event, position, namespace) == expected


def test_a_mixed_stream_gets_exactly_stamp_encodes_bytes() -> None:
    """Events of every shape, valid or not, get stamp_encode's bytes at their own positions."""
    shapes: list[Any] = [
        {"action": "a", "label": "l", "client": {"uuid": "u"}},
        {"action": "a", "label": "l", "client": {"uuid": "u"}, "type": "custom"},
        {"action": "a", "label": "l", "client": {"uuid": "u"}, "time": ""},
        {"action": "a", "label": "l", "client": {"uuid": "u"}, "time": "2025-02-02T00:00:00Z"},
        {"action": "a", "label": "l", "client": {"customId": "c"}, "eventSalt": None},
        {"action": "a", "client": {"uuid": "u"}},
        MappingProxyType({"action": "a", "label": "l", "client": {"uuid": "u"}}),
        {"action": "a", "label": "l", "client": MappingProxyType({"uuid": "u"})},
        {"action": "a", "label": "l", "client": {"uuid": "u"}, "params": {"x": math.nan}},
        {"action": "a", "label": "l", "client": {"id": 0, "name": "n", "email": "e@x"}},
        {"action": "a", "label": "l", "client": {"name": "n", "uuid": "", 7: "x"}},
        {"action": "", "label": "l", "client": {"uuid": "u"}},
    ]
    events = shapes * 3
    outcomes = list(batched(events, namespace="run-7"))
    refusals = [o for o in outcomes if isinstance(o, str)]
    [batch] = [o for o in outcomes if isinstance(o, Batch)]
    expected = {
        i: stamp_encode(event, i + 1, b"run-7", RUN_TIME)
        for i, event in enumerate(events)
        if problem_with(event) is None and i % len(shapes) not in (7, 8)
    }
    assert dict(zip(batch.indices, batch.encoded, strict=True)) == expected
    assert [reason.split(":")[0] for reason in refusals] == [
        "event is missing required field(s)",
        "event cannot be encoded as JSON faithfully",
        "event contains NaN or infinity, which JSON cannot carry",
        "event 'client' needs one of id, uuid, email or customId",
        "event is missing required field(s)",
    ] * 3


def test_a_batch_body_is_the_json_of_its_stamped_events() -> None:
    """A batch's body parses to the list of its events with type, time and salt added."""
    events = [
        {"action": "a", "label": "l", "client": {"uuid": f"u-{n}"}, "params": {"n": n}}
        for n in range(250)
    ]
    [first, second, third] = [b for b in batched(events, batch_size=100) if isinstance(b, Batch)]
    decoded = orjson.loads(first.body()) + orjson.loads(second.body()) + orjson.loads(third.body())
    assert [len(first), len(second), len(third)] == [100, 100, 50]
    assert [{k: e[k] for k in ("action", "label", "client", "params")} for e in decoded] == events
    assert {(e["type"], e["time"]) for e in decoded} == {("custom", RUN_TIME)}
    assert len({e["eventSalt"] for e in decoded}) == 250


@pytest.mark.parametrize("slack", [0, -1])
def test_the_byte_limit_is_exact(slack: int) -> None:
    """A batch may fill max_bytes to the byte; one byte less closes it an event earlier."""
    events = [{"action": "a", "label": "l", "client": {"id": n}} for n in range(10, 19)]
    size = len(stamp_encode(events[0], 1, b"", RUN_TIME))
    limit = 2 + 3 * size + 2 + slack  # brackets, three events, two commas
    batches = [b for b in batched(events, max_bytes=limit) if isinstance(b, Batch)]
    per_batch = 3 if slack == 0 else 2
    assert [len(b) for b in batches] == [per_batch] * (len(events) // per_batch) + (
        [len(events) % per_batch] if len(events) % per_batch else []
    )
    assert max(len(b.body()) for b in batches) == (limit if slack == 0 else 2 + 2 * size + 1)
    assert all(len(b.body()) <= limit for b in batches)


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ("not an event", "an event must be a mapping, not str"),
        ({"label": "l", "client": {"id": 1}}, "event is missing required field(s): action"),
        ({"action": "a", "label": "l", "client": {}}, "event is missing required field(s): client"),
        ({"action": "a", "label": "l", "client": "u"}, "event 'client' needs one of id, uuid"),
        (
            {"action": "a", "label": "l", "client": {"id": 1}, "params": {1: "x"}},
            "event cannot be encoded as JSON faithfully",
        ),
        (
            {"action": "a", "label": "l", "client": {"id": 1}, "params": {"x": {1, 2}}},
            "event cannot be encoded as JSON faithfully",
        ),
        (
            {"action": "a", "label": "l", "client": {"id": 1}, "params": [math.inf]},
            "event contains NaN or infinity",
        ),
        (
            {"action": "a", "label": "l", "client": {"id": 1}, "params": {"blob": "x" * 300}},
            "bytes exceeds the 200-byte batch limit",
        ),
    ],
)
def test_invalid_events_are_refused_with_their_reason(event: Any, reason: str) -> None:
    """An event the API or JSON cannot take is refused with a reason naming the problem."""
    outcomes = list(batched([event], max_bytes=200))
    assert len(outcomes) == 1 and isinstance(outcomes[0], str)
    assert reason in outcomes[0]


def test_only_events_stamped_with_the_run_time_count_as_timeless() -> None:
    """Events given a time of their own are not counted as stamped with the send's time."""
    batcher = Batcher(batch_size=10, max_bytes=10_000, namespace="", time=RUN_TIME)
    with_time = {"action": "a", "label": "l", "client": {"id": 1}, "time": "2025-01-01T00:00:00Z"}
    for event in (
        with_time,
        {"action": "a", "label": "l", "client": {"id": 2}},
        {"action": "a", "label": "l", "client": {"id": 3}, "time": None},
        {**with_time, "eventSalt": "given"},
    ):
        assert batcher.add(event) is None
    assert batcher.timeless == 2


def test_take_keeps_every_event_read_before_the_input_raises() -> None:
    """An iterator failing mid-batch leaves the events read so far in the batcher, in order."""

    def broken() -> Iterator[dict[str, Any]]:
        for n in range(150):
            yield {"action": "a", "label": "l", "client": {"id": n + 1}}
        raise RuntimeError("input went away")

    batcher = Batcher(batch_size=100, max_bytes=1024 * 1024, namespace="", time=RUN_TIME)
    events = broken()
    first = batcher.take(events)
    with pytest.raises(RuntimeError, match="went away"):
        batcher.take(events)
    rest = batcher.rest()
    assert isinstance(first, Batch) and first.indices == list(range(100))
    assert rest is not None and rest.indices == list(range(100, 150))
    assert batcher.position == 150 and batcher.timeless == 150
    assert [orjson.loads(raw)["client"]["id"] for raw in rest.encoded] == list(range(101, 151))


def test_take_returns_a_refused_event_with_its_reason_and_goes_on() -> None:
    """A refusal hands back the event itself; the next take continues after it."""
    bad = {"action": "a", "client": {"id": 1}}
    events = iter(
        [{"action": "a", "label": "l", "client": {"id": 7}}, bad, *[dict(bad, label="l")]]
    )
    batcher = Batcher(batch_size=10, max_bytes=10_000, namespace="", time=RUN_TIME)
    assert batcher.take(events) == ("event is missing required field(s): label", bad)
    assert batcher.position == 2
    assert batcher.take(events) is None
    rest = batcher.rest()
    assert rest is not None and rest.indices == [0, 2]


def test_a_batch_size_below_one_is_refused() -> None:
    """A batcher that could never fill a batch is refused when it is made."""
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        Batcher(batch_size=0, max_bytes=1024, namespace="", time=RUN_TIME)
