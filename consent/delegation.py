"""Delegations (代理关系): who may decide for a subject who cannot, or is not a person.

- ``parent`` — a parent (监护人) for a minor child; valid until the child turns 18, computed
  from the birth date in the child's resident ID number;
- ``next-of-kin`` — the next of kin (近亲属) for a deceased person;
- ``legal-representative`` — the legal representative (法定代表人) for a company.

The relation is registered by the office that can vouch for it — an admin user, or a
department system with the requester role acting for the civil affairs (民政) or public
security (公安, household register) office — never by the person claiming it. Every
registration is a row and a ``delegation:add`` audit leaf about the represented subject.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from audit import Action, commitment, record
from consent.errors import DelegationExists, InvalidDelegation, NotTheSubject
from consent.identity import (
    COMPANY,
    PERSON,
    adulthood,
    citizen_subject,
    is_minor,
    normal_subject,
    parse_subject,
)
from consent.models import Delegation
from kit.actors import OPERATOR, ROLE_ADMIN, ROLE_REQUESTER, SYSTEM, USER, Principal
from kit.db import new_id, utcnow
from kit.errors import Forbidden


class DelegationKind(StrEnum):
    PARENT = "parent"
    NEXT_OF_KIN = "next-of-kin"
    LEGAL_REPRESENTATIVE = "legal-representative"


_PRINCIPAL_KIND = {
    DelegationKind.PARENT: PERSON,
    DelegationKind.NEXT_OF_KIN: PERSON,
    DelegationKind.LEGAL_REPRESENTATIVE: COMPANY,
}


def may_register(actor: Principal) -> bool:
    """Admin users, the operator, and requester systems register delegations."""
    if actor.kind in (USER, OPERATOR):
        return actor.has(ROLE_ADMIN)
    return actor.kind == SYSTEM and actor.has(ROLE_REQUESTER)


def add_delegation(
    session: Session,
    *,
    actor: Principal,
    kind: str,
    delegate: str,
    principal: str,
    evidence: str,
    valid_until: datetime | None = None,
    at: datetime | None = None,
) -> Delegation:
    """Register that ``delegate`` (a person) may decide on consents for ``principal``."""
    if not may_register(actor):
        raise Forbidden("delegations are registered by an admin user or a requester system")
    at = at or utcnow()
    relation = _kind(kind)
    delegate, principal = normal_subject(delegate), normal_subject(principal)
    if parse_subject(delegate)[0] != PERSON:
        raise InvalidDelegation("a delegate is a person (person:<resident id>)")
    if delegate == principal:
        raise InvalidDelegation("a subject does not need a delegation to act for itself")
    if not evidence.strip():
        raise InvalidDelegation("evidence must say what the relation rests on (证明材料)")
    until = _until(relation, principal, valid_until, at)
    if _active(session, delegate=delegate, principal=principal, at=at, kind=relation):
        raise DelegationExists(f"this {relation} delegation is already registered")
    row = Delegation(
        id=new_id(),
        kind=str(relation),
        delegate=delegate,
        delegate_commitment=_commit(session, delegate),
        principal=principal,
        principal_commitment=_commit(session, principal),
        evidence=evidence.strip(),
        valid_from=at,
        valid_until=until,
        registered_by_kind=actor.kind,
        registered_by_id=actor.id,
        registered_by_department=actor.department,
        leaf_index=-1,
    )
    entry = record(
        session,
        action=Action.DELEGATION_ADD,
        actor=actor,
        subject=principal,
        refs={"delegation": row.id, "kind": str(relation), "delegate": row.delegate_commitment},
    )
    row.leaf_index = entry.index
    session.add(row)
    session.flush()
    return row


def _kind(kind: str) -> DelegationKind:
    try:
        return DelegationKind(kind)
    except ValueError:
        names = ", ".join(k.value for k in DelegationKind)
        raise InvalidDelegation(f"kind must be one of {names}, not {kind!r}") from None


def _until(
    relation: DelegationKind, principal: str, asked: datetime | None, at: datetime
) -> datetime | None:
    kind, ident = parse_subject(principal)
    if kind != _PRINCIPAL_KIND[relation]:
        raise InvalidDelegation(f"a {relation} delegation represents a {_PRINCIPAL_KIND[relation]}")
    if asked is not None and asked <= at:
        raise InvalidDelegation("valid_until must be in the future")
    if relation is not DelegationKind.PARENT:
        return asked
    if not is_minor(ident, at):
        raise InvalidDelegation("a parent acts only for a minor child (under 18 by the ID number)")
    adult = adulthood(ident)
    assert adult is not None  # a minor has a birth date
    return adult if asked is None else min(asked, adult)


def _commit(session: Session, subject: str) -> str:
    value = commitment(session, subject)
    assert value is not None  # created when absent
    return value


def _active(
    session: Session,
    *,
    delegate: str,
    principal: str,
    at: datetime,
    kind: DelegationKind | None = None,
) -> Delegation | None:
    query = select(Delegation).where(
        Delegation.delegate == delegate,
        Delegation.principal == principal,
        Delegation.valid_from <= at,
        or_(Delegation.valid_until.is_(None), Delegation.valid_until > at),
    )
    if kind is not None:
        query = query.where(Delegation.kind == str(kind))
    return session.scalars(query.order_by(Delegation.created_at).limit(1)).first()


def acting_for(session: Session, who: Principal, subject: str, at: datetime) -> str | None:
    """Check that citizen ``who`` may decide for ``subject``; return the delegation id used
    (``None`` when ``who`` is the subject). Anyone else gets 403."""
    own = citizen_subject(who)
    if own == subject:
        return None
    delegation = _active(session, delegate=own, principal=subject, at=at)
    if delegation is None:
        raise NotTheSubject(
            "only the subject, or a delegate registered for them (a parent for a minor, the "
            "next of kin for a deceased person, the legal representative for a company), "
            "may decide on this consent"
        )
    return delegation.id


def subject_for(
    session: Session, who: Principal, on_behalf_of: str | None, at: datetime
) -> tuple[str, str | None]:
    """The subject a citizen acts as: themself, or ``on_behalf_of`` through a delegation."""
    if on_behalf_of is None:
        return citizen_subject(who), None
    subject = normal_subject(on_behalf_of)
    return subject, acting_for(session, who, subject, at)
