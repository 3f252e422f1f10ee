"""Logins, refreshes, MFA and workspace selection (``authorization.yaml``)."""

from __future__ import annotations

import hashlib
from typing import Any

from .._tokens import Principal
from ._base import ApiError, Ctx, Reply, bad_request, handles, not_found


def _count_login(ctx: Ctx, kind: str) -> None:
    stats = ctx.state.stats
    stats.logins += 1
    stats.logins_by_kind[kind] += 1


def _profile_token_body(ctx: Ctx, principal: Principal, origin: str) -> dict[str, Any]:
    token, expires = ctx.state.tokens.issue(principal)
    body: dict[str, Any] = {
        "token": token,
        "expiration": int(expires),
        "created": int(ctx.now * 1000),
        "origin": origin,
        "realm": "anonymous_client" if principal.kind == "anonymous" else "client",
    }
    custom_id = principal.claims.get("customId") if principal.claims else None
    if custom_id:
        body["customId"] = custom_id
    return body


# ---------------------------------------------------------------------- workspace


@handles("profileLogin", "profileLoginUsingPOST")
def workspace_login(ctx: Ctx) -> Any:
    api_key = ctx.body["apiKey"]
    if api_key not in ctx.state.workspace_api_keys:
        raise ApiError(401, "Invalid API key")
    principal = Principal(kind="workspace", credential=api_key, subject=ctx.state.workspace_guid)
    token, _ = ctx.state.tokens.issue(principal)
    _count_login(ctx, "workspace")
    return {"token": token}


@handles("profileAuthenticationRefreshUsingGET")
def workspace_refresh(ctx: Ctx) -> Any:
    principal = _require_principal(ctx, "workspace")
    token, _ = ctx.state.tokens.issue(_fresh(principal))
    ctx.state.stats.refreshes += 1
    return {"token": token}


def _fresh(principal: Principal) -> Principal:
    return Principal(
        kind=principal.kind,
        credential=principal.credential,
        subject=principal.subject,
        workspace_selected=principal.workspace_selected,
        mfa_pending=principal.mfa_pending,
        claims={k: v for k, v in principal.claims.items() if k == "customId"},
    )


def _require_principal(ctx: Ctx, *kinds: str) -> Principal:
    principal = ctx.principal
    if principal is None or principal.kind not in kinds:
        raise ApiError(403, "This operation is not available to these credentials")
    return principal


@handles("checkPermissions")
def check_permissions(ctx: Ctx) -> Any:
    return {
        "businessProfileName": ctx.state.workspace_name,
        "permissions": dict.fromkeys(ctx.body, True),
    }


# ---------------------------------------------------------------------- profiles


def _check_profile_key(ctx: Ctx, api_key: str) -> None:
    if api_key != ctx.state.profile_api_key:
        raise ApiError(401, "Invalid API key")


def _profile_principal(ctx: Ctx, account: dict[str, Any]) -> Principal:
    return Principal(
        kind="profile",
        credential=ctx.state.profile_api_key,
        subject=str(account["uuid"]),
        claims={"customId": account.get("customId")} if account.get("customId") else {},
    )


def _find_account(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any] | None:
    accounts = ctx.state.profile_accounts
    for field in ("email", "customId", "uuid"):
        value = body.get(field)
        if value is None:
            continue
        for account in accounts.values():
            if account.get(field) == value:
                return account
    return None


def _login_account(ctx: Ctx, body: dict[str, Any], *, create: bool) -> tuple[dict[str, Any], str]:
    _check_profile_key(ctx, body["apiKey"])
    provider = body.get("identityProvider", "SYNERISE")
    account = _find_account(ctx, body)
    if provider == "SYNERISE":
        if "password" not in body or not ({"email", "customId"} & body.keys()):
            raise bad_request("SYNERISE logins need password and email (or customId)", "password")
        if account is None or account.get("password") != body["password"]:
            raise ApiError(401, "Bad credentials")
        return account, provider
    token = body.get("identityProviderToken")
    if not token:
        raise bad_request("is required for this identity provider", "identityProviderToken")
    if account is None:
        if not create:
            raise ApiError(401, "No account exists for this profile")
        account = ctx.state.add_profile_account(
            email=body.get("email"),
            password=None,
            uuid=body.get("uuid"),
            custom_id=body.get("customId"),
            external=hashlib.sha256(str(token).encode()).hexdigest()[:16],
        )
    return account, provider


@handles("authenticateUsingPOST_v3")
def profile_login(ctx: Ctx) -> Any:
    account, provider = _login_account(ctx, ctx.body, create=True)
    _count_login(ctx, "profile")
    return _profile_token_body(ctx, _profile_principal(ctx, account), provider)


@handles("logInProfileServerSide")
def profile_login_server_side(ctx: Ctx) -> Any:
    account, provider = _login_account(ctx, ctx.body, create=True)
    _count_login(ctx, "profile")
    return _profile_token_body(ctx, _profile_principal(ctx, account), provider)


@handles("logInConditionallyV3")
def profile_login_conditional(ctx: Ctx) -> Any:
    account, provider = _login_account(ctx, ctx.body, create=False)
    _count_login(ctx, "profile")
    body = _profile_token_body(ctx, _profile_principal(ctx, account), provider)
    return {"conditions": [], "status": "SUCCESS", **body}


@handles("LogInAnonymouslyV3", "logInAnonymouslyV2")
def anonymous_login(ctx: Ctx) -> Any:
    _check_profile_key(ctx, ctx.body["apiKey"])
    principal = Principal(
        kind="anonymous", credential=ctx.state.profile_api_key, subject=str(ctx.body["uuid"])
    )
    _count_login(ctx, "anonymous")
    return _profile_token_body(ctx, principal, "ANONYMOUS")


