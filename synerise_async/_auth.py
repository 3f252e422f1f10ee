"""Authentication strategies and the token manager.

A strategy knows how to obtain (and maybe refresh) a credential for one kind of API
consumer; :class:`TokenManager` decides *when*: it reads ``exp`` from the JWT, refreshes
early in a soft window without making callers wait, refreshes mandatorily in a hard
window, and makes sure that however many requests need a token at once, one login or
refresh call goes out and all of them wait on it.

Login paths are those of Synerise's authorization reference
(https://hub.synerise.com/api-reference/authorization) as recorded in
``openapi/documents/authorization.yaml``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Final, Protocol

import attrs

from ._errors import AuthenticationError, ConfigurationError

__all__ = [
    "AnonymousProfileAuth",
    "Auth",
    "AuthTransport",
    "BasicAuth",
    "FileTokenCache",
    "MemoryTokenCache",
    "ProfileAuth",
    "Token",
    "TokenAuth",
    "TokenCache",
    "TokenManager",
    "UserAuth",
    "WorkspaceAuth",
]

logger = logging.getLogger("synerise_async.auth")

DEFAULT_TOKEN_LIFETIME = 3600.0
"""Used only when a token has no ``exp`` claim and the response no ``expiration``."""
DEFAULT_LOCK_TTL = 15.0
"""Seconds a cache's refresh lock lives; also the longest a manager waits for it."""
LOCK_POLL_INTERVAL = 0.02
"""Seconds between looks at the cache (and the lock) while another process logs in."""

WORKSPACE_LOGIN_PATH = "/uauth/v2/auth/login/profile"
PROFILE_LOGIN_PATH = "/sauth/v3/auth/login/client"
PROFILE_ANONYMOUS_LOGIN_PATH = "/sauth/v3/auth/login/client/anonymous"
PROFILE_REFRESH_PATH = "/sauth/v3/auth/refresh/client"
USER_LOGIN_PATH = "/uauth/auth/login/user"
USER_MFA_PATH = "/uauth/auth/login/user/mfa/verification"
USER_SELECT_WORKSPACE_PATH = "/uauth/auth/login/user/profile/{workspace}"


# --------------------------------------------------------------------------- tokens


