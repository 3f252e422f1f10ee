"""Promotions and voucher pools (``loyalty.yaml``), kept per fake.

What the sources describe, and the fake therefore does:

- a voucher taken from a pool stays assigned to its profile: ``getOrAssignVoucher`` hands
  the profile the voucher it already has from that pool, and only assigns a free one when
  it has none; ``assignVoucher`` always takes a new free voucher (the SDK names the two
  calls apart for that reason). Each assignment leaves the pool one free voucher fewer;
- redeeming sets a voucher's status to REDEEMED, once;
- voucher codes are unique across the workspace's pools (the voucher pool guide);
- a promotion's ``code`` is unique and batch imports upsert by it, changing only the
  fields sent; a Profile activates and deactivates its own promotions.

No source shows the error answers, so the fake gives the ones the spec declares: an
unknown pool, voucher or promotion is a 404, and a request the store's state refuses (an
empty pool, a second redemption, a code already taken) is a 409, never a 400, which is
kept for requests the spec itself rules out.

The store lives beside the fake's state (a weak map keyed by its ``FakeState``).
"""

from __future__ import annotations

import math
import random
import uuid
import weakref
from typing import TYPE_CHECKING, Any, Final

from .._schema import Path, Problem, Validator, render_path
from .._state import iso_millis
from ._base import ApiError, Ctx, Reply, handles, not_found

if TYPE_CHECKING:
    from .._spec import Spec

__all__ = ["LoyaltyStore", "loyalty_store"]

SEEDED_POOL_SIZE: Final = 5
ASSIGNED: Final = "ASSIGNED"
UNASSIGNED: Final = "UNASSIGNED"
REDEEMED: Final = "REDEEMED"


def conflict(message: str, field: str, rejected: Any) -> ApiError:
    """A 409: the request is well formed but the store's current state refuses it."""
    return ApiError(409, f"{field}: {message}", [Problem(field, message, rejected)])


class LoyaltyStore:
    """Voucher pools and their vouchers, promotions, and each profile's promotion states."""

    def __init__(self, rng: random.Random, *, now_ms: int) -> None:
        self._rng = rng
        self._now_ms = now_ms
        self.pools: dict[str, dict[str, Any]] = {}
        self.vouchers: dict[str, dict[str, Any]] = {}
        self.promotions: dict[str, dict[str, Any]] = {}
        self.profile_states: dict[tuple[str, str], str] = {}
        pool = self.add_pool("Welcome vouchers")
        for number in range(SEEDED_POOL_SIZE):
            self.add_voucher(pool["uuid"], code=f"WELCOME-{number + 1:04d}")
        self.upsert_promotion(
            {"code": "WELCOME-10", "name": "Welcome discount", "type": "GENERAL"}, [], create=True
        )

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def add_pool(self, name: str) -> dict[str, Any]:
        pool = {"uuid": self._uuid(), "name": name}
        self.pools[pool["uuid"]] = pool
        return pool

    def pool_view(self, pool: dict[str, Any]) -> dict[str, Any]:
        """The pool as listed, with how many vouchers it still has free."""
        free = sum(
            1
            for v in self.vouchers.values()
            if v["poolUuid"] == pool["uuid"] and v["status"] == UNASSIGNED
        )
        return {**pool, "availableCount": free}

    def add_voucher(
        self,
        pool_uuid: str,
        *,
        code: str | None = None,
        client_uuid: str | None = None,
        client_id: int | None = None,
        expire_in: str | None = None,
        status: str | None = None,
    ) -> dict[str, Any]:
        if pool_uuid not in self.pools:
            raise not_found("Voucher pool")
        code = code or f"V-{self._rng.getrandbits(40):010X}"
        if self.by_code(code) is not None:
            raise conflict("a voucher with this code exists", "code", code)
        assigned = client_uuid is not None or client_id is not None
        voucher_uuid = self._uuid()
        voucher: dict[str, Any] = {
            "uuid": voucher_uuid,
            "code": code,
            "poolUuid": pool_uuid,
            "status": status or (ASSIGNED if assigned else UNASSIGNED),
            "clientUuid": client_uuid,
            "clientId": client_id,
            "expireIn": expire_in,
        }
        self.vouchers[voucher_uuid] = voucher
        return voucher

    def by_code(self, code: str) -> dict[str, Any] | None:
        return next((v for v in self.vouchers.values() if v["code"] == code), None)

    def assigned_to(self, client_uuid: str) -> list[dict[str, Any]]:
        return [v for v in self.vouchers.values() if v["clientUuid"] == client_uuid]

    def assign(self, pool_uuid: str, client_uuid: str, *, reuse: bool) -> dict[str, Any]:
        """A voucher of the pool for the profile: its own one when ``reuse``, else a free one."""
        if pool_uuid not in self.pools:
            raise not_found("Voucher pool")
        if reuse:
            own = next(
                (v for v in self.assigned_to(client_uuid) if v["poolUuid"] == pool_uuid), None
            )
            if own is not None:
                return own
        free = next(
            (
                v
                for v in self.vouchers.values()
                if v["poolUuid"] == pool_uuid and v["status"] == UNASSIGNED
            ),
            None,
        )
        if free is None:
            raise conflict("the voucher pool has no free vouchers left", "poolUuid", pool_uuid)
        free.update(status=ASSIGNED, clientUuid=client_uuid)
        return free

    def redeem(self, code: str) -> dict[str, Any]:
        voucher = self.by_code(code)
        if voucher is None:
            raise not_found("Voucher")
        if voucher["status"] == REDEEMED:
            raise conflict("the voucher is already redeemed", "code", code)
        voucher["status"] = REDEEMED
        return voucher

    def promotion(self, key: str, value: str) -> dict[str, Any]:
        if key == "uuid":
            found = self.promotions.get(value)
        else:
            found = next((p for p in self.promotions.values() if p["code"] == value), None)
        if found is None:
            raise not_found("Promotion")
        return found

    def upsert_promotion(
        self, fields: dict[str, Any], cleared: list[str], *, create: bool
    ) -> dict[str, Any]:
        """Create the promotion ``fields["code"]`` names (or a new code), or change it.

        ``fields`` and ``cleared`` come from :func:`promotion_changes`: never a
        server-owned field, never a value the Promotion schema refuses.
        """
        code = fields.get("code")
        existing = (
            next((p for p in self.promotions.values() if p["code"] == code), None)
            if code is not None
            else None
        )
        if existing is not None:
            if create:
                raise conflict("a promotion with this code exists", "code", code)
            apply_changes(existing, fields, cleared)
            return existing
        promotion = {
            "uuid": self._uuid(),
            "code": code or f"PROMO-{self._rng.getrandbits(32):08X}",
            "type": "GENERAL",
            "status": "ACTIVE",
            "name": "",
            "createdAt": iso_millis(self._now_ms),
        }
        apply_changes(promotion, fields, cleared)
        self.promotions[promotion["uuid"]] = promotion
        return promotion

    def for_profile(self, profile: str, statuses: list[str] | None) -> list[dict[str, Any]]:
        """Every promotion, with the status it has for this profile (ASSIGNED until activated)."""
        listed = [
            {**p, "status": self.profile_states.get((profile, p["uuid"]), ASSIGNED)}
            for p in self.promotions.values()
        ]
        return [p for p in listed if not statuses or p["status"] in statuses]


