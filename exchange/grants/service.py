"""Use cases of grants: issue (from a granted application), suspend, resume, revoke, close.

Only the competent authority suspends, resumes or revokes; the requester closes its own grant
when the purpose is achieved or the period ends. Services never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit import Action, record
from exchange.grants.clock import end_of_day
from exchange.grants.errors import GrantInvalid, GrantNotFound, GrantStateConflict, NotYourGrant
from exchange.grants.models import Grant, GrantStatus, LawfulBasis
from kit.actors import ROLE_REVIEWER, Principal
from kit.db import new_id, utcnow
from kit.events import Envelope
from kit.outbox import enqueue

# grant lifecycle events (suspend, resume, revoke, close, change requests); a grant's issue
# travels with its application's step on the applications topic
TOPIC: Final = "exchange.grants"
IN_FORCE = (GrantStatus.ACTIVE, GrantStatus.SUSPENDED)


@dataclass(frozen=True)
class GrantTerms:
    """What a granted application puts into its grant."""

    application_id: str
    requester_code: str
    provider_code: str
    authority_code: str
    systems: tuple[str, ...]
    resource_id: str
    resource_code: str
    resource_version: int
    items: tuple[str, ...]
    personal: bool  # any granted item is personal information
    purpose: str
    scenario: str
    duty_basis: str
    statutory_duty: bool
    conditions: tuple[str, ...]
    share_mode: str
    frequency_per_day: int
    valid_until: date


def lawful_basis(terms: GrantTerms) -> tuple[LawfulBasis, str | None]:
    """Personal items under a stated statutory duty → statutory-duty with the duty basis as its
    legal reference; otherwise each subject's consent is needed."""
    if terms.personal and terms.statutory_duty:
        return LawfulBasis.STATUTORY_DUTY, terms.duty_basis
    return LawfulBasis.CONSENT, None


def issue(session: Session, *, terms: GrantTerms, topic: str, at: datetime) -> Grant:
    """Create the ACTIVE grant of a granted application (its application:grant leaf, written
    by the caller, names the grant)."""
    basis, reference = lawful_basis(terms)
    grant = Grant(
        id=new_id(),
        application_id=terms.application_id,
        requester_code=terms.requester_code,
        provider_code=terms.provider_code,
        authority_code=terms.authority_code,
        systems=list(terms.systems),
        resource_id=terms.resource_id,
        resource_code=terms.resource_code,
        resource_version=terms.resource_version,
        items=list(terms.items),
        purpose=terms.purpose,
        scenario=terms.scenario,
        duty_basis=terms.duty_basis,
        lawful_basis=str(basis),
        legal_reference=reference,
        conditions=list(terms.conditions),
        share_mode=terms.share_mode,
        frequency_per_day=terms.frequency_per_day,
        valid_until=terms.valid_until,
        expires_at=end_of_day(terms.valid_until),
        status=GrantStatus.ACTIVE,
        created_at=at,
        updated_at=at,
    )
    session.add(grant)
    session.flush()
    _announce(session, grant, "grant:issue", topic)
    return grant


def get_grant(session: Session, grant_id: str, *, lock: bool = False) -> Grant:
    """The grant; ``lock`` takes its row lock so concurrent steps happen one at a time."""
    grant = session.get(Grant, grant_id, with_for_update=lock or None)
    if grant is None:
        raise GrantNotFound(f"no grant with id {grant_id}")
    return grant


def list_grants(
    session: Session, *, requester: str | None = None, provider: str | None = None
) -> Sequence[Grant]:
    query = select(Grant).order_by(Grant.created_at, Grant.id)
    if requester:
        query = query.where(Grant.requester_code == requester)
    if provider:
        query = query.where(Grant.provider_code == provider)
    return session.scalars(query).all()