@attrs.frozen(slots=True, repr=False)
class Token:
    """A bearer credential with its lifetime (Unix seconds). Its value is never printed."""

    value: str
    expires_at: float | None
    """``None`` for credentials that never expire."""
    issued_at: float

    @property
    def lifetime(self) -> float | None:
        """Seconds between issue and expiry."""
        return None if self.expires_at is None else max(0.0, self.expires_at - self.issued_at)

    def remaining(self, now: float) -> float:
        """Seconds of validity left at ``now`` (infinite for non-expiring credentials)."""
        return float("inf") if self.expires_at is None else self.expires_at - now

    def __repr__(self) -> str:
        return f"Token(expires_at={self.expires_at!r}, issued_at={self.issued_at!r})"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form for token caches (the project's cattrs converter, ``_serde``)."""
        from ._serde import token_record

        return token_record(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Token:
        """The inverse of :meth:`to_json`; a malformed record raises ``ValueError``."""
        from ._serde import token_from_record

        return token_from_record(data)


def token_from_jwt(
    value: str,
    *,
    now: float,
    expiration_hint: Any = None,
    verify_key: str | bytes | None = None,
) -> Token:
    """Build a :class:`Token` from a JWT, reading ``exp`` and ``iat``.

    The signature is not checked unless ``verify_key`` (a PEM public key) is given, in
    which case it must be a valid RS512 signature. Without ``exp`` the response's
    ``expiration`` (epoch seconds) is used, then :data:`DEFAULT_TOKEN_LIFETIME`.
    """
    import jwt  # deferred: PyJWT loads cryptography, which costs tens of ms at import

    try:
        if verify_key is not None:
            claims = jwt.decode(
                value,
                verify_key,
                algorithms=["RS512"],
                options={"verify_aud": False, "verify_exp": False, "verify_iat": False},
            )
        else:
            claims = jwt.decode(value, options={"verify_signature": False, "verify_exp": False})
    except jwt.InvalidSignatureError as exc:
        raise AuthenticationError(
            "token signature does not verify against the configured public key",
            status_code=401,
            headers={},
            body=None,
            body_excerpt="",
        ) from exc
    except jwt.PyJWTError:
        claims = {}
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        exp = expiration_hint if isinstance(expiration_hint, int | float) else None
    iat = claims.get("iat")
    issued = float(iat) if isinstance(iat, int | float) else now
    expires = float(exp) if exp is not None else now + DEFAULT_TOKEN_LIFETIME
    return Token(value=value, expires_at=expires, issued_at=min(issued, expires))


# --------------------------------------------------------------------------- caches


class TokenCache(Protocol):
    """Where tokens are shared between clients or processes, keyed by credential identity.

    Keys are hashes that never contain a secret; values are :class:`Token` objects. The
    refresh lock lets the token manager make one login for everyone sharing the cache:
    :meth:`try_lock` takes it without waiting (a handle, or ``None`` when someone else
    holds it) and it must lapse on its own after ``ttl`` seconds, so a process that dies
    holding it does not block the others; :meth:`unlock` gives it back early.
    """

    async def get(self, key: str) -> Token | None: ...

    async def set(self, key: str, token: Token) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def try_lock(self, key: str, *, ttl: float) -> object | None: ...

    async def unlock(self, key: str, handle: object) -> None: ...


class MemoryTokenCache:
    """The default cache: a dict in this process, shareable between clients."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._tokens: dict[str, Token] = {}
        self._locks: dict[str, tuple[object, float]] = {}
        self._clock = clock

    async def get(self, key: str) -> Token | None:
        return self._tokens.get(key)

    async def set(self, key: str, token: Token) -> None:
        self._tokens[key] = token

    async def delete(self, key: str) -> None:
        self._tokens.pop(key, None)

    async def try_lock(self, key: str, *, ttl: float) -> object | None:
        now = self._clock()
        held = self._locks.get(key)
        if held is not None and held[1] > now:
            return None
        handle = object()
        self._locks[key] = (handle, now + ttl)
        return handle

    async def unlock(self, key: str, handle: object) -> None:
        held = self._locks.get(key)
        if held is not None and held[0] is handle:
            del self._locks[key]


class FileTokenCache:
    """A JSON file of tokens shared between processes, written atomically with mode 0600.

    The refresh lock is an exclusive ``flock`` on a sidecar ``<file>.lock``, taken without
    blocking: processes on one machine then log in once between them. The kernel drops the
    lock when its holder exits, however it exits; a holder that hangs is waited for at
    most the lock's ``ttl`` by the token manager. Where ``fcntl`` is missing (Windows)
    there is no cross-process lock and every process logs in for itself.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def __repr__(self) -> str:
        return f"FileTokenCache({str(self.path)!r})"

    async def get(self, key: str) -> Token | None:
        entry = (await asyncio.to_thread(self._read)).get(key)
        return None if entry is None else Token.from_json(entry)

    async def set(self, key: str, token: Token) -> None:
        await asyncio.to_thread(self._update, key, token.to_json())

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._update, key, None)

    async def try_lock(self, key: str, *, ttl: float) -> object | None:
        # One lock file for every key: logins of different credentials sharing a file
        # are rare and short, so serialising them costs nothing worth a file per key.
        try:
            import fcntl
        except ImportError:  # Windows: no flock; behave as an always-free lock
            return _UNLOCKED
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            # LOCK_NB: a held lock fails at once, so this never blocks the event loop.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        return _FileLock(fd)

    async def unlock(self, key: str, handle: object) -> None:
        if isinstance(handle, _FileLock):
            handle.release()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            logger.warning("ignoring unreadable token cache %s: %s", self.path, type(exc).__name__)
            return {}
        return data if isinstance(data, dict) else {}

    def _update(self, key: str, entry: dict[str, Any] | None) -> None:
        data = self._read()
        if entry is None:
            data.pop(key, None)
        else:
            data[key] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tokens-", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


_UNLOCKED: Final = object()
"""The handle of a lock that excludes no one (a cache without cross-process locking)."""


class _FileLock:
    """An open, flock-ed descriptor; closing it releases the lock."""

    __slots__ = ("_fd",)

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __del__(self) -> None:
        self.release()


# --------------------------------------------------------------------------- strategies


class AuthTransport(Protocol):
    """The unauthenticated calls a strategy may make (the client implements it).

    These requests bypass the token manager, so a login never waits for itself.
    """

    async def auth_request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        bearer: str | None = None,
        api_version: str | None = None,
    ) -> Any: ...


def _secret_digest(*parts: str) -> str:
    """A stable, non-reversible cache key for a credential."""
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()
    return digest[:32]


