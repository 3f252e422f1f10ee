"""Defects the fuzzer found in the fake's loyalty and schema-builder handlers, one test per class.

Each test failed before its fix: a reference to a promotion, voucher or pool the fake does
not hold was a 400 (the spec declared no 404, so the fake turned it into one), a state the
store refuses (an empty pool, a second redemption, a code already taken) was a 400 on a
spec-valid body, and a record field that is not an object was refused by a rule the spec
did not state.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from synerise_async.testing import FakeSynerise

from .raw_http import SPEC, V4, as_workspace, error_of

RECORD_BODY = SPEC.compiler.compile(
    {"$ref": "#/components/schemas/SchemaBuilderRecordRequest"}, "request"
)
NOBODY = "00000000-0000-4000-8000-000000000000"


def as_profile(fake: FakeSynerise) -> dict[str, str]:
    return {"Authorization": f"Bearer {fake.issue_token('profile')}", **V4}


async def seeded_pool(fake: FakeSynerise, http: aiohttp.ClientSession) -> tuple[str, int]:
    """The fake's seeded voucher pool and how many free vouchers it holds."""
    async with http.get(f"{fake.url}/v4/vouchers/pool/list", headers=as_workspace(fake)) as resp:
        assert resp.status == 200, await resp.text()
        (pool,) = (await resp.json())["data"]
    return pool["uuid"], pool["availableCount"]


# ---------------------------------------------------------------------- unknown references

MISSING = [
    ("deletePromotion", "DELETE", "/v4/promotions/promotion", {"value": "NO-SUCH-CODE"}),
    (
        "activatePromotion",
        "POST",
        "/v4/promotions/promotion/activate",
        {"key": "code", "value": "X"},
    ),
    (
        "deactivatePromotion",
        "POST",
        "/v4/promotions/promotion/deactivate",
        {"key": "uuid", "value": NOBODY},
    ),
    (
        "batchActivatePromotions",
        "POST",
        "/v4/promotions/promotion/batch-activate",
        [{"key": "code", "value": "WELCOME-10"}, {"key": "code", "value": "X"}],
    ),
    (
        "batchDeactivatePromotions",
        "POST",
        "/v4/promotions/promotion/batch-deactivate",
        [{"key": "code", "value": "X"}],
    ),
    ("RedeemAVoucher", "POST", "/v4/vouchers/item/redeem", {"code": "NO-SUCH-VOUCHER"}),
    ("CreateAVoucher", "POST", "/v4/vouchers/item", {"poolUuid": NOBODY, "code": "NEW-1"}),
    ("assignVoucher", "POST", "/v4/vouchers/item/assign", {"poolUuid": NOBODY}),
    ("getOrAssignVoucher", "POST", "/v4/vouchers/item/get-or-assign", {"poolUuid": NOBODY}),
]


