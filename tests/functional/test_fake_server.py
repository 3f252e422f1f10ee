"""The fake Synerise itself, driven with raw aiohttp requests (no SDK in between)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import io
import os
import signal
import sys
from typing import Any

import aiohttp
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from synerise_async.testing import FakeSynerise

V4 = {"Api-Version": "4.4"}
EVENT = {"action": "page.visit", "label": "Home", "client": {"uuid": "u-1"}}


async def login(http: aiohttp.ClientSession, fake: FakeSynerise) -> dict[str, str]:
    async with http.post(
        fake.url + "/uauth/v2/auth/login/profile", json={"apiKey": fake.api_key}, headers=V4
    ) as resp:
        assert resp.status == 200, await resp.text()
        token = (await resp.json())["token"]
    return {"Authorization": f"Bearer {token}", **V4}


async def call(
    http: aiohttp.ClientSession, fake: FakeSynerise, method: str, path: str, **kwargs: Any
) -> tuple[int, Any, Any]:
    async with http.request(method, fake.url + path, **kwargs) as resp:
        body = await resp.json() if resp.content_type == "application/json" else await resp.text()
        return resp.status, body, resp.headers


def assert_error_body(body: Any, status: int, path: str) -> None:
    assert set(body) == {"timestamp", "status", "error", "message", "path", "errors"}
    assert body["status"] == status
    assert body["path"] == path
    dt.datetime.fromisoformat(body["timestamp"])


# ---------------------------------------------------------------------- lifecycle and auth


async def test_fake_starts_on_a_free_loopback_port_and_stops_cleanly() -> None:
    """Two fakes get different loopback ports and their URLs stop answering after exit."""
    async with FakeSynerise() as one, FakeSynerise() as two:
        assert one.url.startswith("http://127.0.0.1:") and one.port != two.port
        url = one.url
    with pytest.raises(RuntimeError):
        _ = one.url
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(url + "/v4/clients")


async def test_workspace_login_issues_rs512_jwt_with_configured_lifetime(
    http: aiohttp.ClientSession,
) -> None:
    """A workspace login returns an RS512 JWT, signed by fake.public_key_pem, living token_lifetime seconds."""
    async with FakeSynerise(token_lifetime=2.5) as fake:
        status, body, _ = await call(
            http,
            fake,
            "POST",
            "/uauth/v2/auth/login/profile",
            json={"apiKey": fake.api_key},
            headers=V4,
        )
        assert status == 200 and set(body) == {"token"}
        claims = jwt.decode(
            body["token"], fake.public_key_pem, algorithms=["RS512"], audience="API"
        )
        assert claims["exp"] - claims["iat"] == pytest.approx(2.5)
        assert fake.stats.logins == 1 and fake.stats.logins_by_kind["workspace"] == 1


async def test_wrong_api_key_is_401_with_synerise_error_body(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Logging in with an unknown API key answers 401 with the Synerise error body."""
    path = "/uauth/v2/auth/login/profile"
    status, body, _ = await call(http, fake, "POST", path, json={"apiKey": "nope"}, headers=V4)
    assert status == 401
    assert_error_body(body, 401, path)
    assert fake.stats.logins == 0 and fake.stats.unauthorized == 1


@pytest.mark.parametrize("kind", ["expired", "malformed", "foreign", "missing", "revoked"])
async def test_bad_bearer_tokens_are_401(kind: str, http: aiohttp.ClientSession) -> None:
    """Expired, malformed, foreign-signed, missing and revoked tokens are all answered 401."""
    async with FakeSynerise(token_lifetime=0.05) as fake:
        headers = await login(http, fake)
        if kind == "expired":
            await asyncio.sleep(0.06)
        elif kind == "malformed":
            headers["Authorization"] = "Bearer not.a.jwt"
        elif kind == "foreign":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            forged = jwt.encode({"sub": "x", "exp": 9e9}, key, algorithm="RS512")
            headers["Authorization"] = f"Bearer {forged}"
        elif kind == "missing":
            del headers["Authorization"]
        else:
            fake.faults.token_lifetime = 60
            headers = await login(http, fake)
            assert fake.revoke_tokens() >= 1
        status, body, _ = await call(
            http, fake, "GET", "/automation-brain/v2/diagrams", headers=headers
        )
        assert status == 401, body
        assert_error_body(body, 401, "/automation-brain/v2/diagrams")