_STORES: weakref.WeakKeyDictionary[Any, LoyaltyStore] = weakref.WeakKeyDictionary()


def loyalty_store(state: Any) -> LoyaltyStore:
    """The loyalty store of one fake, created on first use from the fake's seed."""
    store = _STORES.get(state)
    if store is None:
        store = LoyaltyStore(random.Random(f"loyalty:{state.seed}"), now_ms=1_710_756_930_000)
        _STORES[state] = store
    return store


def _store(ctx: Ctx) -> LoyaltyStore:
    return loyalty_store(ctx.state)


def _profile(ctx: Ctx, body: Any = None) -> str:
    """The calling Profile: the body's clientUuid when sent, else the token's subject."""
    if isinstance(body, dict) and body.get("clientUuid"):
        return str(body["clientUuid"])
    return ctx.principal.subject if ctx.principal is not None else "anonymous"


def _page(
    ctx: Ctx, items: list[dict[str, Any]], *, default_limit: int = 100, meta_default: bool = True
) -> Reply:
    """One page of ``items``; paging in ``meta`` or, with includeMeta=false, in headers.

    The voucher lists leave the meta out unless asked (``meta_default=False``), as the
    handbill test tool notes of the real API.
    """
    page = int(ctx.query.get("page", 1))
    limit = int(ctx.query.get("limit", default_limit))
    start = (page - 1) * limit
    meta = {
        "page": page,
        "limit": limit,
        "totalCount": len(items),
        "totalPages": math.ceil(len(items) / limit),
    }
    if not ctx.query.get("includeMeta", meta_default):
        headers = {
            "X-Pagination-Total-Count": str(meta["totalCount"]),
            "X-Pagination-Total-Pages": str(meta["totalPages"]),
            "X-Pagination-Page": str(page),
            "X-Pagination-Limit": str(limit),
        }
        return Reply(body={"data": items[start : start + limit]}, headers=headers)
    return Reply(body={"meta": meta, "data": items[start : start + limit]})


# ---------------------------------------------------------------------- vouchers


