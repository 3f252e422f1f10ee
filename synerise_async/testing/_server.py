"""FakeSynerise: an aiohttp.web server on loopback that behaves like the Synerise API.

One request goes: route by the spec (404/405) -> added latency -> injected faults
(dropped connection, 429, 503) -> authentication (401/403) -> the per-key rate limit
(429) -> parameter and body checks against the spec (400/415) -> the operation's handler
(or the documented example) -> maybe drop the connection after processing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import random
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Final
from urllib.parse import quote

import attrs
import orjson
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ._fake_state import FakeState
from ._faults import Faults, RateLimiter
from ._handlers import HANDLERS, NO_BODY, ApiError, Ctx, Reply
from ._handlers.automation import WorkflowStore
from ._handlers.brickworks import BrickworksStore
from ._handlers.catalogs import CatalogStore
from ._handlers.profiles import ProfileStore
from ._handlers.search import SearchStore
from ._schema import Problem
from ._spec import OperationSpec, Spec, load_spec
from ._state import EventStore, FakeStats
from ._tokens import KeyPair, Principal, TokenError, TokenIssuer, basic_credentials

__all__ = ["FakeSynerise"]

logger = logging.getLogger("synerise_async.testing")

MAX_REQUEST_BYTES: Final = 32 * 1024 * 1024
_REASONS: Final = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_CONSUMERS: Final = {
    "workspace": frozenset({"Workspace", "Workspace (Business Profile)"}),
    "profile": frozenset({"Profile"}),
    "anonymous": frozenset({"Anonymous Profile", "Profile"}),
    "user": frozenset({"Synerise User", "Workspace", "Workspace (Business Profile)"}),
    "tracker": frozenset({"Web SDK Tracker"}),
}
_USER_UNSELECTED_TAGS: Final = frozenset({"Authorization", "Workspaces"})
DEPRECATION_NOTICE: Final = (
    "This endpoint is deprecated and may be removed; see the API reference for its replacement"
)


class _Dropped(Exception):
    """The connection was closed on purpose (a drop fault)."""


class FakeSynerise:
    """A local Synerise API for tests and demos, served on ``127.0.0.1``.

    ::

        async with FakeSynerise(rate_429=0.1, token_lifetime=3.0, seed=1) as fake:
            async with SyneriseClient(WorkspaceAuth(fake.api_key), base_url=fake.url) as client:
                ...
            assert fake.stats.logins >= 1

    Seeded data: ``workflows``, ``profiles``, ``catalogs`` (each with ``catalog_items``),
    ``brickworks_records`` and ``search_indices``. Fault knobs (see :class:`Faults`):
    ``rate_429``, ``retry_after``, ``rate_5xx``, ``latency``, ``drop_before``,
    ``drop_after``, ``token_lifetime``, ``rate_limit_per_second``, ``faults_on_auth``;
    change them at run time through :attr:`faults`. ``seed`` makes data and fault draws
    reproducible. Other options: ``basic_auth`` (accept Basic credentials), ``mfa``
    (users must confirm a code), ``require_api_version`` (``Api-Version`` header needed
    where the spec declares one), ``enforce_consumers`` (403 for a consumer the
    operation does not document), ``validate_responses`` (check every success body the
    fake produces against the spec; for the fake's own tests), ``spec`` (another
    document) and ``private_key`` (a PEM RSA key instead of a generated one).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
        api_key: str | None = None,
        workspace_guid: str | None = None,
        workflows: int = 250,
        profiles: int = 100,
        catalogs: int = 3,
        catalog_items: int = 50,
        brickworks_records: int = 120,
        search_indices: int = 45,
        rate_429: float = 0.0,
        retry_after: float | None = None,
        rate_5xx: float = 0.0,
        latency: float = 0.0,
        drop_before: float = 0.0,
        drop_after: float = 0.0,
        token_lifetime: float = 3600.0,
        rate_limit_per_second: float | None = None,
        faults_on_auth: bool = False,
        basic_auth: bool = True,
        mfa: bool = False,
        require_api_version: bool = True,
        enforce_consumers: bool = True,
        validate_responses: bool = False,
        spec: Mapping[str, Any] | str | None = None,
        private_key: bytes | str | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.seed = seed
        self.faults = Faults(
            rate_429=rate_429,
            retry_after=retry_after,
            rate_5xx=rate_5xx,
            latency=latency,
            drop_before=drop_before,
            drop_after=drop_after,
            token_lifetime=token_lifetime,
            rate_limit_per_second=rate_limit_per_second,
            faults_on_auth=faults_on_auth,
        )
        self.basic_auth = basic_auth
        self.require_api_version = require_api_version
        self.enforce_consumers = enforce_consumers
        self.validate_responses = validate_responses
        self.spec: Spec = load_spec(spec)
        self._private_key = private_key

        data_rng = random.Random(f"synerise-fake-data:{seed}" if seed is not None else None)
        self._fault_rng = random.Random(seed)
        self.state = FakeState(
            rng=data_rng,
            api_key=api_key,
            workspace_guid=workspace_guid,
            workflows=workflows,
            profiles=profiles,
            catalogs=catalogs,
            catalog_items=catalog_items,
            brickworks_records=brickworks_records,
            search_indices=search_indices,
            mfa=mfa,
            seed=seed,
        )
        """What the handlers work on: stores, credentials, token issuer, clock."""
        self.handler_errors: list[BaseException] = []
        """Exceptions raised inside the fake (answered 500); empty unless the fake has a bug."""

        self._limiter = RateLimiter()
        self._keys: KeyPair | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._basic_principals: dict[str, Principal] = {}
        self._tracker_principal = Principal(
            kind="tracker", credential=self.state.tracker_key, subject="tracker"
        )

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """Base URL of the running fake, e.g. ``http://127.0.0.1:54321``."""
        if self._port is None:
            raise RuntimeError("the fake is not running: use 'async with FakeSynerise() as fake'")
        return f"http://{self.host}:{self._port}"

    @property
    def port(self) -> int | None:
        return self._port

    @property
    def api_key(self) -> str:
        """A Workspace API key the fake accepts (login and Basic auth)."""
        return self.state.api_key

    @property
    def workspace_api_keys(self) -> set[str]:
        """Every Workspace API key the fake accepts."""
        return self.state.workspace_api_keys

    @property
    def workspace_guid(self) -> str:
        """GUID of the fake's workspace (the user name of Basic auth)."""
        return self.state.workspace_guid

    @property
    def workspace_id(self) -> int:
        """Numeric id of the fake's workspace."""
        return self.state.workspace_id

    @property
    def profile_api_key(self) -> str:
        """The Profile (client) API key for profile and anonymous logins."""
        return self.state.profile_api_key

    @property
    def tracker_key(self) -> str:
        """Tracker key accepted as ``?token=`` by tracker-scoped operations."""
        return self.state.tracker_key

    @property
    def user_email(self) -> str:
        """User name of the Synerise user who can log in."""
        return self.state.user_email

    @property
    def user_password(self) -> str:
        """Password of that user."""
        return self.state.user_password

    @property
    def mfa_code(self) -> str:
        """The multi-factor code the fake accepts."""
        return self.state.mfa_code

    @property
    def profile_email(self) -> str:
        """E-mail of the seeded profile account."""
        return self.state.profile_email

    @property
    def profile_password(self) -> str:
        """Password of the seeded profile account."""
        return self.state.profile_password

    @property
    def profile_accounts(self) -> dict[str, dict[str, Any]]:
        """Profile accounts that can log in, by UUID."""
        return self.state.profile_accounts

    @property
    def started_at(self) -> float:
        """When the fake's data was seeded (Unix seconds)."""
        return self.state.started_at

    @property
    def started_iso(self) -> str:
        """``started_at`` as ISO 8601 UTC."""
        return self.state.started_iso

    @property
    def stats(self) -> FakeStats:
        """Counters to assert on (``fake.stats.logins == 1``)."""
        return self.state.stats

    @property
    def events(self) -> EventStore:
        """Every event stored, with the overwrite rule applied."""
        return self.state.events

    @property
    def transactions(self) -> EventStore:
        """Every transaction stored, with the overwrite rule applied."""
        return self.state.transactions

    @property
    def workflows(self) -> WorkflowStore:
        """The seeded workflows."""
        return self.state.workflows

    @property
    def profiles(self) -> ProfileStore:
        """The profiles and their tags."""
        return self.state.profiles

    @property
    def catalogs(self) -> CatalogStore:
        """The catalogs and their items."""
        return self.state.catalogs

    @property
    def brickworks(self) -> BrickworksStore:
        """Brickworks schemas and records."""
        return self.state.brickworks

    @property
    def search(self) -> SearchStore:
        """Search and suggestion index configurations."""
        return self.state.search

    @property
    def ban_settings(self) -> dict[str, Any]:
        """The workspace's ban settings."""
        return self.state.ban_settings

    @property
    def bytes_received(self) -> int:
        """Bytes of request bodies read."""
        return self.state.bytes_received

    @property
    def tokens(self) -> TokenIssuer:
        """The JWT issuer (available once started)."""
        return self.state.tokens

    @property
    def public_key_pem(self) -> str:
        """PEM of the RS512 public key the fake signs JWTs with (available once started)."""
        if self._keys is None:
            raise RuntimeError("the fake is not running")
        return self._keys.public_key_pem

    async def start(self) -> None:
        """Generate the key pair and start serving (``async with`` does this for you)."""
        if self._runner is not None:
            raise RuntimeError("the fake is already running")
        if self._keys is None:
            self._keys = (
                KeyPair.from_pem(self._private_key) if self._private_key else KeyPair.generate()
            )
            self.state.tokens = TokenIssuer(
                self._keys,
                lifetime=lambda: self.faults.token_lifetime,
                workspace_id=self.state.workspace_id,
                clock=self.state.clock,
            )
        app = web.Application(
            client_max_size=MAX_REQUEST_BYTES, handler_args={"max_field_size": 65536}
        )
        # [\s\S] rather than '.': a path parameter may hold an encoded newline.
        app.router.add_route("*", r"/{tail:[\s\S]*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        server = site._server
        sockets = getattr(server, "sockets", None)
        assert sockets
        self._port = int(sockets[0].getsockname()[1])
        self.state.url = self.url
        logger.debug("fake Synerise listening on %s (spec: %s)", self.url, self.spec.source)

    async def stop(self) -> None:
        """Stop serving and close every connection. Safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        self._port = None

    async def __aenter__(self) -> FakeSynerise:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __repr__(self) -> str:
        where = self.url if self._port is not None else "not running"
        return f"<FakeSynerise {where} events={len(self.events)}>"

    # ------------------------------------------------------------------ helpers for tests

    def revoke_tokens(self) -> int:
        """Revoke every JWT issued so far (their next use gets 401); returns how many."""
        return self.tokens.revoke_all()

    def expire_tokens(self) -> None:
        """Make every JWT issued so far expired, as if its lifetime had passed."""
        self.tokens.expire_all()

    def issue_token(self, kind: str = "workspace", *, lifetime: float | None = None) -> str:
        """A valid JWT without a login call (``workspace``, ``profile``, ``anonymous``, ``user``)."""
        credential = {"workspace": self.api_key, "user": self.user_email}.get(
            kind, self.profile_api_key
        )
        principal = Principal(kind=kind, credential=credential, subject=f"{kind}-subject")
        token, _ = self.tokens.issue(principal, lifetime=lifetime)
        return token

    def add_profile_account(
        self,
        *,
        email: str | None,
        password: str | None,
        uuid: str | None = None,
        custom_id: str | None = None,
    ) -> dict[str, Any]:
        """Register a profile account that can log in (``authenticateUsingPOST_v3``)."""
        return self.state.add_profile_account(
            email=email, password=password, uuid=uuid, custom_id=custom_id
        )

    def reset_stats(self) -> None:
        """Zero the counters (stored data stays)."""
        fresh = FakeStats(in_flight=self.stats.in_flight)
        for field in attrs.fields(FakeStats):
            setattr(self.stats, field.name, getattr(fresh, field.name))
        self.stats.events_stored = len(self.events)
        self.stats.transactions_stored = len(self.transactions)

    # ------------------------------------------------------------------ the pipeline

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.rel_url.raw_path
        if raw_path.startswith("/__fake__/"):
            return await self._control(request, raw_path)
        stats = self.stats
        stats.requests += 1
        stats.in_flight += 1
        if stats.in_flight > stats.max_in_flight:
            stats.max_in_flight = stats.in_flight
        try:
            response = await self._process(request, raw_path)
        except ApiError as exc:
            response = self._error(exc.status, exc.message, raw_path, exc.problems, exc.headers)
        except (_Dropped, ConnectionError):
            # Dropped on purpose, or the client went away (e.g. it timed out) mid-request.
            return web.Response(status=204)
        except Exception as exc:  # a bug in the fake: answer 500 and keep it for the tests
            logger.exception("fake Synerise failed on %s %s", request.method, raw_path)
            self.handler_errors.append(exc)
            response = self._error(500, f"Fake server error: {type(exc).__name__}", raw_path)
        finally:
            stats.in_flight -= 1
        status = response.status
        stats.responses_by_status[status] += 1
        if status == 401:
            stats.unauthorized += 1
        elif status in (400, 413, 415):
            stats.rejected += 1
        return response

    async def _process(self, request: web.Request, raw_path: str) -> web.StreamResponse:
        stats = self.stats
        op, path_params, exists = self.spec.router.match(request.method, raw_path)
        if op is None:
            if exists:
                allow = ", ".join(self.spec.router.allowed_methods(raw_path))
                raise ApiError(
                    405,
                    f"Request method '{request.method}' is not supported",
                    headers={"Allow": allow},
                )
            raise ApiError(404, "No endpoint matches this path")
        stats.requests_by_operation[op.operation_id] += 1
        faults = self.faults
        if faults.latency > 0:
            stats.faults_injected["latency"] += 1
            await asyncio.sleep(faults.latency)
        inject = faults.faults_on_auth or not op.is_auth
        if inject:
            self._maybe_inject_before(request, faults)
        principal = self._authenticate(op, request)
        if faults.rate_limit_per_second is not None and principal is not None:
            self._rate_limit(principal, faults.rate_limit_per_second)
        query, path, problems = self._check_params(op, request, path_params)
        body = await self._read_body(op, request, problems)
        if problems:
            raise ApiError(400, _summary(problems), problems)
        ctx = Ctx(
            state=self.state,
            op=op,
            request=request,
            query=query,
            path=path,
            body=body,
            principal=principal,
            now=self.state.clock(),
            spec=self.spec,
        )
        handler = HANDLERS.get(op.operation_id, _example)
        try:
            result = handler(ctx)
        except ApiError as exc:
            if exc.status == 404 and 404 not in op.statuses:
                exc.status = 400  # the spec documents no 404 here: a bad reference is a bad request
            raise
        response = self._reply(op, result)
        if inject and faults.drop_after > 0 and self._fault_rng.random() < faults.drop_after:
            stats.faults_injected["drop_after"] += 1
            self._drop(request)
        return response

    def _maybe_inject_before(self, request: web.Request, faults: Faults) -> None:
        rng = self._fault_rng.random
        if faults.drop_before > 0 and rng() < faults.drop_before:
            self.stats.faults_injected["drop_before"] += 1
            self._drop(request)
        if faults.rate_429 > 0 and rng() < faults.rate_429:
            self.stats.faults_injected["429"] += 1
            headers = {}
            if faults.retry_after is not None:
                headers["Retry-After"] = _format_seconds(faults.retry_after)
            raise ApiError(429, "Too many requests", headers=headers)
        if faults.rate_5xx > 0 and rng() < faults.rate_5xx:
            self.stats.faults_injected["5xx"] += 1
            raise ApiError(503, "Service temporarily unavailable")

    def _drop(self, request: web.Request) -> None:
        transport = request.transport
        if transport is not None:
            transport.close()
        raise _Dropped

    def _rate_limit(self, principal: Principal, rate: float) -> None:
        wait = self._limiter.acquire(principal.credential, rate)
        if wait <= 0:
            return
        self.stats.faults_injected["rate_limit"] += 1
        headers = {
            "Retry-After": str(max(1, math.ceil(wait))),
            "retry-after-ms": str(max(1, math.ceil(wait * 1000))),
            "X-RateLimit-Limit": _format_seconds(rate),
            "X-RateLimit-Remaining": "0",
        }
        raise ApiError(429, "Rate limit exceeded", headers=headers)

    # ------------------------------------------------------------------ authentication

    def _authenticate(self, op: OperationSpec, request: web.Request) -> Principal | None:
        if not op.security:
            return None
        tracker = "TrackerKey" in op.security
        # A tracker key that is sent must be the right one, whatever else authenticates
        # the request: a wrong key is never ignored.
        if tracker and "token" in request.rel_url.query:
            sent = request.rel_url.query.getall("token")
            if len(sent) != 1 or sent[0] != self.state.tracker_key:
                raise ApiError(401, "Invalid tracker key")
        header = request.headers.get("Authorization")
        if header:
            scheme, _, value = header.partition(" ")
            scheme = scheme.lower()
            if scheme == "bearer" and "JWT" in op.security:
                try:
                    principal = self.tokens.check(value.strip())
                except TokenError as exc:
                    raise ApiError(401, str(exc)) from None
            elif scheme == "basic" and "Basic" in op.security:
                principal = self._basic(header)
            else:
                raise ApiError(
                    401, f"{scheme.capitalize() or 'This'} authentication is not accepted here"
                )
        elif tracker and "token" in request.rel_url.query:
            principal = self._tracker_principal
        else:
            raise ApiError(401, "Full authentication is required to access this resource")
        self._authorize(op, principal)
        return principal

    def _basic(self, header: str) -> Principal:
        cached = self._basic_principals.get(header)
        if cached is not None:
            return cached
        credentials = basic_credentials(header)
        if (
            not self.basic_auth
            or credentials is None
            or credentials[0].lower() != self.workspace_guid
            or credentials[1] not in self.workspace_api_keys
        ):
            raise ApiError(401, "Bad credentials")
        principal = Principal(
            kind="workspace", credential=credentials[1], subject=self.workspace_guid
        )
        self._basic_principals[header] = principal
        return principal

    def _authorize(self, op: OperationSpec, principal: Principal) -> None:
        if principal.kind == "user":
            if principal.mfa_pending and op.operation_id != "verifyUserMfa":
                raise ApiError(403, "Multi-factor authentication must be completed first")
            if not principal.workspace_selected and op.tag not in _USER_UNSELECTED_TAGS:
                raise ApiError(403, "Select a workspace first")
        if self.enforce_consumers and op.consumers:
            allowed = _CONSUMERS.get(principal.kind, frozenset())
            if principal.kind == "user" and not principal.workspace_selected:
                allowed = frozenset({"Synerise User"})
            if allowed.isdisjoint(op.consumers):
                raise ApiError(403, f"This operation is not available to a {principal.kind} token")

    # ------------------------------------------------------------------ request checks

    def _check_params(
        self, op: OperationSpec, request: web.Request, path_params: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, Any], list[Problem]]:
        raw_query = request.rel_url.query
        multi = {name: raw_query.getall(name) for name in raw_query} if raw_query else {}
        allow = _TRACKER_ALLOW if "TrackerKey" in op.security else _NO_ALLOW
        query, path, problems = op.check_params(multi, path_params, allow=allow)
        if self.require_api_version and op.api_version is not None:
            sent = request.headers.get("Api-Version")
            if sent is None:
                problems.append(Problem("Api-Version", "header is required", None))
            elif sent != op.api_version:
                problems.append(Problem("Api-Version", f"must be {op.api_version}", sent))
        return query, path, problems

    async def _read_body(
        self, op: OperationSpec, request: web.Request, problems: list[Problem]
    ) -> Any:
        if not op.body_media:
            return None
        limit = op.max_body_bytes
        declared = request.content_length
        if limit is not None and declared is not None and declared > limit:
            self._too_large(op, limit)
        content_type = request.content_type
        if content_type == "multipart/form-data" and "multipart/form-data" in op.body_media:
            try:
                form = await request.post()
            except (ValueError, HttpProcessingError) as exc:  # e.g. a part header aiohttp refuses
                problems.append(Problem("body", f"malformed multipart body: {exc}", None))
                return None
            fields = {k: (v.file.read() if hasattr(v, "file") else v) for k, v in form.items()}
            # Parts arrive as text or bytes: check their names and presence against the schema.
            problems.extend(
                op.check_body({k: v if isinstance(v, str) else "" for k, v in fields.items()})
            )
            return fields
        raw = await request.read()
        self.state.bytes_received += len(raw)
        if limit is not None and len(raw) > limit:
            self._too_large(op, limit)
        if not raw:
            if op.body_required:
                problems.append(Problem("body", "Required request body is missing", None))
            return None
        if content_type != "application/json" or not op.json_body:
            raise ApiError(415, f"Content type '{content_type}' not supported")
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            problems.append(Problem("body", f"JSON parse error: {exc.msg}", None))
            return None
        problems.extend(op.check_body(body))
        return body

    def _too_large(self, op: OperationSpec, limit: int) -> None:
        status = 413 if 413 in op.statuses else 400
        message = f"Request body exceeds the limit of {limit} bytes"
        raise ApiError(status, message, [Problem("body", message, None)])

    # ------------------------------------------------------------------ responses

    def _reply(self, op: OperationSpec, result: Any) -> web.Response:
        reply = result if isinstance(result, Reply) else Reply(body=result)
        status = reply.status or op.success_status
        headers = {k: _header_safe(v) for k, v in reply.headers.items()} if reply.headers else {}
        if op.deprecated:
            headers["X-API-DEPRECATED"] = DEPRECATION_NOTICE
        if reply.body is NO_BODY or status == 204:
            return web.Response(status=status, headers=headers)
        media = reply.media or op.success_media or "application/json"
        if media == "application/json":
            if self.validate_responses:
                problems = op.check_response(reply.body)
                if problems:
                    raise AssertionError(
                        f"fake response of {op.operation_id} breaks the spec: {problems}"
                    )
            return web.Response(
                status=status,
                body=orjson.dumps(reply.body),
                headers=headers,
                content_type="application/json",
            )
        text = reply.body if isinstance(reply.body, str | bytes) else str(reply.body)
        payload = text.encode() if isinstance(text, str) else text
        return web.Response(status=status, body=payload, headers=headers, content_type=media)

    def _error(
        self,
        status: int,
        message: str,
        path: str,
        problems: list[Problem] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        body = {
            "timestamp": dt.datetime.now(dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "status": status,
            "error": _REASONS.get(status, "Error"),
            "message": message,
            "path": path,
            "errors": [p.to_json() for p in problems or ()],
        }
        return web.Response(
            status=status, body=orjson.dumps(body), headers=headers, content_type="application/json"
        )

    # ------------------------------------------------------------------ control endpoints

    async def _control(self, request: web.Request, path: str) -> web.Response:
        """``/__fake__/stats`` (GET), ``/__fake__/faults`` (GET, POST knobs as JSON),
        ``/__fake__/revoke-tokens`` (POST): for driving a fake run as a separate process."""
        name = path[len("/__fake__/") :]
        if name == "stats" and request.method == "GET":
            return web.json_response(self.snapshot(), dumps=lambda v: orjson.dumps(v).decode())
        if name == "faults":
            if request.method == "POST":
                try:
                    self.faults.update(**orjson.loads(await request.read()))
                except (AttributeError, TypeError, ValueError) as exc:
                    return self._error(400, str(exc), path)
            return web.json_response(self.faults.as_dict())
        if name == "revoke-tokens" and request.method == "POST":
            return web.json_response({"revoked": self.revoke_tokens()})
        return self._error(404, "Unknown control endpoint", path)

    def snapshot(self) -> dict[str, Any]:
        """Counters plus store sizes, JSON-ready (also served at ``/__fake__/stats``)."""
        data = self.stats.as_dict()
        data["events_by_action"] = dict(self.events.by_action())
        data["profiles"] = len(self.profiles)
        data["workflows"] = len(self.workflows)
        data["faults"] = self.faults.as_dict()
        return data


_TRACKER_ALLOW: Final = frozenset({"token"})
_NO_ALLOW: Final[frozenset[str]] = frozenset()


def _example(ctx: Ctx) -> Any:
    """The default handler: the documented example of the success response."""
    op = ctx.op
    if op.success_media is None:
        return Reply()
    example = op.success_example
    if example is None:
        return Reply(body={} if op.success_media == "application/json" else "")
    return Reply(body=example)


def _header_safe(value: str) -> str:
    """``value`` percent-encoded when it holds a character HTTP headers cannot carry
    (a handler may echo a query value, e.g. ``sortBy``, into a header)."""
    if all(" " <= ch <= "~" for ch in value):
        return value
    return quote(value, safe=" !#$%&'()*+,-./:;<=>?@[]^_`{|}~")


def _summary(problems: list[Problem]) -> str:
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"Validation failed: {first.field} {first.message}{more}"


def _format_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
