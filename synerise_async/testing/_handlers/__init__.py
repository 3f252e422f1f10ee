"""Operation handlers of the fake, registered by ``operationId``.

A handler is a function of one :class:`Ctx`, registered with ``@handles("operationId")``
(in ``HANDLERS``), that returns a JSON-ready body or a :class:`Reply`, or raises
:class:`ApiError`. By the time it runs, the server has routed the request, applied
faults, authenticated it and checked parameters and body against the spec: ``ctx.query``,
``ctx.path`` and ``ctx.body`` are decoded and valid, ``ctx.principal`` says who called.

Handlers work on ``ctx.state`` (a :class:`~synerise_async.testing._fake_state.FakeState`:
the stores, credentials, token issuer, clock and base URL) and never see the server.
A handler written against the earlier ``ctx.fake`` (the whole server) is adapted by
replacing ``ctx.fake.`` with ``ctx.state.``: every attribute handlers used on the server
(``events``, ``profiles``, ``tokens``, ``stats``, ``url``, ``workspace_guid``,
``add_profile_account`` ...) exists on the state under the same name.

A handler must answer only what the spec allows: a success body that validates against
the documented schema, or an :class:`ApiError` with a documented status (a 404 where the
operation documents none becomes 400). Operations without a handler answer with their
documented example, so every operation in the spec is served.
"""

from __future__ import annotations

from . import (  # noqa: F401  (imported for their registrations)
    assets,
    auth,
    automation,
    brickworks,
    catalogs,
    events,
    loyalty,
    organizations,
    profiles,
    search,
)
from ._base import HANDLERS, NO_BODY, ApiError, Ctx, Reply, bad_request, handles, not_found

__all__ = ["HANDLERS", "NO_BODY", "ApiError", "Ctx", "Reply", "bad_request", "handles", "not_found"]
