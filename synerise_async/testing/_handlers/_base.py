"""What an operation handler receives and returns, and the handler registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .._schema import Problem
from .._tokens import Principal

if TYPE_CHECKING:
    from aiohttp import web

    from .._fake_state import FakeState
    from .._spec import OperationSpec, Spec

__all__ = ["HANDLERS", "ApiError", "Ctx", "Reply", "handles", "not_found"]


class _NoBody:
    def __repr__(self) -> str:
        return "NO_BODY"


NO_BODY: Any = _NoBody()


class ApiError(Exception):
    """Raised by a handler to answer with a Synerise error body."""

    def __init__(
        self,
        status: int,
        message: str,
        problems: list[Problem] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []
        self.headers = dict(headers or {})


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


def bad_request(message: str, field: str | None = None, rejected: Any = None) -> ApiError:
    problems = [Problem(field, message, rejected)] if field else []
    return ApiError(400, message if not field else f"{field}: {message}", problems)


@attrs.define(slots=True)
class Reply:
    """A handler's answer; unset parts default to the spec's success status and media."""

    body: Any = NO_BODY
    status: int | None = None
    headers: dict[str, str] | None = None
    media: str | None = None


@attrs.define(slots=True, eq=False)
class Ctx:
    """One request, decoded and checked against the spec, and the state it may change."""

    state: FakeState
    op: OperationSpec
    request: web.Request
    query: dict[str, Any]
    path: dict[str, Any]
    body: Any
    principal: Principal | None
    now: float
    spec: Spec | None = None
    """The spec the fake runs on (its components, for handlers that check stored shapes)."""


Handler = Callable[[Ctx], Any]
HANDLERS: dict[str, Handler] = {}


def handles(*operation_ids: str) -> Callable[[Handler], Handler]:
    """Register a handler for the given operation ids."""

    def register(func: Handler) -> Handler:
        for operation_id in operation_ids:
            HANDLERS[operation_id] = func
        return func

    return register


__all__ += ["NO_BODY", "bad_request"]
