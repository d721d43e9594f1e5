"""Authentication: who is calling.

- **Department systems** sign their own bearer JWT (private_key_jwt style): ``iss`` = ``sub``
  = system id, ``aud`` = the hub id, ``exp`` at most ``max_system_token_s`` after ``iat``,
  a unique ``jti``, header ``kid`` naming one of the system's registered keys.
- **Human users** log in with a password and receive a short-lived token signed by the hub.
- **Citizens** present a token from the configured identity provider (JWKS by configuration).

Every refusal is a 401 whose ``detail`` says which check failed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from fastapi import Request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from catalog import get_user as load_user
from catalog import key_holder, remember_token_id
from kit.actors import CITIZEN, ROLE_CITIZEN, SYSTEM, USER, Principal
from kit.crypto import Ed25519PrivateKey, Ed25519PublicKey, public_jwk, public_key_from_jwk
from kit.db import new_id, reading_rows, transaction
from kit.errors import Unauthorized
from kit.web import DEFER_TOKEN, SPEND_TOKEN, SpendToken

LEEWAY_S = 30
PRUNE_EVERY_S = 60.0  # how often the ids of expired system tokens are deleted


class TokenRefused(Unauthorized):
    pass


@dataclass(frozen=True)
class HubKey:
    """The hub's signing key and its public JWK (``kid`` = RFC 7638 thumbprint)."""

    private: Ed25519PrivateKey
    jwk: dict[str, str]

    @property
    def kid(self) -> str:
        return self.jwk["kid"]

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @classmethod
    def of(cls, key: Ed25519PrivateKey) -> HubKey:
        return cls(private=key, jwk=public_jwk(key))


