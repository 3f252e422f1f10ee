"""Defects the fuzzer found in the fake, one test each, plus credentials and methods for every operation.

Each defect test failed before its fix: a 500 (int64 overflow, ``limit=0``, a newline in
a path, a malformed multipart part), a response the spec forbids (``EventClient`` ``{}``),
a rejection the spec did not allow (``EventTimestamp``, duplicate catalog names), a
wrong tracker key accepted, a 405 without ``Allow``.
"""

from __future__ import annotations

import re

import aiohttp
import pytest

from synerise_async.testing import FakeSynerise
from synerise_async.testing._spec import OperationSpec
from synerise_async.testing._state import parse_time

from .raw_http import SPEC, V4, error_of
from .raw_http import as_workspace as workspace

DOC = SPEC.document


# ---------------------------------------------------------------------- 500s


@pytest.mark.parametrize("value", ["-9223372036854775809", "9223372036854775808", "1" * 40])
async def test_an_id_beyond_int64_in_the_path_is_a_400(
    fake: FakeSynerise, http: aiohttp.ClientSession, value: str
) -> None:
    """A catalog id that does not fit the spec's int64 is a 400 naming the parameter, not a 500."""
    async with http.get(f"{fake.url}/catalogs/bags/{value}", headers=workspace(fake)) as resp:
        assert resp.status == 400
        body = await error_of(resp)
    assert body["errors"][0]["field"] == "catalogId"
    assert body["errors"][0]["rejectedValue"] == value


