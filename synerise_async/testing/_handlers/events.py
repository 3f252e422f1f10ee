"""Events and transactions (``events.yaml``, ``transactions.yaml``).

Every accepted event lands in ``fake.events``; an event with the same action, time and
``eventSalt`` as a stored one overwrites it ("Overwriting events" in the Synerise guide).
Transactions follow the same rule in ``fake.transactions`` (action
``transaction.charge``, time ``recordedAt``).
"""

from __future__ import annotations

from typing import Any, Final

from .._schema import Problem
from .._state import EventStore, parse_time
from ._base import ApiError, Ctx, Reply, handles

TYPED_EVENT_ACTIONS: Final = {
    "completed-transaction": "transaction.charge",
    "added-to-cart": "product.addToCart",
    "added-to-favorites": "product.addToFavorite",
    "appeared-in-location": "client.location",
    "application-started": "client.applicationStarted",
    "assigned-to-company": "client.assignedToCompany",
    "cancelled-transaction": "transaction.cancel",
    "hit-timer": "client.hitTimer",
    "item-search-click": "item.search.click",
    "logged-in": "client.login",
    "logged-out": "client.logout",
    "product-view": "product.view",
    "push/cancelled": "push.cancel",
    "push/clicked": "push.click",
    "push/received": "push.receive",
    "push/viewed": "push.view",
    "registered": "client.register",
    "removed-from-cart": "product.removeFromCart",
    "searched": "client.search",
    "shared": "client.shared",
    "visited-screen": "screen.view",
}
"""Action recorded for each typed single-event endpoint (path after ``/v4/events/``)."""
_BATCH_TYPES: Final = {
    slug.replace("/", "-"): action for slug, action in TYPED_EVENT_ACTIONS.items()
}
_EVENTS_PREFIX: Final = "/v4/events/"


def _event_time(ctx: Ctx, value: Any, field: str) -> int:
    if value is None:
        return int(ctx.now * 1000)
    parsed = parse_time(value)
    if parsed is None:
        raise ApiError(
            400,
            f"{field}: invalid date-time",
            [Problem(field, "must be an ISO 8601 date-time with a time zone", value)],
        )
    return parsed


def _store(ctx: Ctx, store: EventStore, event: dict[str, Any], action: str, field: str) -> None:
    store.add(
        action=action,
        time_ms=_event_time(ctx, event.get("time"), field),
        client=event["client"],
        params=event.get("params"),
        label=event.get("label"),
        event_salt=event.get("eventSalt"),
        operation_id=ctx.op.operation_id,
        received_at=ctx.now,
    )


@handles("customEvent")
def custom_event(ctx: Ctx) -> Any:
    _store(ctx, ctx.state.events, ctx.body, ctx.body["action"], "time")
    return Reply()


def _typed_action(ctx: Ctx) -> str:
    slug = ctx.op.path[len(_EVENTS_PREFIX) :]
    return TYPED_EVENT_ACTIONS.get(slug, slug.replace("/", "."))


@handles(
    "clientCompletedTransaction",
    "sendAddedToCartEvent",
    "sendAddedToFavoritesEvent",
    "sendAppearedInLocationEvent",
    "sendApplicationStartedEvent",
    "sendAssignedToCompanyEvent",
    "sendCancelledTransactionEvent",
    "sendHitTimerEvent",
    "sendItemSearchClickEvent",
    "sendLoggedInEvent",
    "sendLoggedOutEvent",
    "sendProductViewEvent",
    "sendPushCancelledEvent",
    "sendPushClickedEvent",
    "sendPushReceivedEvent",
    "sendPushViewedEvent",
    "sendRegisteredEvent",
    "sendRemovedFromCartEvent",
    "sendSearchedEvent",
    "sendSharedEvent",
    "sendVisitedScreenEvent",
)
def typed_event(ctx: Ctx) -> Any:
    _store(ctx, ctx.state.events, ctx.body, _typed_action(ctx), "time")
    return Reply()


@handles("batchSendEvents")
def batch_events(ctx: Ctx) -> Any:
    # Check the whole batch before storing anything: a rejected batch stores nothing.
    problems: list[Problem] = []
    actions: list[str] = []
    times: list[int] = []
    for index, event in enumerate(ctx.body):
        kind = event["type"]
        if kind == "custom":
            action = event.get("action")
            if not action:
                problems.append(Problem(f"[{index}].action", "is required for custom events", None))
                continue
        else:
            action = _BATCH_TYPES.get(kind)
            if action is None:
                problems.append(Problem(f"[{index}].type", "is not a known event type", kind))
                continue
        raw_time = event.get("time")
        parsed = int(ctx.now * 1000) if raw_time is None else parse_time(raw_time)
        if parsed is None:
            problems.append(
                Problem(
                    f"[{index}].time", "must be an ISO 8601 date-time with a time zone", raw_time
                )
            )
            continue
        actions.append(action)
        times.append(parsed)
    if problems:
        raise ApiError(
            400, "Validation failed: " + problems[0].field + " " + problems[0].message, problems
        )
    store = ctx.state.events
    operation_id = ctx.op.operation_id
    for event, action, time_ms in zip(ctx.body, actions, times, strict=True):
        store.add(
            action=action,
            time_ms=time_ms,
            client=event["client"],
            params=event.get("params"),
            label=event.get("label"),
            event_salt=event.get("eventSalt"),
            operation_id=operation_id,
            received_at=ctx.now,
        )
    return Reply()


