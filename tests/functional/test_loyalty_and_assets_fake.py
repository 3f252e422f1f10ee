"""The fake's stateful loyalty and schema-builder handlers, driven through the real client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from synerise_async import BadRequestError, ConflictError, SyneriseClient, TokenAuth
from synerise_async.api.assets import (
    create_schema_builder_schema,
    create_schema_record,
    get_schema_record,
    list_schema_records,
    update_schema_builder_schema,
)
from synerise_async.api.loyalty import (
    activate_promotion,
    assign_voucher,
    batch_import_promotions,
    create_a_promotion,
    deactivate_promotion,
    get_a_clients_promotions,
    get_assigned_vouchers,
    get_or_assign_voucher,
    get_promotion_details_as_business_profile,
    list_pools,
    list_promotions,
    redeem_a_voucher,
    view_voucher_details_by_search_key,
)
from synerise_async.models import (
    GetPromotionDetailsAsBusinessProfileSearchKey,
    PromotionBatchRequest,
    PromotionCreateRequest,
    PromotionFields,
    PromotionKey,
    PromotionKeyRequest,
    SchemaBuilderRecordRequest,
    SchemaBuilderRecordRequestFields,
    SchemaBuilderSchemaRequest,
    SchemaBuilderSchemaRequestFields,
    ViewVoucherDetailsBySearchKeySearchKey,
    VoucherAssignRequest,
    VoucherRedeemRequest,
)
from synerise_async.testing import FakeSynerise
from synerise_async.types import Unset

from .conftest import client_for


@pytest.fixture
async def profile(fake: FakeSynerise) -> AsyncIterator[SyneriseClient]:
    """A client acting as one Profile (a profile JWT)."""
    async with client_for(fake, TokenAuth(token=fake.issue_token("profile"))) as api:
        yield api


async def _pool(client: SyneriseClient) -> tuple[str, int]:
    pools = await list_pools.asyncio(client=client)
    pool = pools.data[0]
    return pool.uuid, pool.additional_properties["availableCount"]


async def test_get_or_assign_keeps_the_profiles_voucher(
    client: SyneriseClient, profile: SyneriseClient
) -> None:
    """get-or-assign hands the Profile the same voucher twice and takes one voucher from the pool."""
    pool, free_before = await _pool(client)
    first = await get_or_assign_voucher.asyncio(
        client=profile, body=VoucherAssignRequest(pool_uuid=pool)
    )
    again = await get_or_assign_voucher.asyncio(
        client=profile, body=VoucherAssignRequest(pool_uuid=pool)
    )
    assert first.data.code == again.data.code
    assert first.data.status.value == "ASSIGNED"
    assert (await _pool(client))[1] == free_before - 1
    mine = await get_assigned_vouchers.asyncio(client=profile)
    assert [v.code for v in mine.data] == [first.data.code]


async def test_voucher_lists_page_through_headers_unless_meta_is_asked_for(
    client: SyneriseClient,
) -> None:
    """ListPools puts paging in X-Pagination-* headers by default and in `meta` with includeMeta."""
    plain = await list_pools.asyncio_detailed(client=client, limit=1)
    assert plain.headers["X-Pagination-Total-Count"] == "1"
    assert plain.headers["X-Pagination-Limit"] == "1"
    assert isinstance(plain.parsed.meta, Unset)
    with_meta = await list_pools.asyncio(client=client, limit=1, include_meta=True)
    assert (with_meta.meta.total_count, with_meta.meta.total_pages) == (1, 1)


async def test_assign_takes_a_new_voucher_until_the_pool_is_empty(
    client: SyneriseClient, profile: SyneriseClient
) -> None:
    """Each assign takes another free voucher; an empty pool answers 409 and assigns nothing."""
    pool, free = await _pool(client)
    codes = [
        (
            await assign_voucher.asyncio(client=profile, body=VoucherAssignRequest(pool_uuid=pool))
        ).data.code
        for _ in range(free)
    ]
    assert len(set(codes)) == free
    with pytest.raises(ConflictError, match="no free vouchers"):
        await assign_voucher.asyncio(client=profile, body=VoucherAssignRequest(pool_uuid=pool))
    assert (await _pool(client))[1] == 0
    assert len((await get_assigned_vouchers.asyncio(client=profile)).data) == free


async def test_a_voucher_is_redeemed_once(client: SyneriseClient, profile: SyneriseClient) -> None:
    """Redeeming marks the voucher REDEEMED; redeeming it again is a 409."""
    pool, _ = await _pool(client)
    voucher = (
        await get_or_assign_voucher.asyncio(
            client=profile, body=VoucherAssignRequest(pool_uuid=pool)
        )
    ).data
    redeemed = await redeem_a_voucher.asyncio(
        client=client, body=VoucherRedeemRequest(code=voucher.code)
    )
    assert redeemed.status.value == "REDEEMED"
    details = await view_voucher_details_by_search_key.asyncio(
        client=client,
        search_key=ViewVoucherDetailsBySearchKeySearchKey.CODE,
        search_value=voucher.code,
    )
    assert details.status.value == "REDEEMED"
    with pytest.raises(ConflictError, match="already redeemed"):
        await redeem_a_voucher.asyncio(client=client, body=VoucherRedeemRequest(code=voucher.code))


async def test_a_profile_activates_and_deactivates_a_promotion(
    client: SyneriseClient, profile: SyneriseClient
) -> None:
    """A created promotion is ASSIGNED to the Profile, ACTIVE after activation, ASSIGNED again after."""
    created = await create_a_promotion.asyncio(
        client=client, body=PromotionCreateRequest(code="SPRING-5", name="Spring", type_="GENERAL")
    )
    key = PromotionKeyRequest(key=PromotionKey.CODE, value="SPRING-5")

    async def status() -> str:
        listing = await get_a_clients_promotions.asyncio(client=profile)
        return next(p.status for p in listing.data if p.uuid == created.uuid)

    assert await status() == "ASSIGNED"
    await activate_promotion.asyncio(client=profile, body=key)
    assert await status() == "ACTIVE"
    await deactivate_promotion.asyncio(client=profile, body=key)
    assert await status() == "ASSIGNED"
    with pytest.raises(ConflictError, match="exists"):
        await create_a_promotion.asyncio(
            client=client, body=PromotionCreateRequest(code="SPRING-5")
        )


async def test_batch_import_upserts_by_code_and_keeps_unsent_fields(client: SyneriseClient) -> None:
    """A batch item with a known code changes only the fields it sends; a new code is created."""
    await create_a_promotion.asyncio(
        client=client, body=PromotionCreateRequest(code="P-1", name="One", header_name="Head")
    )
    changed = PromotionFields.from_dict({"code": "P-1", "name": "One, renamed"})
    added = PromotionFields.from_dict({"code": "P-2", "name": "Two"})
    await batch_import_promotions.asyncio(
        client=client, body=PromotionBatchRequest(data=[changed, added])
    )
    key = GetPromotionDetailsAsBusinessProfileSearchKey
    one = await get_promotion_details_as_business_profile.asyncio(
        client=client, search_key=key("code"), search_value="P-1"
    )
    two = await get_promotion_details_as_business_profile.asyncio(
        client=client, search_key=key("code"), search_value="P-2"
    )
    assert (one.name, one.header_name) == ("One, renamed", "Head")
    assert two.name == "Two"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "P-9", "uuid": "mine"}, "data[1].uuid"),
        ({"code": "P-9", "createdAt": None}, "data[1].createdAt"),
        ({"code": "P-9", "itemScope": 3}, "data[1].itemScope"),
        ({"code": "P-9", "images": [{"url": 5}]}, "data[1].images"),
    ],
)
async def test_an_import_that_sets_what_a_promotion_cannot_hold_is_a_400_and_changes_nothing(
    client: SyneriseClient, fake: FakeSynerise, fields: dict[str, object], field: str
) -> None:
    """A server-owned field or a value the Promotion schema refuses is a 400 naming it; no item is stored."""
    before = await list_promotions.asyncio(client=client)
    first = PromotionFields.from_dict({"code": "P-8", "name": "Eight"})
    with pytest.raises(BadRequestError) as refused:
        await batch_import_promotions.asyncio(
            client=client,
            body=PromotionBatchRequest(data=[first, PromotionFields.from_dict(fields)]),
        )
    assert refused.value.body is not None
    assert [e.field for e in refused.value.body.errors] == [field]
    after = await list_promotions.asyncio(client=client)
    assert [p.code for p in after.data] == [p.code for p in before.data]


async def test_a_null_clears_a_promotion_field_and_extras_are_kept(client: SyneriseClient) -> None:
    """An explicit null removes the field; a field the Promotion schema does not name is stored as sent."""
    await create_a_promotion.asyncio(
        client=client, body=PromotionCreateRequest(code="P-3", name="Three", header_name="Head")
    )
    change = PromotionFields.from_dict({"code": "P-3", "headerName": None, "campaign": "x-mas"})
    await batch_import_promotions.asyncio(client=client, body=PromotionBatchRequest(data=[change]))
    three = await get_promotion_details_as_business_profile.asyncio(
        client=client,
        search_key=GetPromotionDetailsAsBusinessProfileSearchKey("code"),
        search_value="P-3",
    )
    assert isinstance(three.header_name, Unset) and three.name == "Three"
    assert three.additional_properties["campaign"] == "x-mas"
    assert isinstance(three.uuid, str) and three.uuid


async def test_schema_builder_records_are_created_listed_and_validated(
    client: SyneriseClient,
) -> None:
    """Records created in a schema are listed and read back; a bare field value is a 400 naming it."""
    schema = await create_schema_builder_schema.asyncio(
        client=client,
        body=SchemaBuilderSchemaRequest(
            schema_name="Stores",
            fields=SchemaBuilderSchemaRequestFields.from_dict(
                {"city": {"type": "TEXT"}, "size": {"type": "NUMBER"}}
            ),
        ),
    )
    schema_id = schema.additional_properties["schemaId"]
    created = []
    for city in ("Krakow", "Gdansk"):
        fields = SchemaBuilderRecordRequestFields.from_dict(
            {"city": {"value": city}, "size": {"value": 3}}
        )
        created.append(
            await create_schema_record.asyncio(
                client=client, schema_id=schema_id, body=SchemaBuilderRecordRequest(fields=fields)
            )
        )
    listing = await list_schema_records.asyncio(client=client, schema_id=schema_id)
    assert [r["recordId"] for r in listing["data"]] == [r.record_id for r in created]
    read = await get_schema_record.asyncio(
        client=client, schema_id=schema_id, record_id=created[0].record_id
    )
    assert read.fields.to_dict() == {"city": {"value": "Krakow"}, "size": {"value": 3}}
    # The spec declares each field an object, so the fake's request check refuses this one.
    with pytest.raises(BadRequestError, match=r"fields\.city") as refused:
        await create_schema_record.asyncio(
            client=client, schema_id=schema_id, body={"fields": {"city": "Poznan"}}
        )
    assert refused.value.status_code == 400
    assert len((await list_schema_records.asyncio(client=client, schema_id=schema_id))["data"]) == 2
    # Removing a field from the schema removes it from the existing records.
    await update_schema_builder_schema.asyncio(
        client=client,
        schema_id=schema_id,
        body=SchemaBuilderSchemaRequest(
            schema_name="Stores",
            fields=SchemaBuilderSchemaRequestFields.from_dict({"city": {"type": "TEXT"}}),
        ),
    )
    read = await get_schema_record.asyncio(
        client=client, schema_id=schema_id, record_id=created[1].record_id
    )
    assert read.fields.to_dict() == {"city": {"value": "Gdansk"}}


async def test_paginating_voucher_pools_without_meta_reads_every_page(
    fake: FakeSynerise, client: SyneriseClient
) -> None:
    """Voucher lists page in X-Pagination-* headers without includeMeta: paginate still
    returns every pool, not only the first page."""
    from synerise_async.testing._handlers.loyalty import loyalty_store

    store = loyalty_store(fake.state)
    for number in range(7):
        store.add_pool(f"extra-{number}")
    expected = {pool["uuid"] for pool in store.pools.values()}
    assert len(expected) > 6
    seen = [pool.uuid async for pool in client.paginate(client.loyalty.list_pools, limit=3)]
    assert sorted(seen) == sorted(expected)