@handles("ListPools")
def list_pools(ctx: Ctx) -> Any:
    store = _store(ctx)
    return _page(ctx, [store.pool_view(p) for p in store.pools.values()], meta_default=False)


@handles("ListVouchersFromPool")
def list_vouchers(ctx: Ctx) -> Any:
    store = _store(ctx)
    pool_uuid = str(ctx.path["poolUuid"])
    if pool_uuid not in store.pools:
        raise not_found("Voucher pool")
    vouchers = [v for v in store.vouchers.values() if v["poolUuid"] == pool_uuid]
    return _page(ctx, vouchers, meta_default=False)


@handles("CreateAVoucher")
def create_voucher(ctx: Ctx) -> Any:
    body = ctx.body
    return _store(ctx).add_voucher(
        body["poolUuid"],
        code=body.get("code"),
        client_uuid=body.get("clientUuid"),
        client_id=body.get("clientId"),
        expire_in=body.get("expireIn"),
        status=body.get("status"),
    )


@handles("ViewVoucherDetailsBySearchKey")
def get_voucher(ctx: Ctx) -> Any:
    store = _store(ctx)
    value = str(ctx.path["searchValue"])
    found = store.vouchers.get(value) if ctx.path["searchKey"] == "uuid" else store.by_code(value)
    if found is None:
        raise not_found("Voucher")
    return found


@handles("assignVoucher", "getOrAssignVoucher")
def assign_voucher(ctx: Ctx) -> Any:
    reuse = ctx.op.operation_id == "getOrAssignVoucher"
    voucher = _store(ctx).assign(ctx.body["poolUuid"], _profile(ctx, ctx.body), reuse=reuse)
    return {"data": voucher, "message": "Voucher assigned"}


@handles("getAssignedVouchers")
def assigned_vouchers(ctx: Ctx) -> Any:
    return {"data": _store(ctx).assigned_to(_profile(ctx))}


@handles("GetVouchersAssignedToAClientByIdentifier")
def assigned_vouchers_by_identifier(ctx: Ctx) -> Any:
    name, value = ctx.query["clientIdentifierName"], str(ctx.query["clientIdentifierValue"])
    vouchers = _store(ctx).vouchers.values()
    if name == "id":
        found = [v for v in vouchers if str(v["clientId"]) == value]
    else:
        found = [v for v in vouchers if v["clientUuid"] == value]
    return {"data": found}


@handles("RedeemAVoucher")
def redeem_voucher(ctx: Ctx) -> Any:
    return _store(ctx).redeem(ctx.body["code"])


@handles("BatchRedeemVouchersForProfile")
def batch_redeem(ctx: Ctx) -> Any:
    store = _store(ctx)
    redeemed, errors = 0, []
    for index, item in enumerate(ctx.body):
        try:
            store.redeem(item["voucherValue"])
            redeemed += 1
        except ApiError as exc:
            errors.append(
                {"index": index, "voucherValue": item["voucherValue"], "error": exc.message}
            )
    body = {"redeemed": redeemed, "errors": errors}
    return Reply(body=body, status=207) if errors else body


# ---------------------------------------------------------------------- promotions


SERVER_OWNED: Final = ("uuid", "createdAt")
"""Promotion fields the server assigns: a body that sets one is refused."""

_PROMOTION_CHECKS: weakref.WeakKeyDictionary[Spec, dict[str, Validator]] = (
    weakref.WeakKeyDictionary()
)


def _promotion_checks(spec: Spec | None) -> dict[str, Validator]:
    """A validator per property of the spec's ``Promotion`` schema (none without one)."""
    if spec is None:
        return {}
    checks = _PROMOTION_CHECKS.get(spec)
    if checks is None:
        schemas = (spec.document.get("components") or {}).get("schemas") or {}
        properties = (schemas.get("Promotion") or {}).get("properties") or {}
        checks = {
            name: spec.compiler.compile(schema, "response") for name, schema in properties.items()
        }
        _PROMOTION_CHECKS[spec] = checks
    return checks


def promotion_changes(
    ctx: Ctx, fields: dict[str, Any], where: Path = None
) -> tuple[dict[str, Any], list[str]]:
    """The fields of a promotion body to store, and the ones it clears (explicit nulls).

    The request schemas let any field through (``additionalProperties``), but what the
    fake stores it must be able to answer with, so each field is checked against the
    response's ``Promotion`` schema. A server-owned field or a value that schema refuses
    is a 400 naming the field; a null ``code`` counts as no code (it is the match key).
    """
    checks = _promotion_checks(ctx.spec)
    changes: dict[str, Any] = {}
    cleared: list[str] = []
    problems: list[Problem] = []
    for name, value in fields.items():
        field = (where, name)
        if name in SERVER_OWNED:
            problems.append(Problem(render_path(field), "is assigned by the server", value))
        elif value is None:
            if name != "code":
                cleared.append(name)
        else:
            found: list[Problem] = []
            check = checks.get(name)
            if check is not None:
                check(value, field, found)
            if found:
                first = found[0]
                problems.append(
                    Problem(
                        render_path(field),
                        f"does not fit the Promotion schema ({first.field}: {first.message})",
                        value,
                    )
                )
            else:
                changes[name] = value
    if problems:
        raise ApiError(400, "; ".join(f"{p.field}: {p.message}" for p in problems), problems)
    return changes, cleared