def _ai_event(ctx: Ctx, action: str, item: dict[str, Any]) -> None:
    # The spec gives EventTimestamp no format: a value that is not an ISO 8601 date-time
    # is kept as sent (in params) and the event is timed at its arrival.
    when = item.get("EventTimestamp")
    parsed = parse_time(when) if isinstance(when, str) else None
    ctx.state.events.add(
        action=action,
        time_ms=int(ctx.now * 1000) if parsed is None else parsed,
        client={"uuid": item["clientUUID"]} if isinstance(item.get("clientUUID"), str) else {},
        params={
            k: v
            for k, v in item.items()
            if k != "clientUUID" and not (k == "EventTimestamp" and parsed is not None)
        },
        label=None,
        event_salt=None,
        operation_id=ctx.op.operation_id,
        received_at=ctx.now,
    )


@handles("sendAiCompatEventBatch")
def ai_batch(ctx: Ctx) -> Any:
    action = ctx.body.get("eventType")
    items = ctx.body.get("items") or []
    if items and not action:
        raise ApiError(400, "eventType is required", [Problem("eventType", "is required", None)])
    for item in items:
        _ai_event(ctx, action, item)
    return Reply()


@handles(
    "sendAiCompatItemSearchClickEvent",
    "sendAiCompatRecommendationClickEvent",
    "sendAiCompatRecommendationViewEvent",
)
def ai_event(ctx: Ctx) -> Any:
    _ai_event(ctx, ctx.op.path.rsplit("/", 1)[1], ctx.body)
    return Reply()


def _listing(ctx: Ctx, client_filter: dict[str, Any] | None) -> list[dict[str, Any]]:
    query = ctx.query
    low = parse_time(query["time[from]"]) if "time[from]" in query else None
    high = parse_time(query["time[to]"]) if "time[to]" in query else None
    action = query.get("action")
    limit = int(query.get("limit", 100))
    out: list[dict[str, Any]] = []
    for event in sorted(ctx.state.events, key=lambda e: e.time_ms, reverse=True):
        if action is not None and event.action != action:
            continue
        if low is not None and event.time_ms < low:
            continue
        if high is not None and event.time_ms > high:
            continue
        if client_filter is not None and not any(
            event.client.get(k) == v for k, v in client_filter.items() if v is not None
        ):
            continue
        out.append(event.to_record())
        if len(out) >= limit:
            break
    return out


@handles("getClientEvents")
def client_events(ctx: Ctx) -> Any:
    client_id = ctx.path["clientID"]
    profile = ctx.state.profiles.by_id.get(client_id)
    identity: dict[str, Any] = {"id": client_id}
    if profile is not None:
        identity.update({k: profile.get(k) for k in ("email", "customId", "uuid")})
    return _listing(ctx, identity)


@handles("getClientOwnEvents")
def own_events(ctx: Ctx) -> Any:
    principal = ctx.principal
    if principal is None or principal.kind not in ("profile", "anonymous"):
        raise ApiError(403, "Only a profile can list its own events")
    return _listing(ctx, {"uuid": principal.subject})


@handles("getEventsFromAllClients")
def all_events(ctx: Ctx) -> Any:
    return _listing(ctx, None)


# ---------------------------------------------------------------------- transactions


def _store_transaction(ctx: Ctx, item: dict[str, Any], field: str) -> None:
    ctx.state.transactions.add(
        action="transaction.charge",
        time_ms=_event_time(ctx, item.get("recordedAt"), field),
        client=item["client"],
        params={k: v for k, v in item.items() if k not in ("client", "recordedAt", "eventSalt")},
        label=None,
        event_salt=item.get("eventSalt"),
        operation_id=ctx.op.operation_id,
        received_at=ctx.now,
    )


@handles("CreateATransaction")
def create_transaction(ctx: Ctx) -> Any:
    _store_transaction(ctx, ctx.body, "recordedAt")
    return Reply()


@handles("BatchAddOrUpdateTransactions")
def batch_transactions(ctx: Ctx) -> Any:
    problems = [
        Problem(
            f"[{i}].recordedAt",
            "must be an ISO 8601 date-time with a time zone",
            item["recordedAt"],
        )
        for i, item in enumerate(ctx.body)
        if "recordedAt" in item and parse_time(item["recordedAt"]) is None
    ]
    if problems:
        raise ApiError(400, "Validation failed", problems)
    for index, item in enumerate(ctx.body):
        _store_transaction(ctx, item, f"[{index}].recordedAt")
    return Reply()