def load_jwks(path: Path) -> dict[str, Ed25519PublicKey]:
    """kid → key from a JWKS file; an absent file trusts nobody."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text("utf-8"))
    return {k["kid"]: public_key_from_jwk(k) for k in data.get("keys", [])}


def _decode(token: str, key: Ed25519PublicKey, audience: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            audience=audience,
            leeway=LEEWAY_S,
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenRefused("token expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise TokenRefused("token not yet valid") from exc
    except jwt.InvalidAudienceError as exc:
        raise TokenRefused(f"wrong audience: this hub is {audience!r}") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise TokenRefused(f"token lacks a required claim: {exc.claim}") from exc
    except jwt.InvalidSignatureError as exc:
        raise TokenRefused("bad signature") from exc
    except jwt.PyJWTError as exc:
        raise TokenRefused(f"malformed token: {exc}") from exc
    if claims["iat"] > datetime.now(UTC).timestamp() + LEEWAY_S:
        raise TokenRefused("token not yet valid: issued in the future")
    return claims


class Authenticator:
    """Turns a request's bearer token into a :class:`Principal` or raises ``Unauthorized``."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        engine: Engine,
        hub_id: str,
        hub_key: HubKey,
        citizen_keys: dict[str, Ed25519PublicKey],
        citizen_issuer: str,
        max_system_token_s: int,
    ) -> None:
        self.factory = factory
        self.engine = engine  # the factory's, for the key read on a plain connection
        self.hub_id = hub_id
        self.hub_key = hub_key
        self.citizen_keys = citizen_keys
        self.citizen_issuer = citizen_issuer
        self.max_system_token_s = max_system_token_s
        self._keys: dict[str, Ed25519PublicKey] = {}  # kid (its JWK's thumbprint) → key
        self._pruned_at = float("-inf")

    def __call__(self, request: Request) -> Principal:
        cached: Principal | None = getattr(request.state, "principal", None)
        if cached is not None:
            return cached
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("missing bearer token (Authorization: Bearer <jwt>)")
        if getattr(request.state, DEFER_TOKEN, False):
            who, spend = self.authenticate_deferred(token.strip())
            setattr(request.state, SPEND_TOKEN, spend)
        else:
            who = self.authenticate(token.strip())
        request.state.principal = who
        return who

    def authenticate(self, token: str) -> Principal:
        """The caller of ``token``; a system token is recorded as used before this returns."""
        who, spend = self.authenticate_deferred(token)
        if spend is not None:
            with transaction(self.factory) as session:
                spend(session)
        return who

    def authenticate_deferred(self, token: str) -> tuple[Principal, SpendToken | None]:
        """The caller of ``token`` and, for a system token, what records it as used (for the
        caller to run in its own transaction: a token that is never spent can be replayed)."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"malformed token: {exc}") from exc
        if not kid:
            raise TokenRefused("token header has no kid")
        if kid == self.hub_key.kid:
            return self._user(token), None
        if kid in self.citizen_keys:
            return self._citizen(token, self.citizen_keys[kid]), None
        return self._system(token, kid)

    def _system(self, token: str, kid: str) -> tuple[Principal, SpendToken]:
        # Everything but remembering the jti only reads: it runs without the write lock, so
        # checking a signature never holds up the hub's writers. The key and its system are
        # read on every request (a key is retired, a system disabled, at any time); only
        # the parsed public key is kept, by its kid, the thumbprint of the key itself.
        with reading_rows(self.engine) as connection:
            holder = key_holder(connection, kid)
        if holder is None:
            raise TokenRefused(f"unknown key id {kid}")
        public = self._keys.get(kid)
        if public is None:
            public = self._keys.setdefault(kid, public_key_from_jwk(holder.jwk))
        claims = _decode(token, public, self.hub_id)
        system_id = holder.system_id
        if claims.get("iss") != system_id or claims.get("sub") != system_id:
            raise TokenRefused("iss and sub must both be the id of the key's system")
        if claims["exp"] - claims["iat"] > self.max_system_token_s:
            raise TokenRefused(f"token lifetime exceeds {self.max_system_token_s} s")
        jti = claims.get("jti")
        if not jti:
            raise TokenRefused("token lacks a required claim: jti")
        if not holder.enabled:
            raise TokenRefused(f"system {system_id} is disabled")
        principal = Principal(
            kind=SYSTEM,
            id=system_id,
            department=holder.department_code,
            roles=holder.roles,
            name=holder.name,
        )
        expires = datetime.fromtimestamp(claims["exp"] + LEEWAY_S, UTC)

        def spend(session: Session, *, strict: bool = True) -> None:
            now = time.monotonic()
            prune = now - self._pruned_at >= PRUNE_EVERY_S
            if prune:
                self._pruned_at = now
            fresh = remember_token_id(
                session, jti=str(jti), system_id=system_id, expires_at=expires, prune=prune
            )
            if strict and not fresh:
                raise TokenRefused("token replayed: this jti was already used")

        return principal, spend

    def _user(self, token: str) -> Principal:
        claims = _decode(token, self.hub_key.public, self.hub_id)
        with transaction(self.factory) as session:
            user = load_user(session, str(claims["sub"]))
            if not user.enabled:
                raise TokenRefused("this user is disabled")
            return Principal(
                kind=USER,
                id=user.id,
                department=user.department_code,
                roles=frozenset(user.roles),
                name=user.name,
            )

    def _citizen(self, token: str, key: Ed25519PublicKey) -> Principal:
        claims = _decode(token, key, self.hub_id)
        if claims.get("iss") != self.citizen_issuer:
            raise TokenRefused(f"citizen tokens must be issued by {self.citizen_issuer!r}")
        return Principal(
            kind=CITIZEN,
            id=str(claims["sub"]),
            department=None,
            roles=frozenset({ROLE_CITIZEN}),
            name=str(claims.get("name", "")),
        )


def system_token(
    system_id: str, key: Ed25519PrivateKey, *, audience: str, lifetime_s: int = 120
) -> str:
    """A fresh bearer token for ``system_id`` signed with its own key."""
    now = datetime.now(UTC)
    claims = {
        "iss": system_id,
        "sub": system_id,
        "aud": audience,
        "jti": new_id(),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime_s)).timestamp()),
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": public_jwk(key)["kid"]})


def user_token(user_id: str, hub_key: HubKey, *, audience: str, lifetime_s: int) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": audience,
        "sub": user_id,
        "aud": audience,
        "jti": new_id(),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime_s)).timestamp()),
    }
    return jwt.encode(claims, hub_key.private, algorithm="EdDSA", headers={"kid": hub_key.kid})


def citizen_token(
    subject_id: str,
    key: Ed25519PrivateKey,
    *,
    issuer: str,
    audience: str,
    lifetime_s: int = 900,
    name: str = "",
) -> str:
    """What the identity provider issues; the demo's ``tongban citizen token`` uses it."""
    now = datetime.now(UTC)
    claims = {
        "iss": issuer,
        "sub": subject_id,
        "aud": audience,
        "jti": new_id(),
        "name": name,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime_s)).timestamp()),
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": public_jwk(key)["kid"]})


Authenticate = Callable[[Request], Principal]
