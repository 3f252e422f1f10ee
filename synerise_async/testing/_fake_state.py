"""What operation handlers work on: the fake's data, credentials, token issuer and clock.

The server (:class:`~synerise_async.testing.FakeSynerise`) owns HTTP, routing, faults
and authentication; handlers get a :class:`FakeState` through ``ctx.state`` and never
see the server. Everything here is seeded from one ``random.Random``, so a seeded fake
starts with the same data every time.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from ._handlers.automation import WorkflowStore
from ._handlers.brickworks import BrickworksStore
from ._handlers.catalogs import CatalogStore
from ._handlers.profiles import ProfileStore
from ._handlers.search import SearchStore
from ._state import EventStore, FakeStats
from ._tokens import TokenIssuer

__all__ = ["FakeState"]


class FakeState:
    """The stores, credentials, token issuer and clock of one fake.

    Built by :meth:`seeded`; ``tokens`` and ``url`` are filled in when the server starts.
    """

    def __init__(
        self,
        *,
        rng: random.Random,
        api_key: str | None,
        workspace_guid: str | None,
        workflows: int,
        profiles: int,
        catalogs: int,
        catalog_items: int,
        brickworks_records: int,
        search_indices: int,
        mfa: bool,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        def uid() -> str:
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))

        self.seed = seed
        """The fake's seed; stores created on first use draw from it."""
        self.clock = clock
        """Seconds since the epoch; handlers read the time of a request from ``ctx.now``."""
        self.api_key: str = api_key or uid().upper()
        self.workspace_api_keys: set[str] = {self.api_key}
        self.workspace_guid: str = (workspace_guid or uid()).lower()
        self.workspace_id: int = 1000 + rng.randrange(9000)
        self.workspace_name = "Fake Store"
        self.workspace_subdomain = "fake-store"
        self.organization_guid = uid()
        self.profile_api_key: str = uid().upper()
        self.tracker_key: str = f"{rng.getrandbits(128):032x}"
        self.user_email = "user@example.com"
        self.user_password = "correct horse battery staple"
        self.user_id = 12345
        self.user_authorities = ("API_CUSTOM_EVENTS_CREATE", "AUTOMATON_BRAIN_DIAGRAM_LIST_READ")
        self.mfa_methods: tuple[str, ...] = ("TOTP_AUTHENTICATOR",) if mfa else ()
        self.mfa_code = "123456"
        self.profile_email = "jane.doe@example.com"
        self.profile_password = "strongPassword1!"
        self.profile_accounts: dict[str, dict[str, Any]] = {}
        self.add_profile_account(
            email=self.profile_email, password=self.profile_password, uuid=uid()
        )

        self.started_at = clock()
        now_ms = int(self.started_at * 1000)
        self.stats = FakeStats()
        self.events = EventStore(self.stats)
        self.transactions = EventStore(self.stats, kind="transactions")
        self.workflows = WorkflowStore(
            workflows, rng, workspace_id=self.workspace_id, now=self.started_at
        )
        self.profiles = ProfileStore(profiles, rng)
        self.catalogs = CatalogStore(
            catalogs, catalog_items, rng, workspace_id=self.workspace_id, now_ms=now_ms
        )
        self.brickworks = BrickworksStore(brickworks_records, rng, now_ms=now_ms)
        self.search = SearchStore(search_indices, rng, now_ms=now_ms)
        self.ban_settings: dict[str, Any] = {}
        self.bytes_received = 0
        """Bytes of request bodies read (the server counts, ``countApiCalls`` reports)."""
        self._tokens: TokenIssuer | None = None
        self.url = ""
        """Base URL the fake is served at (empty until it starts); for links in bodies."""

    @property
    def tokens(self) -> TokenIssuer:
        """The JWT issuer (set when the server starts)."""
        if self._tokens is None:
            raise RuntimeError("the fake is not running")
        return self._tokens

    @tokens.setter
    def tokens(self, issuer: TokenIssuer) -> None:
        self._tokens = issuer

    @property
    def has_tokens(self) -> bool:
        return self._tokens is not None

    @property
    def started_iso(self) -> str:
        return dt.datetime.fromtimestamp(self.started_at, dt.UTC).isoformat().replace("+00:00", "Z")

    def add_profile_account(
        self,
        *,
        email: str | None,
        password: str | None,
        uuid: str | None = None,
        custom_id: str | None = None,
        external: str | None = None,
    ) -> dict[str, Any]:
        """Register a profile account that can log in (``authenticateUsingPOST_v3``)."""
        account_uuid = uuid or str(
            _uuid_from(email or custom_id or external or str(len(self.profile_accounts)))
        )
        account = {
            "email": email,
            "password": password,
            "uuid": account_uuid,
            "customId": custom_id,
        }
        self.profile_accounts[account_uuid] = account
        return account


def _uuid_from(text: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"synerise-fake:{text}")