def apply_changes(promotion: dict[str, Any], changes: dict[str, Any], cleared: list[str]) -> None:
    """Set what :func:`promotion_changes` kept and remove what it cleared."""
    promotion.update(changes)
    for name in cleared:
        promotion.pop(name, None)


@handles("CreateAPromotion")
def create_promotion(ctx: Ctx) -> Any:
    changes, cleared = promotion_changes(ctx, ctx.body)
    return _store(ctx).upsert_promotion(changes, cleared, create=True)


@handles("BatchImportPromotions")
def import_promotions(ctx: Ctx) -> Any:
    store = _store(ctx)
    # Every item is checked before any is stored: a refused batch changes nothing.
    items = [
        promotion_changes(ctx, item, ((None, "data"), index))
        for index, item in enumerate(ctx.body["data"])
    ]
    touched = [store.upsert_promotion(changes, cleared, create=False) for changes, cleared in items]
    return {"imported": len(touched)}


@handles("listPromotions")
def list_promotions(ctx: Ctx) -> Any:
    promotions = list(_store(ctx).promotions.values())
    return {"data": promotions[: int(ctx.query.get("limit", len(promotions) or 1))]}


@handles("GetPromotionDetailsAsBusinessProfile")
def get_promotion(ctx: Ctx) -> Any:
    return _store(ctx).promotion(ctx.path["searchKey"], str(ctx.path["searchValue"]))


@handles("UpdateAPromotion")
def update_promotion(ctx: Ctx) -> Any:
    promotion = _store(ctx).promotion(ctx.path["searchKey"], str(ctx.path["searchValue"]))
    changes, cleared = promotion_changes(ctx, ctx.body)
    apply_changes(promotion, changes, cleared)
    return promotion


@handles("deletePromotion")
def delete_promotion(ctx: Ctx) -> Any:
    store = _store(ctx)
    promotion = store.promotion("code", ctx.body["value"])
    del store.promotions[promotion["uuid"]]
    return {"deleted": promotion["code"]}


def _set_state(ctx: Ctx, profile: str, key: str, value: str, state: str) -> dict[str, Any]:
    store = _store(ctx)
    promotion = store.promotion(key, value)
    store.profile_states[(profile, promotion["uuid"])] = state
    return {"uuid": promotion["uuid"], "code": promotion["code"], "status": state}


@handles("activatePromotion", "deactivatePromotion")
def toggle_promotion(ctx: Ctx) -> Any:
    state = "ACTIVE" if ctx.op.operation_id == "activatePromotion" else ASSIGNED
    return _set_state(ctx, _profile(ctx), ctx.body["key"], ctx.body["value"], state)


@handles("batchActivatePromotions", "batchDeactivatePromotions")
def toggle_promotions(ctx: Ctx) -> Any:
    state = "ACTIVE" if ctx.op.operation_id == "batchActivatePromotions" else ASSIGNED
    profile = _profile(ctx)
    store = _store(ctx)
    # Every promotion is found before any changes, so an unknown one leaves all untouched.
    for item in ctx.body:
        store.promotion(item["key"], item["value"])
    return {"data": [_set_state(ctx, profile, i["key"], i["value"], state) for i in ctx.body]}


@handles("activatePromotionForProfile")
def activate_for_profile(ctx: Ctx) -> Any:
    profile = str(ctx.path["identifierValue"])
    return _set_state(ctx, profile, ctx.body["key"], ctx.body["value"], "ACTIVE")


@handles("GetAClientsPromotions")
def own_promotions(ctx: Ctx) -> Any:
    return _page(ctx, _store(ctx).for_profile(_profile(ctx), ctx.query.get("status")))


@handles("GetAllClientPromotionsV2")
def profile_promotions(ctx: Ctx) -> Any:
    profile = str(ctx.path["identifierValue"])
    return _page(ctx, _store(ctx).for_profile(profile, ctx.query.get("status")))


@handles("getProfilePromotionByUuid")
def own_promotion(ctx: Ctx) -> Any:
    store = _store(ctx)
    promotion = store.promotion("uuid", str(ctx.path["uuid"]))
    state = store.profile_states.get((_profile(ctx), promotion["uuid"]), ASSIGNED)
    return {**promotion, "status": state}