@pytest.mark.parametrize(
    ("operation", "method", "path", "body"), MISSING, ids=[m[0] for m in MISSING]
)
async def test_an_unknown_promotion_voucher_or_pool_is_a_documented_404(
    fake: FakeSynerise,
    http: aiohttp.ClientSession,
    operation: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    """A spec-valid body naming a promotion, voucher or pool the fake lacks is a 404 the spec declares, not a 400."""
    op = SPEC.operations[operation]
    assert (op.method, op.path) == (method, path)
    headers = as_profile(fake) if "Profile" in op.consumers else as_workspace(fake)
    async with http.request(method, fake.url + path, json=body, headers=headers) as resp:
        assert resp.status == 404, await resp.text()
        error = await error_of(resp)
    assert "not found" in error["message"]
    assert 404 in op.statuses


async def test_a_batch_naming_an_unknown_promotion_changes_nothing(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """A batch activation with one unknown promotion is refused whole: the known one stays ASSIGNED."""
    body = [{"key": "code", "value": "WELCOME-10"}, {"key": "code", "value": "X"}]
    headers = as_profile(fake)
    url = f"{fake.url}/v4/promotions/promotion/batch-activate"
    async with http.post(url, json=body, headers=headers) as resp:
        assert resp.status == 404, await resp.text()
    async with http.get(
        f"{fake.url}/v4/promotions/promotion/get-for-client", headers=headers
    ) as resp:
        assert resp.status == 200, await resp.text()
        listed = (await resp.json())["data"]
    assert [(p["code"], p["status"]) for p in listed] == [("WELCOME-10", "ASSIGNED")]


# ---------------------------------------------------------------------- state conflicts


async def test_an_empty_pool_is_a_documented_409(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Once every voucher of the pool is taken, assign and get-or-assign (for a new Profile) answer 409."""
    pool, free = await seeded_pool(fake, http)
    url = f"{fake.url}/v4/vouchers/item/assign"
    for _ in range(free):
        async with http.post(url, json={"poolUuid": pool}, headers=as_profile(fake)) as resp:
            assert resp.status == 200, await resp.text()
    for operation, path in (("assignVoucher", "assign"), ("getOrAssignVoucher", "get-or-assign")):
        body = {"poolUuid": pool, "clientUuid": NOBODY}
        async with http.post(
            f"{fake.url}/v4/vouchers/item/{path}", json=body, headers=as_profile(fake)
        ) as resp:
            assert resp.status == 409, await resp.text()
            error = await error_of(resp)
        assert error["errors"][0]["field"] == "poolUuid"
        assert 409 in SPEC.operations[operation].statuses
    assert await seeded_pool(fake, http) == (pool, 0)


async def test_a_second_redemption_is_a_documented_409(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Redeeming a voucher twice: the first is a 200 with REDEEMED, the second a 409 naming the code."""
    pool, _ = await seeded_pool(fake, http)
    async with http.post(
        f"{fake.url}/v4/vouchers/item/assign", json={"poolUuid": pool}, headers=as_profile(fake)
    ) as resp:
        assert resp.status == 200, await resp.text()
        code = (await resp.json())["data"]["code"]
    url = f"{fake.url}/v4/vouchers/item/redeem"
    async with http.post(url, json={"code": code}, headers=as_workspace(fake)) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["status"] == "REDEEMED"
    async with http.post(url, json={"code": code}, headers=as_workspace(fake)) as resp:
        assert resp.status == 409, await resp.text()
        error = await error_of(resp)
    assert error["errors"][0] == {
        "field": "code",
        "message": "the voucher is already redeemed",
        "rejectedValue": code,
    }
    assert 409 in SPEC.operations["RedeemAVoucher"].statuses


async def test_a_code_already_taken_is_a_documented_409(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """A voucher or promotion code already in use is a 409 (the spec's Conflict), and nothing is added."""
    pool, free = await seeded_pool(fake, http)
    async with http.post(
        f"{fake.url}/v4/vouchers/item",
        json={"poolUuid": pool, "code": "WELCOME-0001"},
        headers=as_workspace(fake),
    ) as resp:
        assert resp.status == 409, await resp.text()
        await error_of(resp)
    assert await seeded_pool(fake, http) == (pool, free)
    async with http.post(
        f"{fake.url}/v4/promotions/promotion",
        json={"code": "WELCOME-10", "name": "Again"},
        headers=as_workspace(fake),
    ) as resp:
        assert resp.status == 409, await resp.text()
        await error_of(resp)
    assert 409 in SPEC.operations["CreateAVoucher"].statuses
    assert 409 in SPEC.operations["CreateAPromotion"].statuses


# ---------------------------------------------------------------------- rules beyond the spec


async def test_the_record_field_rule_the_fake_enforces_is_the_specs(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """The spec itself rules out a record field that is not an object, so the fake's 400 for it is no rule of its own."""
    bare = {"fields": {"city": "Poznan"}}
    problems: list[Any] = []
    RECORD_BODY(bare, None, problems)
    assert [str(p.field) for p in problems] == ["fields.city"]
    url = f"{fake.url}/boxes-v2/records/{NOBODY}"
    async with http.post(url, json=bare, headers=as_workspace(fake)) as resp:
        assert resp.status == 400, await resp.text()
        error = await error_of(resp)
    assert [p["field"] for p in error["errors"]] == ["fields.city"]


async def test_a_spec_valid_record_for_an_unknown_schema_is_a_404(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """A record whose fields are all objects, sent to a schema the fake lacks, is a 404, not a validation 400."""
    body = {
        "fields": {"city": {"value": "Poznan"}, "": {}, "links": {"recordIds": [], "type": "many"}}
    }
    problems: list[Any] = []
    RECORD_BODY(body, None, problems)
    assert problems == []
    url = f"{fake.url}/boxes-v2/records/{NOBODY}"
    async with http.post(url, json=body, headers=as_workspace(fake)) as resp:
        assert resp.status == 404, await resp.text()
        await error_of(resp)
