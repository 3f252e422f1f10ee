"""The salted sender by hand (W3's fair baseline) does the exactly-once work it claims to."""

from __future__ import annotations

import orjson

from bench import payloads
from bench.clients import JOB_TIME, salted_batches


def test_salted_batches_stamp_every_event_and_keep_the_batch_size() -> None:
    """Each batch holds at most batch_size events, all stamped, in input order, none lost."""
    events = payloads.events(250)
    batches = list(salted_batches(events, 100))
    assert [count for count, _ in batches] == [100, 100, 50]
    sent = [item for _, body in batches for item in orjson.loads(body)]
    assert [{k: v for k, v in e.items() if k not in ("eventSalt", "time")} for e in sent] == events
    assert all(e["time"] == JOB_TIME and len(e["eventSalt"]) == 32 for e in sent)
    assert len({e["eventSalt"] for e in sent}) == len(sent)