def _require(value: str, name: str, strategy: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{strategy} needs a non-empty {name}")
    return value


def _token_field(data: Any, what: str) -> str:
    """The non-empty string ``token`` of a login answer; anything else cannot authenticate.

    A success answer without a usable token fails every later request alike, so it is an
    :class:`AuthenticationError` (with status 401, as for a token whose signature does not
    verify), not a retryable error. The message describes the shape, never the values.
    """
    token = data.get("token") if isinstance(data, dict) else None
    if isinstance(token, str) and token.strip():
        return token
    if not isinstance(data, dict):
        shape = "no JSON object" if data is None else f"a JSON {type(data).__name__}"
    elif "token" not in data:
        shape = "no 'token' field"
    elif isinstance(token, str):
        shape = "an empty 'token'"
    else:
        shape = f"a 'token' of type {type(token).__name__}"
    raise AuthenticationError(
        f"{what} answered with success but {shape}; no usable token",
        status_code=401,
        headers={},
        body=None,
        body_excerpt="",
    )


class Auth:
    """Base class of the authentication strategies.

    Subclasses implement :meth:`login` and, where the API offers it, :meth:`refresh`.
    """

    scheme: ClassVar[str] = "Bearer"
    reauthenticates: ClassVar[bool] = True
    """False when a rejected credential cannot be replaced (a caller-supplied token)."""

    def cache_key(self) -> str:
        """The token-cache key of this credential (a hash, never the secret)."""
        raise NotImplementedError

    def static_header(self) -> str | None:
        """The ``Authorization`` header for credentials that need no login (Basic)."""
        return None

    async def login(self, transport: AuthTransport, now: float) -> tuple[Any, str]:
        """Authenticate from scratch; return the response body and the JWT."""
        raise NotImplementedError

    async def refresh(
        self, transport: AuthTransport, token: Token, now: float
    ) -> tuple[Any, str] | None:
        """Prolong a still-valid token; ``None`` when this strategy has no refresh call."""
        return None


@attrs.define(repr=False)
class WorkspaceAuth(Auth):
    """Workspace (business profile) API key, exchanged for a JWT at ``POST /uauth/v2/auth/login/profile``."""

    api_key: str = attrs.field(repr=False)

    def __attrs_post_init__(self) -> None:
        _require(self.api_key, "api_key", "WorkspaceAuth")

    def __repr__(self) -> str:
        return "WorkspaceAuth(api_key=***)"

    def cache_key(self) -> str:
        return "workspace:" + _secret_digest("workspace", self.api_key)

    async def login(self, transport: AuthTransport, now: float) -> tuple[Any, str]:
        data = await transport.auth_request(
            "POST", WORKSPACE_LOGIN_PATH, json={"apiKey": self.api_key}, api_version="4.4"
        )
        return data, _token_field(data, "workspace login")


@attrs.define(repr=False)
class BasicAuth(Auth):
    """HTTP Basic with ``base64(workspaceGuid:apiKey)``; never expires, no login call."""

    workspace_guid: str
    api_key: str = attrs.field(repr=False)
    scheme: ClassVar[str] = "Basic"

    def __attrs_post_init__(self) -> None:
        _require(self.workspace_guid, "workspace_guid", "BasicAuth")
        _require(self.api_key, "api_key", "BasicAuth")

    def __repr__(self) -> str:
        return f"BasicAuth(workspace_guid={self.workspace_guid!r}, api_key=***)"

    def cache_key(self) -> str:
        return "basic:" + _secret_digest("basic", self.workspace_guid, self.api_key)

    def static_header(self) -> str:
        raw = f"{self.workspace_guid}:{self.api_key}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


@attrs.define(repr=False)
class TokenAuth(Auth):
    """A JWT obtained elsewhere. It cannot be renewed: a 401 is final."""

    token: str = attrs.field(repr=False)
    reauthenticates: ClassVar[bool] = False

    def __attrs_post_init__(self) -> None:
        _require(self.token, "token", "TokenAuth")

    def __repr__(self) -> str:
        return "TokenAuth(token=***)"

    def cache_key(self) -> str:
        return "token:" + _secret_digest("token", self.token)

    async def login(self, transport: AuthTransport, now: float) -> tuple[Any, str]:
        return None, self.token


class _ProfileRefreshMixin(Auth):
    """Profile tokens are refreshed with ``POST /sauth/v3/auth/refresh/client`` while valid."""

    api_key: str

    async def refresh(
        self, transport: AuthTransport, token: Token, now: float
    ) -> tuple[Any, str] | None:
        data = await transport.auth_request(
            "POST", PROFILE_REFRESH_PATH, json={"apiKey": self.api_key}, bearer=token.value
        )
        return data, _token_field(data, "profile token refresh")


@attrs.define(repr=False)
class ProfileAuth(_ProfileRefreshMixin):
    """A profile (formerly "client") logging in at ``POST /sauth/v3/auth/login/client``.

    Give the identifier the workspace uses (``email``, ``custom_id`` or ``uuid``) and,
    for the ``SYNERISE`` identity provider, the ``password``; for external providers the
    ``identity_provider_token``.
    """

    api_key: str = attrs.field(repr=False)
    email: str | None = None
    custom_id: str | None = None
    uuid: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    identity_provider: str = "SYNERISE"
    identity_provider_token: str | None = attrs.field(default=None, repr=False)
    device_id: str | None = None

    def __attrs_post_init__(self) -> None:
        _require(self.api_key, "api_key", "ProfileAuth")
        if not (self.email or self.custom_id or self.uuid):
            raise ConfigurationError("ProfileAuth needs one of email, custom_id or uuid")

    def __repr__(self) -> str:
        who = self.email or self.custom_id or self.uuid
        return f"ProfileAuth(identity={who!r}, identity_provider={self.identity_provider!r}, api_key=***)"

    def cache_key(self) -> str:
        who = self.email or self.custom_id or self.uuid or ""
        return "profile:" + _secret_digest("profile", self.api_key, self.identity_provider, who)

    async def login(self, transport: AuthTransport, now: float) -> tuple[Any, str]:
        body: dict[str, Any] = {"apiKey": self.api_key, "identityProvider": self.identity_provider}
        optional = {
            "email": self.email,
            "customId": self.custom_id,
            "uuid": self.uuid,
            "password": self.password,
            "identityProviderToken": self.identity_provider_token,
            "deviceId": self.device_id,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        data = await transport.auth_request("POST", PROFILE_LOGIN_PATH, json=body)
        return data, _token_field(data, "profile login")


@attrs.define(repr=False)
class AnonymousProfileAuth(_ProfileRefreshMixin):
    """An anonymous profile identified by its UUID (``POST /sauth/v3/auth/login/client/anonymous``)."""

    api_key: str = attrs.field(repr=False)
    uuid: str = ""
    device_id: str | None = None

    def __attrs_post_init__(self) -> None:
        _require(self.api_key, "api_key", "AnonymousProfileAuth")
        _require(self.uuid, "uuid", "AnonymousProfileAuth")

    def __repr__(self) -> str:
        return f"AnonymousProfileAuth(uuid={self.uuid!r}, api_key=***)"

    def cache_key(self) -> str:
        return "anonymous:" + _secret_digest("anonymous", self.api_key, self.uuid)

    async def login(self, transport: AuthTransport, now: float) -> tuple[Any, str]:
        body: dict[str, Any] = {"apiKey": self.api_key, "uuid": self.uuid}
        if self.device_id is not None:
            body["deviceId"] = self.device_id
        data = await transport.auth_request("POST", PROFILE_ANONYMOUS_LOGIN_PATH, json=body)
        return data, _token_field(data, "anonymous profile login")


MfaCodeProvider = Callable[[str], Awaitable[str]]
"""Called with the MFA method (``TOTP_AUTHENTICATOR`` or ``EMAIL``); returns the code."""


@attrs.define(repr=False)
class UserAuth(Auth):
    """A Synerise user: login, then MFA if the account needs it, then select a workspace.

    ``mfa_code_provider`` is awaited with the MFA method when the login response lists
    MFA methods; without it such an account cannot log in.
    """

    username: str
    password: str = attrs.field(repr=False)
    workspace: str = ""
    """UUID (GUID) of the workspace to select."""
    mfa_code_provider: MfaCodeProvider | None = None
    device_id: str | None = None

    def __attrs_post_init__(self) -> None:
        _require(self.username, "username", "UserAuth")
        _require(self.password, "password", "UserAuth")
        _require(self.workspace, "workspace", "UserAuth")

    def __repr__(self) -> str:
        return f"UserAuth(username={self.username!r}, workspace={self.workspace!r}, password=***)"

    def cache_key(self) -> str:
        return "user:" + _secret_digest("user", self.username, self.password, self.workspace)

    async def login(self, transport: AuthTransport, now: float) -> tuple[Any, str]:
        body: dict[str, Any] = {"username": self.username, "password": self.password}
        if self.device_id is not None:
            body["deviceId"] = self.device_id
        data = await transport.auth_request("POST", USER_LOGIN_PATH, json=body)
        token = _token_field(data, "user login")
        methods = data.get("mfaMethods") if isinstance(data, dict) else None
        if methods:
            token = await self._verify_mfa(transport, token, [str(m) for m in methods])
        path = USER_SELECT_WORKSPACE_PATH.format(workspace=self.workspace)
        selected = await transport.auth_request("POST", path, bearer=token)
        return selected, _token_field(selected, "workspace selection")

    async def _verify_mfa(self, transport: AuthTransport, token: str, methods: list[str]) -> str:
        if self.mfa_code_provider is None:
            raise ConfigurationError(
                f"the user account requires MFA ({', '.join(methods)}); pass mfa_code_provider"
            )
        method = "TOTP_AUTHENTICATOR" if "TOTP_AUTHENTICATOR" in methods else methods[0]
        code = await self.mfa_code_provider(method)
        body: dict[str, Any] = {"verificationCode": code}
        if self.device_id is not None:
            body["deviceId"] = self.device_id
        data = await transport.auth_request(
            "POST", USER_MFA_PATH, json=body, params={"mfaType": method}, bearer=token
        )
        return _token_field(data, "MFA verification")


# --------------------------------------------------------------------------- manager


@attrs.define
class AuthStats:
    """Counters of the token manager, for diagnostics and tests."""

    logins: int = 0
    refreshes: int = 0
    cache_hits: int = 0
    invalidations: int = 0


class TokenManager:
    """Hands out valid tokens for one strategy; one refresh in flight for all callers.

    Windows, from a token's lifetime ``L``: in the *soft* window (the last
    ``min(300 s, L/4)``) a background refresh starts and callers keep using the current
    token; in the *hard* window (the last ``min(30 s, L/10)``) callers wait for a new one.

    A refresh goes: look in the cache -> take the cache's refresh lock (waiting at most
    ``lock_ttl``, looking in the cache meanwhile) -> look again -> log in -> store ->
    release; so every manager sharing a cache (other processes and machines included)
    makes one login per expiry between them. ``namespace`` (the client passes its base
    URL) keeps the same credential against two deployments apart in a shared cache.
    """

    def __init__(
        self,
        auth: Auth,
        transport: AuthTransport,
        *,
        cache: TokenCache | None = None,
        clock: Callable[[], float] = time.time,
        verify_key: str | bytes | None = None,
        namespace: str = "",
        lock_ttl: float = DEFAULT_LOCK_TTL,
    ) -> None:
        if lock_ttl <= 0:
            raise ConfigurationError(f"lock_ttl must be > 0 seconds, got {lock_ttl!r}")
        self.auth = auth
        self._transport = transport
        self._cache: TokenCache = cache if cache is not None else MemoryTokenCache()
        self._clock = clock
        self._verify_key = verify_key
        self._key = auth.cache_key()
        if namespace:
            self._key += "@" + _secret_digest("namespace", namespace)[:16]
        self._lock_ttl = lock_ttl
        self._token: Token | None = None
        self._soft_at = self._hard_at = float("-inf")
        self.held: tuple[Token | None, float] = (None, float("-inf"))
        """The token in hand and when its soft window starts, kept together so the client's
        hot path reads both with one attribute load (:meth:`fresh` is the same check)."""
        self._task: asyncio.Task[Token] | None = None
        self._rejected: deque[str] = deque(maxlen=8)
        self.stats = AuthStats()

    @staticmethod
    def windows(token: Token) -> tuple[float, float]:
        """``(soft, hard)`` margins in seconds before expiry."""
        lifetime = token.lifetime or 0.0
        return min(300.0, lifetime / 4), min(30.0, lifetime / 10)

    def current(self) -> Token | None:
        """The token in hand, valid or not (no I/O)."""
        return self._token

    def fresh(self) -> Token | None:
        """The current token if it is outside both windows (no I/O, no await: the hot path)."""
        token, soft_at = self.held
        if token is not None and self._clock() < soft_at:
            return token
        return None

    async def token(self) -> Token:
        """A token valid beyond the hard window, refreshing if needed."""
        token = self._token
        if token is not None:
            now = self._clock()
            if now < self._hard_at:
                if now >= self._soft_at and self._task is None:
                    self._start(background=True)
                return token
        task = self._task if self._task is not None else self._start(background=False)
        return await asyncio.shield(task)

    def _set(self, token: Token | None) -> None:
        """Hold ``token`` and precompute when its soft and hard windows start."""
        self._token = token
        if token is None or token.expires_at is None:
            self._soft_at = self._hard_at = float("inf") if token is not None else float("-inf")
        else:
            soft, hard = self.windows(token)
            self._soft_at = token.expires_at - soft
            self._hard_at = token.expires_at - hard
        self.held = (token, self._soft_at)

    async def invalidate(self, token: Token) -> None:
        """Forget ``token`` after the API rejected it (no-op if it was already replaced)."""
        self._rejected.append(token.value)
        if self._token is not None and self._token.value == token.value:
            self._set(None)
            self.stats.invalidations += 1
            # Only drop the shared entry if it is the rejected token: another process may
            # have stored its successor already, and deleting that would cost a login.
            cached = await self._cache.get(self._key)
            if cached is not None and cached.value == token.value:
                await self._cache.delete(self._key)

    async def aclose(self) -> None:
        """Cancel a refresh still in flight (the client is closing)."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _start(self, *, background: bool) -> asyncio.Task[Token]:
        task = asyncio.get_running_loop().create_task(self._obtain())
        self._task = task
        task.add_done_callback(lambda t: self._finished(t, background))
        return task

    def _finished(self, task: asyncio.Task[Token], background: bool) -> None:
        if self._task is task:
            self._task = None
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and background:
            # The current token is still usable; the next caller in the hard window
            # retries in the foreground and sees the error.
            logger.warning("background token refresh failed: %s", type(exc).__name__)

    @property
    def cache_key(self) -> str:
        """The key of this manager's entry in its cache (hashes only, no secret)."""
        return self._key

    async def _from_cache(self) -> Token | None:
        """A usable token someone else stored since ours, or ``None``."""
        now = self._clock()
        cached = await self._cache.get(self._key)
        if cached is None or cached.value in self._rejected:
            return None
        _, hard = self.windows(cached)
        current = self._token
        if cached.remaining(now) > hard and (current is None or cached.value != current.value):
            self.stats.cache_hits += 1
            self._set(cached)
            return cached
        return None

    async def _take_lock(self) -> tuple[object | None, Token | None]:
        """The refresh lock, or the token whoever holds it stored meanwhile.

        Gives up after ``lock_ttl`` (a holder that hangs): ``(None, None)``, and the
        caller logs in without the lock, so a stuck peer costs a login, never an outage.
        """
        try_lock = getattr(self._cache, "try_lock", None)
        if try_lock is None:
            # A cache written against the older protocol (get/set/delete only): no lock,
            # every manager logs in for itself, as before.
            return None, None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._lock_ttl
        while True:
            handle = await try_lock(self._key, ttl=self._lock_ttl)
            if handle is not None:
                return handle, None
            await asyncio.sleep(LOCK_POLL_INTERVAL)
            found = await self._from_cache()
            if found is not None:
                return None, found
            if loop.time() >= deadline:
                logger.warning(
                    "token refresh lock still held after %.1f s; logging in without it",
                    self._lock_ttl,
                )
                return None, None

    async def _obtain(self) -> Token:
        found = await self._from_cache()
        if found is not None:
            return found
        handle, found = await self._take_lock()
        if found is not None:
            return found
        try:
            if handle is not None:
                # Whoever held the lock before us may have logged in already.
                found = await self._from_cache()
                if found is not None:
                    return found
            return await self._login_or_refresh()
        finally:
            if handle is not None:
                await self._cache.unlock(self._key, handle)

    async def _login_or_refresh(self) -> Token:
        now = self._clock()
        current = self._token
        result: tuple[Any, str] | None = None
        if current is not None and current.remaining(now) > 0:
            try:
                result = await self.auth.refresh(self._transport, current, now)
            except AuthenticationError:
                result = None
            if result is not None:
                self.stats.refreshes += 1
                logger.debug("token refreshed")
        if result is None:
            if not self.auth.reauthenticates and self.stats.logins > 0:
                raise AuthenticationError(
                    "the supplied token was rejected and cannot be renewed",
                    status_code=401,
                    headers={},
                    body=None,
                    body_excerpt="",
                )
            result = await self.auth.login(self._transport, now)
            self.stats.logins += 1
            logger.debug("logged in (%s)", type(self.auth).__name__)
        data, value = result
        hint = data.get("expiration") if isinstance(data, dict) else None
        token = token_from_jwt(
            value, now=self._clock(), expiration_hint=hint, verify_key=self._verify_key
        )
        self._set(token)
        await self._cache.set(self._key, token)
        return token
