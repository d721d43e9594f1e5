"""Checking a provider's signed reply before anything of it is recorded or delivered.

The signing key must be an active key of an enabled system of the provider department, the
JWS must verify, its claims must match the request (exchange, resource, schema, subject
commitment, grant, provider), its data may hold only requested items, and found data must
conform to the resource's unified schema for those items. Parsed public keys are cached by
their key material; the key's status and its system's are read in one query, once per reply
or, for a batch of replies recorded in one transaction, once for the batch's keys together
(:func:`read_signers` fills ``keys``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from catalog import KeyHolder, key_holder, key_holders
from exchange.runtime.models import OUTCOME_STATUS, Exchange
from kit.crypto import Ed25519PublicKey, jws_header, jws_verify, public_key_from_jwk
from kit.errors import TongbanError
from schemas import validate_partial

_MATCHED = (
    ("exchange_id", "id"),
    ("resource_code", "resource_code"),
    ("resource_version", "resource_version"),
    ("schema_id", "schema_id"),
    ("subject_commitment", "subject_commitment"),
    ("grant_id", "grant_id"),
    ("provider_code", "provider_code"),
)


class Refused(Exception):
    """A reply the hub will not accept; ``reason`` says why (no record value in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Verified:
    """A reply that passed every check."""

    claims: dict[str, Any]
    kid: str
    provider_system: str
    outcome: str
    issued_at: datetime


@functools.lru_cache(maxsize=4096)
def _public_key(x: str) -> Ed25519PublicKey:
    return public_key_from_jwk({"kty": "OKP", "crv": "Ed25519", "x": x})


def verify_reply(
    session: Session,
    ex: Exchange,
    payload: dict[str, Any],
    *,
    keys: dict[str, KeyHolder | None] | None = None,
) -> Verified:
    """Every check on a reply to ``ex``; raises :class:`Refused` naming the first failure.
    ``keys`` keeps the signing keys read so far (by kid) for the other replies checked in
    the same unit; give it only within one transaction, whose snapshot they were read in."""
    jws = payload.get("jws")
    if not isinstance(jws, str) or not jws:
        raise Refused("the reply carries no signed payload")
    key = _signer(session, ex, jws, {} if keys is None else keys)
    system_id = key.system_id
    if payload.get("provider_system") != system_id:
        raise Refused(f"the reply names a provider system other than the signer {system_id}")
    try:
        claims = jws_verify(jws, _public_key(str(key.jwk["x"])))
    except TongbanError as exc:
        raise Refused(f"the provider's signature does not verify ({exc.detail})") from exc
    outcome = _matching(claims, ex, payload, system_id)
    _check_data(claims, ex, outcome)
    return Verified(claims, key.kid, system_id, outcome, _issued_at(claims))


def read_signers(
    session: Session, payloads: Iterable[Mapping[str, Any]], keys: dict[str, KeyHolder | None]
) -> None:
    """Read the signing keys named by the replies ``payloads`` into ``keys`` (by kid; None
    for a key that is unknown or retired) in one query, for :func:`verify_reply` to find
    there. A payload without a readable JWS header is left to :func:`verify_reply`, which
    refuses it."""
    kids = set()
    for payload in payloads:
        jws = payload.get("jws")
        try:
            kid = jws_header(jws).get("kid") if isinstance(jws, str) else None
        except TongbanError:
            continue
        if isinstance(kid, str) and kid and kid not in keys:
            kids.add(kid)
    if not kids:
        return
    found = key_holders(session, kids)
    for kid in kids:
        keys[kid] = found.get(kid)


def _signer(
    session: Session, ex: Exchange, jws: str, keys: dict[str, KeyHolder | None]
) -> KeyHolder:
    try:
        kid = jws_header(jws).get("kid")
    except TongbanError as exc:
        raise Refused(f"the signed payload is not a compact JWS ({exc.detail})") from exc
    if not isinstance(kid, str) or not kid:
        raise Refused("the signed payload names no key (kid)")
    if kid in keys:
        key = keys[kid]
    else:
        key = keys[kid] = key_holder(session, kid)
    if key is None:
        raise Refused(f"key {kid} is not an active registered key")
    if key.department_code != ex.provider_code:
        raise Refused(
            f"key {kid} belongs to system {key.system_id} of department {key.department_code}, "
            f"not to the provider {ex.provider_code}"
        )
    if not key.enabled:
        raise Refused(f"the signing system {key.system_id} is disabled")
    return key


def _matching(claims: dict[str, Any], ex: Exchange, payload: dict[str, Any], system: str) -> str:
    for claim, column in _MATCHED:
        if claims.get(claim) != getattr(ex, column):
            raise Refused(f"the signed {claim} does not match the request")
    if claims.get("provider_system") != system:
        raise Refused("the signed provider_system is not the signer")
    outcome = claims.get("outcome")
    if outcome not in OUTCOME_STATUS or payload.get("outcome") != outcome:
        raise Refused("the signed outcome is missing, unknown or not the reply's outcome")
    items = claims.get("items")
    if not isinstance(items, list) or not set(items) <= set(ex.items):
        raise Refused("the signed items are not among the items requested")
    return str(outcome)


def _check_data(claims: dict[str, Any], ex: Exchange, outcome: str) -> None:
    data = claims.get("data")
    if not isinstance(data, dict):
        raise Refused("the signed data is not an object")
    extra = sorted(set(data) - set(ex.items))
    if extra:
        raise Refused(f"the data holds items that were not requested: {', '.join(extra)}")
    if outcome != "found":
        if data:
            raise Refused(f"a {outcome} reply carries data")
        return
    found = validate_partial(ex.schema_id, data, ex.items, version=ex.schema_version)
    if found:
        listed = "; ".join(f"{v.path}: {v.message}" for v in found[:10])
        raise Refused(f"the data does not conform to {ex.schema_id} {ex.schema_version}: {listed}")


def _issued_at(claims: dict[str, Any]) -> datetime:
    text = claims.get("issued_at")
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError as exc:
        raise Refused("the signed issued_at is not an RFC 3339 time") from exc
    if when.tzinfo is None:
        raise Refused("the signed issued_at has no time zone")
    return when
