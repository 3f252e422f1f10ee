"""A fake Synerise API for testing code that uses synerise-async.

``FakeSynerise`` serves the operations of the spec the SDK is generated from on
``127.0.0.1``: logins issue real RS512 JWTs, requests are checked against the spec (and
rejected with Synerise's error body when the spec does not allow them), workflows,
events, profiles, catalogs and the other stores keep state, and faults — 429s, 503s,
latency, dropped connections, short-lived tokens, a per-key rate limit — can be switched
on to see how your code copes::

    from synerise_async import SyneriseClient, WorkspaceAuth
    from synerise_async.testing import FakeSynerise

    async with FakeSynerise(rate_429=0.1, seed=7) as fake:
        async with SyneriseClient(WorkspaceAuth(api_key=fake.api_key), base_url=fake.url) as client:
            ...
        assert fake.stats.logins == 1

Run it as a server with ``python -m synerise_async.testing --port 8080``.
"""

from ._faults import FAULT_KINDS, Faults
from ._server import FakeSynerise
from ._spec import SpecNotFoundError
from ._state import EventStore, FakeStats, StoredEvent
from ._tokens import Principal

__all__ = [
    "FAULT_KINDS",
    "EventStore",
    "FakeStats",
    "FakeSynerise",
    "Faults",
    "Principal",
    "SpecNotFoundError",
    "StoredEvent",
]