def active_grant_count(session: Session, resource_code: str, *, at: datetime | None = None) -> int:
    """Grants of any version of the resource still in force (ACTIVE or SUSPENDED and within
    their period): retiring the resource needs the authority's consent while this is > 0."""
    now = at or utcnow()
    count = session.scalar(
        select(func.count())
        .select_from(Grant)
        .where(
            Grant.resource_code == resource_code,
            Grant.status.in_([str(s) for s in IN_FORCE]),
            Grant.expires_at > now,
        )
    )
    return int(count or 0)


def check_authority(grant: Grant, actor: Principal) -> None:
    if actor.department != grant.authority_code or not actor.has(ROLE_REVIEWER):
        raise NotYourGrant(
            f"only reviewers of the competent authority {grant.authority_code} act on grant "
            f"{grant.id}"
        )


def suspend(session: Session, *, grant_id: str, actor: Principal, reason: str, topic: str) -> Grant:
    """The authority stops a grant for now (misuse, an approved provider request, ...)."""
    grant = get_grant(session, grant_id, lock=True)
    check_authority(grant, actor)
    return set_status(
        session, grant, GrantStatus.SUSPENDED, actor=actor, reason=reason, topic=topic
    )


def resume(session: Session, *, grant_id: str, actor: Principal, reason: str, topic: str) -> Grant:
    grant = get_grant(session, grant_id, lock=True)
    check_authority(grant, actor)
    return set_status(session, grant, GrantStatus.ACTIVE, actor=actor, reason=reason, topic=topic)


def revoke(session: Session, *, grant_id: str, actor: Principal, reason: str, topic: str) -> Grant:
    grant = get_grant(session, grant_id, lock=True)
    check_authority(grant, actor)
    return set_status(session, grant, GrantStatus.REVOKED, actor=actor, reason=reason, topic=topic)


def close(session: Session, *, grant_id: str, actor: Principal, reason: str, topic: str) -> Grant:
    """The requester declares the purpose achieved or the period ended (规则 6)."""
    grant = get_grant(session, grant_id, lock=True)
    if actor.department != grant.requester_code:
        raise NotYourGrant(f"only the holder {grant.requester_code} closes grant {grant.id}")
    return set_status(session, grant, GrantStatus.CLOSED, actor=actor, reason=reason, topic=topic)


# target status → (the statuses it may be reached from, its audit action)
_MOVES = {
    GrantStatus.SUSPENDED: ((GrantStatus.ACTIVE,), Action.GRANT_SUSPEND),
    GrantStatus.ACTIVE: ((GrantStatus.SUSPENDED,), Action.GRANT_RESUME),
    GrantStatus.REVOKED: ((GrantStatus.ACTIVE, GrantStatus.SUSPENDED), Action.GRANT_REVOKE),
    GrantStatus.CLOSED: ((GrantStatus.ACTIVE, GrantStatus.SUSPENDED), Action.GRANT_CLOSE),
}


def set_status(
    session: Session,
    grant: Grant,
    to: GrantStatus,
    *,
    actor: Principal,
    reason: str,
    topic: str,
    ref: dict[str, str] | None = None,
) -> Grant:
    """Move a grant along its lifecycle with its leaf and outbox event (no role check)."""
    sources, action = _MOVES[to]
    reason = (reason or "").strip()
    if not reason:
        raise GrantInvalid(f"{action} needs a reason")
    if grant.status not in sources:
        raise GrantStateConflict(f"grant {grant.id} is {grant.status}; {action} is not possible")
    grant.status = to
    grant.status_reason = reason
    grant.updated_at = utcnow()
    record(session, action=action, actor=actor, refs=_refs(grant, ref), outcome=to, reason=reason)
    _announce(session, grant, str(action), topic)
    return grant


def _refs(grant: Grant, extra: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "grant": grant.id,
        "application": grant.application_id,
        "resource": grant.resource_code,
        "version": grant.resource_version,
        "provider": grant.provider_code,
        "requester": grant.requester_code,
        **(extra or {}),
    }


def _announce(session: Session, grant: Grant, kind: str, topic: str) -> None:
    payload = {**_refs(grant), "status": grant.status, "items": list(grant.items)}
    enqueue(session, topic=topic, event=Envelope(type=kind, key=grant.id, payload=payload))
