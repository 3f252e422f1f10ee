"""Operation handlers of the fake, registered by ``operationId``.

Operations without a handler answer with their documented example (after the request
has been checked against the spec), so every operation in the spec is served.
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