@handles("RefreshAClientTokenV3", "RefreshAClientToken")
def profile_refresh(ctx: Ctx) -> Any:
    principal = _require_principal(ctx, "profile", "anonymous")
    if isinstance(ctx.body, dict):
        _check_profile_key(ctx, ctx.body["apiKey"])
    ctx.state.stats.refreshes += 1
    origin = "ANONYMOUS" if principal.kind == "anonymous" else "SYNERISE"
    return _profile_token_body(ctx, _fresh(principal), origin)


@handles("RegisterAClient")
def register_profile(ctx: Ctx) -> Any:
    body = ctx.body
    if "email" not in body or "password" not in body:
        raise bad_request("email and password are required to register", "email")
    if _find_account(ctx, {"email": body["email"]}) is not None:
        raise bad_request("an account with this email already exists", "email", body["email"])
    ctx.state.add_profile_account(
        email=body["email"],
        password=body["password"],
        uuid=body.get("uuid"),
        custom_id=body.get("customId"),
    )
    ctx.state.profiles.upsert({k: v for k, v in body.items() if k != "password"})
    return Reply()


# ---------------------------------------------------------------------- users


def _consumer(ctx: Ctx, selected: bool) -> dict[str, Any]:
    state = ctx.state
    return {
        "type": "USER",
        "businessProfileId": state.workspace_id if selected else None,
        "name": state.user_email,
        "id": state.user_id,
        "authorities": list(state.user_authorities) if selected else [],
        "roles": "25" if selected else "-2",
    }


def _user_principal(ctx: Ctx, *, mfa_pending: bool, selected: bool) -> Principal:
    return Principal(
        kind="user",
        credential=ctx.state.user_email,
        subject=str(ctx.state.user_id),
        workspace_selected=selected,
        mfa_pending=mfa_pending,
    )


@handles("userLogin")
def user_login(ctx: Ctx) -> Any:
    state = ctx.state
    if ctx.body["username"] != state.user_email or ctx.body["password"] != state.user_password:
        raise ApiError(401, "Bad credentials")
    pending = bool(state.mfa_methods)
    token, _ = state.tokens.issue(_user_principal(ctx, mfa_pending=pending, selected=False))
    _count_login(ctx, "user")
    return {
        "token": token,
        "consumer": _consumer(ctx, selected=False),
        "mfaMethods": list(state.mfa_methods),
    }


@handles("verifyUserMfa")
def verify_mfa(ctx: Ctx) -> Any:
    state = ctx.state
    _require_principal(ctx, "user")
    method = ctx.query["mfaType"]
    if state.mfa_methods and method not in state.mfa_methods:
        raise bad_request("is not enabled for this user", "mfaType", method)
    if ctx.body["verificationCode"] != state.mfa_code:
        raise ApiError(401, "Invalid verification code")
    token, _ = state.tokens.issue(_user_principal(ctx, mfa_pending=False, selected=False))
    state.stats.mfa_verifications += 1
    return {"token": token, "consumer": _consumer(ctx, selected=False), "mfaMethods": []}


def _select(ctx: Ctx) -> Any:
    state = ctx.state
    token, _ = state.tokens.issue(_user_principal(ctx, mfa_pending=False, selected=True))
    state.stats.workspace_selections += 1
    return {"token": token, "consumer": _consumer(ctx, selected=True), "mfaMethods": []}


@handles("selectWorkspace")
def select_workspace(ctx: Ctx) -> Any:
    _require_principal(ctx, "user")
    if str(ctx.path["businessProfileUUID"]).lower() != ctx.state.workspace_guid.lower():
        raise not_found("Workspace")
    return _select(ctx)


@handles("selectWorkspaceLegacy")
def select_workspace_legacy(ctx: Ctx) -> Any:
    _require_principal(ctx, "user")
    if ctx.path["id"] != ctx.state.workspace_id:
        raise not_found("Workspace")
    return _select(ctx)


@handles("listWorkspaces")
def list_workspaces(ctx: Ctx) -> Any:
    state = ctx.state
    return [
        {
            "name": state.workspace_name,
            "subdomain": state.workspace_subdomain,
            "logo": f"https://upload.snrcdn.net/{state.workspace_subdomain}/logo.png",
            "hash": state.workspace_guid.replace("-", ""),
            "guid": state.workspace_guid,
            "created": int(state.started_at * 1000),
            "updated": int(state.started_at * 1000),
        }
    ]


@handles("listWorkspaceIds")
def list_workspace_ids(ctx: Ctx) -> Any:
    return [
        {
            "id": ctx.state.workspace_id,
            "ipRestriction": "OFF",
            "mfaRestriction": "OFF",
            "favorite": True,
        }
    ]


@handles("getCurrentBusinessProfileUsingGET")
def current_workspace(ctx: Ctx) -> Any:
    state = ctx.state
    principal = ctx.principal
    selected = principal is not None and principal.workspace_selected
    if not selected:
        return {"selected": False}
    return {
        "selected": True,
        "data": {
            "id": state.workspace_id,
            "name": state.workspace_name,
            "logo": f"https://upload.snrcdn.net/{state.workspace_subdomain}/logo.png",
            "businessProfileGuid": state.workspace_guid,
            "created": state.started_iso,
            "subdomain": state.workspace_subdomain,
            "ipRestriction": "OFF",
            "mfaRestriction": "OFF",
            "labels": ["fake"],
            "emailAttributeName": "email",
            "organizationGuid": state.organization_guid,
        },
    }