async def test_basic_auth_accepts_guid_and_key_only(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Basic base64(workspaceGuid:apiKey) is accepted without a login; a wrong pair is 401."""
    good = base64.b64encode(f"{fake.workspace_guid}:{fake.api_key}".encode()).decode()
    bad = base64.b64encode(f"{fake.workspace_guid}:wrong".encode()).decode()
    status, _, _ = await call(
        http,
        fake,
        "GET",
        "/automation-brain/v2/diagrams",
        headers={"Authorization": f"Basic {good}"},
    )
    assert status == 200
    status, _, _ = await call(
        http,
        fake,
        "GET",
        "/automation-brain/v2/diagrams",
        headers={"Authorization": f"Basic {bad}"},
    )
    assert status == 401
    assert fake.stats.logins == 0


async def test_user_login_requires_mfa_then_workspace_selection(
    http: aiohttp.ClientSession,
) -> None:
    """A user token is usable for workspace calls only after MFA and workspace selection."""
    async with FakeSynerise(mfa=True) as fake:
        status, body, _ = await call(
            http,
            fake,
            "POST",
            "/uauth/auth/login/user",
            json={"username": fake.user_email, "password": fake.user_password},
        )
        assert status == 200 and body["mfaMethods"] == ["TOTP_AUTHENTICATOR"]
        pending = {"Authorization": f"Bearer {body['token']}"}
        status, _, _ = await call(
            http, fake, "GET", "/automation-brain/v2/diagrams", headers=pending
        )
        assert status == 403
        status, body, _ = await call(
            http,
            fake,
            "POST",
            "/uauth/auth/login/user/mfa/verification",
            params={"mfaType": "TOTP_AUTHENTICATOR"},
            json={"verificationCode": "000000"},
            headers=pending,
        )
        assert status == 401
        status, body, _ = await call(
            http,
            fake,
            "POST",
            "/uauth/auth/login/user/mfa/verification",
            params={"mfaType": "TOTP_AUTHENTICATOR"},
            json={"verificationCode": fake.mfa_code},
            headers=pending,
        )
        assert status == 200 and body["mfaMethods"] == []
        verified = {"Authorization": f"Bearer {body['token']}"}
        status, _, _ = await call(
            http, fake, "GET", "/automation-brain/v2/diagrams", headers=verified
        )
        assert status == 403
        status, body, _ = await call(
            http,
            fake,
            "POST",
            f"/uauth/auth/login/user/profile/{fake.workspace_guid}",
            headers=verified,
        )
        assert status == 200 and body["consumer"]["businessProfileId"] == fake.workspace_id
        selected = {"Authorization": f"Bearer {body['token']}"}
        status, _, _ = await call(
            http, fake, "GET", "/automation-brain/v2/diagrams", headers=selected
        )
        assert status == 200
        assert (
            fake.stats.logins,
            fake.stats.mfa_verifications,
            fake.stats.workspace_selections,
        ) == (1, 1, 1)


async def test_profile_login_refresh_and_anonymous_login(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Profile and anonymous logins return ProfileTokenResponse and a valid token refreshes."""
    status, body, _ = await call(
        http,
        fake,
        "POST",
        "/sauth/v3/auth/login/client",
        json={
            "apiKey": fake.profile_api_key,
            "identityProvider": "SYNERISE",
            "email": fake.profile_email,
            "password": fake.profile_password,
        },
    )
    assert status == 200 and {"token", "expiration", "created", "realm"} <= set(body)
    status, refreshed, _ = await call(
        http,
        fake,
        "POST",
        "/sauth/v3/auth/refresh/client",
        json={"apiKey": fake.profile_api_key},
        headers={"Authorization": f"Bearer {body['token']}"},
    )
    assert status == 200 and refreshed["token"] != body["token"]
    status, anonymous, _ = await call(
        http,
        fake,
        "POST",
        "/sauth/v3/auth/login/client/anonymous",
        json={"apiKey": fake.profile_api_key, "uuid": "07243772-008a-42e1-ba37-c3807cebde8f"},
    )
    assert status == 200 and anonymous["realm"] == "anonymous_client"
    status, _, _ = await call(
        http,
        fake,
        "POST",
        "/sauth/v3/auth/login/client",
        json={
            "apiKey": fake.profile_api_key,
            "identityProvider": "SYNERISE",
            "email": fake.profile_email,
            "password": "wrong",
        },
    )
    assert status == 401
    assert (fake.stats.logins, fake.stats.refreshes) == (2, 1)


async def test_profile_token_cannot_call_workspace_operations(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """An operation documented for Workspace consumers answers 403 to a profile token."""
    token = fake.issue_token("profile")
    status, body, _ = await call(
        http,
        fake,
        "POST",
        "/v4/events/custom",
        json=EVENT,
        headers={"Authorization": f"Bearer {token}", **V4},
    )
    assert status == 403, body


# ---------------------------------------------------------------------- spec checks


async def test_unknown_and_invalid_query_parameters_are_400(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Unknown names, non-integers, enum violations and out-of-range values are each reported."""
    headers = await login(http, fake)
    status, body, _ = await call(
        http,
        fake,
        "GET",
        "/automation-brain/v2/diagrams",
        params={"bogus": "1", "page": "x", "status": "Sleeping", "limit": "0"},
        headers=headers,
    )
    assert status == 400
    fields = {e["field"]: e for e in body["errors"]}
    assert set(fields) == {"bogus", "page", "status", "limit"}
    assert fields["page"]["rejectedValue"] == "x"
    assert fake.stats.rejected == 1


async def test_invalid_bodies_are_400_with_field_errors(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Missing required fields, wrong types and pattern violations give errors[] with field and rejectedValue."""
    headers = await login(http, fake)
    bad = {"action": "no spaces allowed", "label": 5, "params": []}
    status, body, _ = await call(http, fake, "POST", "/v4/events/custom", json=bad, headers=headers)
    assert status == 400
    errors = {e["field"]: e for e in body["errors"]}
    assert errors["client"]["message"] == "is required"
    assert errors["label"]["rejectedValue"] == 5
    assert "pattern" in errors["action"]["message"]
    assert "params" in errors
    assert len(fake.events) == 0


async def test_malformed_json_wrong_media_type_and_missing_api_version(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Broken JSON is 400, a non-JSON content type 415, and a /v4 call without Api-Version 400."""
    headers = await login(http, fake)
    status, _, _ = await call(
        http,
        fake,
        "POST",
        "/v4/events/custom",
        data=b"{nope",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert status == 400
    status, _, _ = await call(
        http,
        fake,
        "POST",
        "/v4/events/custom",
        data=b"action=x",
        headers={**headers, "Content-Type": "text/plain"},
    )
    assert status == 415
    no_version = {"Authorization": headers["Authorization"]}
    status, body, _ = await call(
        http, fake, "POST", "/v4/events/custom", json=EVENT, headers=no_version
    )
    assert status == 400 and body["errors"][0]["field"] == "Api-Version"


async def test_unknown_path_is_404_and_wrong_method_405(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Paths outside the spec are 404 and a known path with an undocumented method 405."""
    status, body, _ = await call(http, fake, "GET", "/no/such/endpoint")
    assert status == 404
    assert_error_body(body, 404, "/no/such/endpoint")
    status, _, _ = await call(http, fake, "DELETE", "/automation-brain/v2/diagrams")
    assert status == 405


async def test_batch_limits_1000_events_and_1_mib(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """A batch of 1001 events or of more than 1 MiB is rejected whole; 1000 small events are accepted."""
    headers = await login(http, fake)
    item = {"type": "custom", **EVENT}
    status, body, _ = await call(
        http, fake, "POST", "/v4/events/batch", json=[item] * 1001, headers=headers
    )
    assert status == 400 and "1000" in body["errors"][0]["message"]
    big = orjson.dumps([{**item, "params": {"blob": "x" * 2000}} for _ in range(600)])
    assert len(big) > 1024 * 1024
    status, body, _ = await call(
        http,
        fake,
        "POST",
        "/v4/events/batch",
        data=io.BytesIO(big),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert status == 400 and "1048576" in body["message"]
    assert len(fake.events) == 0
    status, _, _ = await call(
        http, fake, "POST", "/v4/events/batch", json=[item] * 1000, headers=headers
    )
    assert status == 202
    assert len(fake.events) == 1000


async def test_deprecated_operation_answers_with_x_api_deprecated(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """A spec operation marked deprecated carries the X-API-DEPRECATED header."""
    status, _, headers = await call(
        http, fake, "POST", "/v4/auth/login/profile", json={"apiKey": fake.api_key}, headers=V4
    )
    assert status == 200 and "X-API-DEPRECATED" in headers
    status, _, headers = await call(
        http,
        fake,
        "POST",
        "/uauth/v2/auth/login/profile",
        json={"apiKey": fake.api_key},
        headers=V4,
    )
    assert status == 200 and "X-API-DEPRECATED" not in headers


# ---------------------------------------------------------------------- stores


async def test_salted_events_overwrite_and_unsalted_events_accumulate(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Same action, time and eventSalt overwrite (even with another time spelling); no salt means a new event."""
    headers = await login(http, fake)
    salted = {**EVENT, "time": "2024-03-18T10:15:30Z", "eventSalt": "s-1"}
    for variant in (salted, {**salted, "time": "2024-03-18T11:15:30.000+01:00"}, salted):
        assert (await call(http, fake, "POST", "/v4/events/custom", json=variant, headers=headers))[
            0
        ] == 202
    for _ in range(2):
        assert (await call(http, fake, "POST", "/v4/events/custom", json=EVENT, headers=headers))[
            0
        ] == 202
    other_time = {**salted, "time": "2024-03-18T10:15:31Z"}
    assert (await call(http, fake, "POST", "/v4/events/custom", json=other_time, headers=headers))[
        0
    ] == 202
    assert len(fake.events) == 4
    assert (
        fake.stats.events_received,
        fake.stats.events_stored,
        fake.stats.events_overwritten,
    ) == (6, 4, 2)
    assert fake.events.count("page.visit", uuid="u-1") == 4


async def test_typed_event_and_transaction_are_stored(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Typed endpoints record their own action; transactions follow the salt rule in their own store."""
    headers = await login(http, fake)
    body = {"label": "Cart", "client": {"customId": "c1"}, "params": {"sku": "A"}}
    assert (await call(http, fake, "POST", "/v4/events/added-to-cart", json=body, headers=headers))[
        0
    ] == 202
    assert fake.events.count("product.addToCart") == 1
    tx = {
        "client": {"customId": "c1"},
        "orderId": "o-1",
        "eventSalt": "tx-1",
        "recordedAt": "2024-01-01T00:00:00Z",
    }
    for _ in range(3):
        assert (await call(http, fake, "POST", "/v4/transactions", json=tx, headers=headers))[
            0
        ] == 202
    assert len(fake.transactions) == 1 and fake.stats.transactions_overwritten == 2


async def test_usage_statistics_count_ingested_events(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """newDataPoints reports today's stored events by action, overwrites not counted twice."""
    headers = await login(http, fake)
    batch = [
        {"type": "custom", **EVENT, "eventSalt": f"s{i}", "time": "2024-01-01T00:00:00Z"}
        for i in range(30)
    ]
    batch += [{"type": "custom", **EVENT, "action": "cart.open"}] * 5
    for _ in range(2):
        assert (await call(http, fake, "POST", "/v4/events/batch", json=batch, headers=headers))[
            0
        ] == 202
    today = dt.datetime.now(dt.UTC).date().isoformat()
    user = fake.issue_token("user")
    status, body, _ = await call(
        http,
        fake,
        "POST",
        "/business-profile-service/organizations/usage/stats/newDataPoints",
        json={"from": today, "to": today, "actions": ["page.visit"]},
        headers={"Authorization": f"Bearer {user}"},
    )
    assert status == 200, body
    day = body[0]["dailyUsageStatistics"]
    assert day["events"] == {"page.visit": 30} and day["other"] == 10 and day["total"] == 40


async def test_stopped_workflow_cannot_run_again(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """Run, pause and stop change a workflow's state; running a stopped workflow is 400."""
    headers = await login(http, fake)
    workflow = next(w for w in fake.workflows if w.status == "Draft")
    base = f"/automation-brain/diagrams/{workflow.id}"
    assert (
        await call(
            http, fake, "POST", base + "/run", json={"scheduleAction": "Off"}, headers=headers
        )
    )[0] == 200
    assert workflow.status == "Active" and workflow.data["scheduleStatus"] == "Off"
    assert (await call(http, fake, "POST", base + "/pause", headers=headers))[0] == 200
    assert workflow.status == "Paused"
    assert (await call(http, fake, "POST", base + "/schedule-on", headers=headers))[0] == 200
    assert workflow.data["scheduleStatus"] == "On"
    assert (await call(http, fake, "POST", base + "/stop", headers=headers))[0] == 200
    status, body, _ = await call(http, fake, "POST", base + "/run", headers=headers)
    assert status == 400 and "stopped" in body["message"]
    status, stats, _ = await call(http, fake, "GET", base + "/statistics", headers=headers)
    assert (
        status == 200 and stats["inProgress"] == 0 and set(stats["blocks"]) == set(workflow.blocks)
    )
    status, _, _ = await call(
        http, fake, "POST", "/automation-brain/diagrams/no-such-id/run", headers=headers
    )
    assert status == 404


async def test_profiles_create_get_update_delete(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """A created profile can be found, updated, tagged and deleted; a second create updates it."""
    headers = await login(http, fake)
    before = len(fake.profiles)
    for city in ("Gdansk", "Poznan"):
        body = {"email": "new@example.com", "firstName": "New", "city": city}
        assert (await call(http, fake, "POST", "/v4/clients", json=body, headers=headers))[0] == 202
    assert len(fake.profiles) == before + 1
    status, profile, _ = await call(
        http, fake, "GET", "/v4/clients/by-email/new@example.com", headers=headers
    )
    assert status == 200 and profile["city"] == "Poznan"
    path = f"/v4/clients/{profile['clientId']}"
    assert (await call(http, fake, "POST", path, json={"lastName": "Person"}, headers=headers))[
        0
    ] == 202
    assert (await call(http, fake, "POST", path + "/tags/1021", headers=headers))[0] == 200
    status, tags, _ = await call(http, fake, "GET", path + "/tags", headers=headers)
    assert [t["name"] for t in tags] == ["vip"]
    assert (await call(http, fake, "DELETE", path, headers=headers))[0] == 202
    assert (await call(http, fake, "GET", path, headers=headers))[0] == 404


# ---------------------------------------------------------------------- faults


async def test_injected_429_with_and_without_retry_after(http: aiohttp.ClientSession) -> None:
    """rate_429=1 answers every call 429, with Retry-After only when retry_after is set."""
    async with FakeSynerise(rate_429=1.0) as fake:
        headers = await login(http, fake)
        status, body, resp_headers = await call(http, fake, "GET", "/v4/clients", headers=headers)
        assert status == 429 and "Retry-After" not in resp_headers
        assert_error_body(body, 429, "/v4/clients")
        fake.faults.retry_after = 2
        _, _, resp_headers = await call(http, fake, "GET", "/v4/clients", headers=headers)
        assert resp_headers["Retry-After"] == "2"
        assert fake.stats.faults_injected["429"] == 2 and fake.stats.logins == 1


async def test_login_is_exempt_from_faults_unless_faults_on_auth(
    http: aiohttp.ClientSession,
) -> None:
    """With faults_on_auth=False logins never fail; with it set they get the faults too."""
    async with FakeSynerise(rate_5xx=1.0) as fake:
        await login(http, fake)
        fake.faults.faults_on_auth = True
        status, _, _ = await call(
            http,
            fake,
            "POST",
            "/uauth/v2/auth/login/profile",
            json={"apiKey": fake.api_key},
            headers=V4,
        )
        assert status == 503 and fake.stats.faults_injected["5xx"] == 1


async def test_drop_before_stores_nothing_and_drop_after_stores_once(
    http: aiohttp.ClientSession,
) -> None:
    """drop_before closes the connection unprocessed; drop_after stores the event, then closes."""
    async with FakeSynerise() as fake:
        headers = await login(http, fake)
        with fake.faults.override(drop_before=1.0):
            with pytest.raises(aiohttp.ClientConnectionError):
                await call(http, fake, "POST", "/v4/events/custom", json=EVENT, headers=headers)
        assert len(fake.events) == 0
        with fake.faults.override(drop_after=1.0):
            with pytest.raises(aiohttp.ClientConnectionError):
                await call(http, fake, "POST", "/v4/events/custom", json=EVENT, headers=headers)
        assert len(fake.events) == 1
        assert (
            fake.stats.faults_injected["drop_before"] == 1
            and fake.stats.faults_injected["drop_after"] == 1
        )
        assert fake.faults.drop_after == 0.0


async def test_latency_is_added(http: aiohttp.ClientSession) -> None:
    """latency delays every response by at least that many seconds."""
    async with FakeSynerise(latency=0.05) as fake:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await login(http, fake)
        assert loop.time() - started >= 0.05
        assert fake.stats.faults_injected["latency"] == 1


async def test_per_key_rate_limit_answers_429_with_retry_after(http: aiohttp.ClientSession) -> None:
    """Beyond rate_limit_per_second a credential gets 429 with Retry-After and retry-after-ms."""
    async with FakeSynerise(rate_limit_per_second=5) as fake:
        headers = await login(http, fake)
        statuses = [
            (await call(http, fake, "GET", "/v4/clients/tags", headers=headers)) for _ in range(8)
        ]
        limited = [h for s, _, h in statuses if s == 429]
        assert len(limited) >= 2
        assert int(limited[0]["Retry-After"]) >= 1 and 0 < int(limited[0]["retry-after-ms"]) <= 1000
        assert fake.stats.faults_injected["rate_limit"] == len(limited)


async def test_fault_draws_are_reproducible_with_a_seed(http: aiohttp.ClientSession) -> None:
    """Two fakes with the same seed inject the same faults into the same request sequence."""
    outcomes = []
    for _ in range(2):
        async with FakeSynerise(seed=42, rate_429=0.3, rate_5xx=0.2) as fake:
            headers = await login(http, fake)
            outcomes.append(
                [
                    (await call(http, fake, "GET", "/v4/clients/tags", headers=headers))[0]
                    for _ in range(30)
                ]
            )
    assert outcomes[0] == outcomes[1] and {429, 503, 200} <= set(outcomes[0])


async def test_control_endpoint_reports_stats_and_sets_faults(
    fake: FakeSynerise, http: aiohttp.ClientSession
) -> None:
    """/__fake__/stats serves the counters and /__fake__/faults changes knobs at run time."""
    await login(http, fake)
    status, body, _ = await call(http, fake, "GET", "/__fake__/stats")
    assert status == 200 and body["logins"] == 1
    status, body, _ = await call(http, fake, "POST", "/__fake__/faults", json={"rate_429": 0.5})
    assert status == 200 and body["rate_429"] == 0.5 and fake.faults.rate_429 == 0.5
    status, _, _ = await call(http, fake, "POST", "/__fake__/faults", json={"rate_429": 7})
    assert status == 400


async def test_command_line_prints_url_and_key_and_serves_until_interrupted() -> None:
    """`python -m synerise_async.testing --port 0` prints the URL and API key, serves, and exits on SIGINT."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "synerise_async.testing",
        "--port",
        "0",
        "--rate-429",
        "0.1",
        "--seed",
        "3",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "error::ResourceWarning"},
    )
    try:
        assert proc.stdout is not None
        url_line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        key_line = (await asyncio.wait_for(proc.stdout.readline(), 5)).decode().strip()
        assert url_line.startswith("SYNERISE_BASE_URL=http://127.0.0.1:")
        url, key = url_line.split("=", 1)[1], key_line.split("=", 1)[1]
        async with aiohttp.ClientSession() as http:
            async with http.post(
                url + "/uauth/v2/auth/login/profile", json={"apiKey": key}, headers=V4
            ) as resp:
                assert resp.status == 200
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert b'"logins": 1' in out


def test_invalid_fault_settings_are_rejected() -> None:
    """Probabilities outside [0, 1] and negative latencies are refused at construction and at run time."""
    with pytest.raises(ValueError, match="rate_429"):
        FakeSynerise(rate_429=1.5)
    fake = FakeSynerise()
    with pytest.raises(ValueError, match="latency"):
        fake.faults.latency = -1
    with pytest.raises(AttributeError):
        fake.faults.update(rate_430=0.1)


async def test_private_key_option_signs_with_the_given_key() -> None:
    """A caller-supplied PEM key signs the tokens, so tokens verify across restarts."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    async with FakeSynerise(private_key=pem) as fake:
        token = fake.issue_token()
        jwt.decode(token, key.public_key(), algorithms=["RS512"], audience="API")
