"""JWTs the fake issues and checks: RS512, a key pair made when the fake starts.

Tokens carry ``exp`` and ``iat`` as (possibly fractional) Unix seconds, so lifetimes of a
few seconds work. The fake remembers what it issued: checking a known token is a dict
lookup (fast under benchmarks); anything else is decoded with the public key only to
explain the 401 (malformed, foreign signature, expired).
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from typing import Any, Final

import attrs
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["KeyPair", "Principal", "TokenError", "TokenIssuer"]

ISSUER: Final = "Synerise"
REALMS: Final = {
    "workspace": "business_profile",
    "profile": "client",
    "anonymous": "anonymous_client",
    "user": "user",
}
"""The ``rlm`` claim for each kind of principal."""


class TokenError(Exception):
    """A bearer token was rejected; the message is what the 401 body says."""


@attrs.frozen(slots=True)
class KeyPair:
    """An RSA key pair (RS512 signing)."""

    private_key: rsa.RSAPrivateKey = attrs.field(repr=False)

    @classmethod
    def generate(cls, key_size: int = 2048) -> KeyPair:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=key_size))

    @classmethod
    def from_pem(cls, pem: bytes | str) -> KeyPair:
        data = pem.encode() if isinstance(pem, str) else pem
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("private_key must be an RSA key")
        return cls(key)

    @property
    def public_key_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )


@attrs.define(slots=True, eq=False)
class Principal:
    """Who made a request: the kind of consumer and the credential it came from."""

    kind: str
    """``workspace``, ``profile``, ``anonymous``, ``user`` or ``tracker``."""
    credential: str
    """What the per-key rate limit counts by (the API key, user name or tracker key)."""
    subject: str
    token_id: str | None = None
    """``jti`` of the bearer token, ``None`` for Basic or tracker-key requests."""
    workspace_selected: bool = True
    """For users: whether the token is bound to a workspace."""
    mfa_pending: bool = False
    """For users: logged in, multi-factor confirmation still missing."""
    expires_at: float | None = None
    claims: dict[str, Any] = attrs.field(factory=dict, repr=False)


class TokenIssuer:
    """Signs tokens and recognises the ones it signed."""

    def __init__(
        self,
        keys: KeyPair,
        *,
        lifetime: Callable[[], float],
        workspace_id: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._public = keys.private_key.public_key()
        self._lifetime = lifetime
        self._workspace_id = workspace_id
        self._clock = clock
        self._issued: dict[str, Principal] = {}
        self._revoked: set[str] = set()

    @property
    def issued_count(self) -> int:
        return len(self._issued)

    def issued_tokens(self) -> list[str]:
        """Every token issued (and not yet forgotten): for tests that hunt for leaks."""
        return list(self._issued)

    def issue(self, principal: Principal, *, lifetime: float | None = None) -> tuple[str, float]:
        """A signed JWT for ``principal`` and its expiry (Unix seconds)."""
        now = self._clock()
        ttl = self._lifetime() if lifetime is None else lifetime
        expires = now + ttl
        jti = uuid.uuid4().hex
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": principal.subject,
            "aud": "API",
            "rlm": REALMS.get(principal.kind, principal.kind),
            "bpi": self._workspace_id if principal.workspace_selected else None,
            "iat": now,
            "exp": expires,
            "jti": jti,
        }
        if principal.kind == "user":
            claims["mfa"] = not principal.mfa_pending
        token = jwt.encode(claims, self._keys.private_key, algorithm="RS512")
        self._issued[token] = attrs.evolve(
            principal, token_id=jti, expires_at=expires, claims=claims
        )
        self._forget_expired(now)
        return token, expires

    def check(self, token: str) -> Principal:
        """The principal of a valid token, or :class:`TokenError` saying why not."""
        principal = self._issued.get(token)
        if principal is None:
            raise TokenError(self._explain(token))
        if principal.token_id in self._revoked:
            raise TokenError("Token has been revoked")
        assert principal.expires_at is not None
        if self._clock() >= principal.expires_at:
            raise TokenError("Token has expired")
        return principal

    def revoke_all(self) -> int:
        """Revoke every token issued so far; returns how many were still valid."""
        now = self._clock()
        live = [
            p.token_id
            for p in self._issued.values()
            if p.token_id is not None
            and p.token_id not in self._revoked
            and (p.expires_at or 0) > now
        ]
        self._revoked.update(live)
        return len(live)

    def revoke(self, token: str) -> bool:
        """Revoke one token; ``False`` when it is unknown."""
        principal = self._issued.get(token)
        if principal is None or principal.token_id is None:
            return False
        self._revoked.add(principal.token_id)
        return True

    def expire_all(self) -> None:
        """Make every issued token expired now (as if its lifetime had passed)."""
        now = self._clock()
        for principal in self._issued.values():
            principal.expires_at = min(principal.expires_at or now, now)

    def _explain(self, token: str) -> str:
        try:
            jwt.decode(
                token,
                self._public,
                algorithms=["RS512"],
                options={"verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            return "Token has expired"
        except jwt.InvalidSignatureError:
            return "Token signature is invalid"
        except jwt.DecodeError:
            return "Token is malformed"
        except jwt.InvalidTokenError as exc:
            return f"Token is invalid: {type(exc).__name__}"
        return "Token is not recognised"

    def _forget_expired(self, now: float) -> None:
        """Drop long-expired tokens now and then so memory stays bounded."""
        if len(self._issued) < 10_000 or len(self._issued) % 1000:
            return
        horizon = now - 3600.0
        for token, principal in list(self._issued.items()):
            if (principal.expires_at or now) < horizon:
                del self._issued[token]


def basic_credentials(header: str) -> tuple[str, str] | None:
    """``(workspace guid, api key)`` from an ``Authorization: Basic ...`` value."""
    try:
        decoded = base64.b64decode(header.split(" ", 1)[1].strip(), validate=True).decode("utf-8")
    except (IndexError, ValueError, UnicodeDecodeError):
        return None
    guid, sep, key = decoded.partition(":")
    return (guid, key) if sep else None


__all__ += ["basic_credentials"]