async def test_an_id_beyond_int64_in_a_body_is_a_400(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """An event whose client.id overflows int64 (JSON reads it as a float) is rejected, not stored."""
    raw = b'{"action": "a.b", "label": "x", "client": {"id": -9223372036854775809}}'
    headers = {**workspace(fake), "Content-Type": "application/json"}
    async with http.post(f"{fake.url}/v4/events/custom", data=raw, headers=headers) as resp:
        assert resp.status == 400
        body = await error_of(resp)
    assert body["errors"][0]["field"] == "client.id"
    assert len(fake.events) == 0


@pytest.mark.parametrize(
    "path", ["/brickworks/v1/schemas", "/brickworks/v1/schemas/faq-entries/records"]
)
async def test_limit_zero_is_a_400_the_spec_declares(
    fake: FakeSynerise, http: aiohttp.ClientSession, path: str
) -> None:
    """``limit=0`` on the Brickworks listings is refused with a 400 naming ``limit`` (the spec's minimum is 1)."""
    async with http.get(
        f"{fake.url}{path}", params={"limit": "0"}, headers=workspace(fake)
    ) as resp:
        assert resp.status == 400
        body = await error_of(resp)
    assert body["errors"][0]["field"] == "limit"


async def test_schema_listing_survives_limit_zero_without_the_spec_minimum(
    http: aiohttp.ClientSession,
) -> None:
    """With a document that allows ``limit=0``, the schema listing answers an empty page instead of dividing by zero."""
    import copy

    document = copy.deepcopy(dict(DOC))
    for param in document["paths"]["/brickworks/v1/schemas"]["get"]["parameters"]:
        if param.get("name") == "limit":
            param["schema"].pop("minimum")
    async with FakeSynerise(seed=2, spec=document) as fake:
        async with http.get(
            f"{fake.url}/brickworks/v1/schemas", params={"limit": "0"}, headers=workspace(fake)
        ) as resp:
            assert resp.status == 200
            body = await resp.json()
        assert fake.handler_errors == []
    assert body["data"] == []
    assert body["meta"]["pages"] == 0


@pytest.mark.parametrize("segment", ["%0A%C3%AC", "%F0%9F%98%80", "%E2%80%AE%00x", "%FF%FE"])
async def test_odd_unicode_in_a_path_parameter_gets_a_json_answer(
    fake: FakeSynerise, http: aiohttp.ClientSession, segment: str
) -> None:
    """Newlines, emoji, NULs and invalid UTF-8 in a path parameter reach the fake: a documented 404 with an error body."""
    url = f"{fake.url}/brickworks/v1/schemas/{segment}"
    async with http.get(url, headers=workspace(fake)) as resp:
        assert resp.status == 404
        await error_of(resp)


async def test_a_multipart_part_aiohttp_cannot_parse_is_a_400(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """A catalog upload whose part header has a control character is a 400, not a 500."""
    bag = next(iter(fake.catalogs.bags))
    boundary = "b0undary"
    raw = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="\x17"\r\n\r\nnull\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        f"item_key,title\nSKU-1,Hat\n\r\n--{boundary}--\r\n"
    ).encode()
    headers = {**workspace(fake), "Content-Type": f"multipart/form-data; boundary={boundary}"}
    url = f"{fake.url}/catalogs/bags/{bag}/items/upload"
    async with http.post(url, data=raw, headers=headers) as resp:
        assert resp.status == 400
        await error_of(resp)


async def test_an_extra_multipart_part_is_refused(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """The upload schema allows only ``file``: another part is a 400 naming it."""
    bag = next(iter(fake.catalogs.bags))
    form = aiohttp.FormData()
    form.add_field("file", b"item_key,title\nSKU-1,Hat\n", filename="a.csv")
    form.add_field("extra", "1")
    url = f"{fake.url}/catalogs/bags/{bag}/items/upload"
    async with http.post(url, data=form, headers=workspace(fake)) as resp:
        assert resp.status == 400
        body = await error_of(resp)
    assert body["errors"][0]["field"] == "extra"


# ---------------------------------------------------------------------- spec-valid answers


async def test_events_without_a_profile_are_listed_without_an_empty_client(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """An AI event naming no profile is listed without ``client`` (the spec's EventClient needs an identifier)."""
    url = f"{fake.url}/v4/events/ai-compat/recommendation.view"
    async with http.post(url, json={"campaignId": "c1"}, headers=workspace(fake)) as resp:
        assert resp.status == 202, await resp.text()
    async with http.get(f"{fake.url}/v4/events/all", headers=workspace(fake)) as resp:
        assert resp.status == 200, await resp.text()  # the fixture's fake validates its responses
        records = await resp.json()
    assert [r.get("client") for r in records] == [None]
    assert records[0]["params"] == {"campaignId": "c1"}


async def test_event_timestamp_is_not_held_to_a_format_the_spec_does_not_declare(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """An ``EventTimestamp`` that is not ISO 8601 (the spec gives it no format) is accepted and kept as sent."""
    url = f"{fake.url}/v4/events/ai-compat/recommendation.click"
    body = {"clientUUID": "u-1", "EventTimestamp": "yesterday", "item": "SKU-1"}
    async with http.post(url, json=body, headers=workspace(fake)) as resp:
        assert resp.status == 202, await resp.text()
    (event,) = list(fake.events)
    assert event.params["EventTimestamp"] == "yesterday"
    assert event.client == {"uuid": "u-1"}


async def test_batch_event_types_are_exactly_the_ones_the_spec_declares(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Every ``type`` the spec's pattern admits is accepted and stored; one outside it is a 400 from the schema."""
    pattern = DOC["components"]["schemas"]["BatchEventItem"]["properties"]["type"]["pattern"]
    kinds = re.fullmatch(r"\^\((.*)\)\$", pattern)
    assert kinds is not None
    declared = kinds.group(1).split("|")
    assert "custom" in declared and "added-to-cart" in declared
    batch = [
        {"type": kind, "label": kind, "client": {"customId": "c"}, "action": "x.y"}
        if kind == "custom"
        else {"type": kind, "label": kind, "client": {"customId": "c"}}
        for kind in declared
    ]
    async with http.post(f"{fake.url}/v4/events/batch", json=batch, headers=workspace(fake)) as r:
        assert r.status == 202, await r.text()
    assert len(fake.events) == len(declared)
    wrong = [{"type": "added_to_cart", "label": "x", "client": {"customId": "c"}}]
    async with http.post(f"{fake.url}/v4/events/batch", json=wrong, headers=workspace(fake)) as r:
        assert r.status == 400
        body = await error_of(r)
    assert body["errors"][0]["field"] == "[0].type"
    assert "pattern" in body["errors"][0]["message"]


async def test_catalog_names_need_not_be_unique(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Two catalogs with one name are both created: the spec states no uniqueness rule."""
    ids = []
    for _ in range(2):
        async with http.post(
            f"{fake.url}/catalogs/bags", json={"name": "twin"}, headers=workspace(fake)
        ) as resp:
            assert resp.status == 200, await resp.text()
            ids.append((await resp.json())["data"]["id"])
    assert ids[0] != ids[1]


async def test_a_missing_profile_is_a_documented_404(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Linking a device to a profile that does not exist is a 404 (now documented), not a disguised 400."""
    url = f"{fake.url}/v4/clients/1/linked-devices"
    body = {"registrationId": "r", "deviceId": "d"}
    async with http.post(url, json=body, headers=workspace(fake)) as resp:
        assert resp.status == 404, await resp.text()
        await error_of(resp)
    assert 404 in SPEC.operations["linkProfileDevice"].statuses


# ---------------------------------------------------------------------- credentials, methods


TRACKER_OPS = [op for op in SPEC.operations.values() if "TrackerKey" in op.security]


def concrete_path(op: OperationSpec) -> str:
    return re.sub(r"\{[^}]+\}", "1", op.path)


@pytest.mark.parametrize("op", TRACKER_OPS, ids=lambda op: op.operation_id)
async def test_a_wrong_tracker_key_is_refused_even_beside_a_valid_token(
    fake: FakeSynerise, http: aiohttp.ClientSession, op: OperationSpec
) -> None:
    """A tracker-key operation answers 401 to a wrong ``token``, alone or next to a valid JWT, and serves the right one."""
    url = fake.url + concrete_path(op)
    for headers in ({}, workspace(fake)):
        async with http.request(
            op.method, url, params={"token": "not-the-key"}, headers=headers
        ) as resp:
            assert resp.status == 401
            await error_of(resp)
    async with http.request(op.method, url, params={"token": fake.tracker_key}) as resp:
        assert resp.status not in (401, 403), await resp.text()


SECURED = sorted(
    (op for op in SPEC.operations.values() if op.security), key=lambda op: op.operation_id
)


async def test_every_secured_operation_refuses_missing_and_bad_credentials(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """No credentials, a foreign bearer token or wrong Basic credentials get a 401 with an ErrorResponse body, everywhere."""
    bad = [
        V4,
        {"Authorization": "Bearer not.a.jwt", **V4},
        {"Authorization": "Basic d3Jvbmc6Y3JlZGVudGlhbHM=", **V4},
    ]
    for op in SECURED:
        for headers in bad:
            if headers.get("Authorization", "").startswith("Basic") and "Basic" not in op.security:
                continue
            async with http.request(
                op.method, fake.url + concrete_path(op), headers=headers
            ) as resp:
                assert resp.status == 401, (op.operation_id, headers, await resp.text())
                await error_of(resp)
    assert fake.stats.unauthorized >= len(SECURED) * 2


async def test_an_unsupported_method_gets_405_with_allow(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Every path answers a method it does not serve with 405 and an ``Allow`` listing the methods it serves."""
    checked = 0
    for path, item in DOC["paths"].items():
        served = {m.upper() for m in item if m in ("get", "put", "post", "delete", "patch")}
        unserved = sorted({"GET", "PUT", "POST", "DELETE", "PATCH"} - served)
        if not unserved:
            continue
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        if SPEC.router.match(unserved[0], concrete)[0] is not None:
            continue  # a more general path serves that method (e.g. {itemId} matching "batch")
        async with http.request(unserved[0], fake.url + concrete, headers=workspace(fake)) as resp:
            assert resp.status == 405, (path, unserved[0], await resp.text())
            await error_of(resp)
            allowed = {m.strip() for m in resp.headers["Allow"].split(",")}
        assert served <= allowed, (path, allowed)
        checked += 1
    assert checked >= len(DOC["paths"]) * 0.9


@pytest.mark.parametrize("when", ["0999-05-01T10:00:00Z", "0001-01-01T00:00:00+14:00"])
async def test_events_from_the_edges_of_the_calendar_are_listed_with_valid_times(
    fake: FakeSynerise, http: aiohttp.ClientSession, when: str
) -> None:
    """An event timed before year 1000, or before year 1 in UTC, is listed with a date-time the spec accepts."""
    body = {"action": "a.b", "label": "x", "client": {"customId": "c"}, "time": when}
    async with http.post(f"{fake.url}/v4/events/custom", json=body, headers=workspace(fake)) as r:
        assert r.status == 202, await r.text()
    async with http.get(f"{fake.url}/v4/events/all", headers=workspace(fake)) as resp:
        assert resp.status == 200, await resp.text()  # the fixture's fake validates its responses
        (record,) = await resp.json()
    assert record["time"][:4] == when[:4]
    assert parse_time(record["time"]) == parse_time(when)


async def test_a_query_value_echoed_into_a_header_cannot_break_the_response(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """A ``sortBy`` with a control character is echoed percent-encoded in ``X-Pagination-Sorted-By``, not a dropped connection."""
    params = {"sortBy": "h\x1f\xa0", "includeMeta": "false"}
    url = f"{fake.url}/search/v2/suggestion-indices"
    async with http.get(url, params=params, headers=workspace(fake)) as resp:
        assert resp.status == 200, await resp.text()
        assert resp.headers["X-Pagination-Sorted-By"] == "h%1F%C2%A0"
