"""Two questions the pre-fill asks before any exchange: which of the caller's grants serves a
resource for the scenario's purpose, and is the applicant the subject's registered next of kin
(近亲属, a delegation the civil affairs or public security office registered)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from consent import Delegation, DelegationKind
from exchange.grants import Grant, GrantStatus


def held_grants(
    session: Session,
    *,
    system_id: str,
    department_code: str,
    resource_code: str,
    purpose: str,
    at: datetime,
) -> list[Grant]:
    """Every ACTIVE, unexpired grant of the caller's department held by ``system_id`` for
    ``resource_code`` and ``purpose``, newest first. A resource whose items have different
    sharing attributes is often granted as several grants (one per attribute)."""
    found = session.scalars(
        select(Grant)
        .where(
            Grant.resource_code == resource_code,
            Grant.requester_code == department_code,
            Grant.purpose == purpose,
            Grant.status == GrantStatus.ACTIVE,
            Grant.expires_at > at,
        )
        .order_by(Grant.created_at.desc(), Grant.id.desc())
    ).all()
    return [g for g in found if system_id in g.systems]


# Asked by every pre-fill, so built once (building and keying a statement cost about as much
# as running it).
_HELD_FOR_RESOURCES = (
    select(Grant)
    .where(
        Grant.resource_code.in_(bindparam("resource_refs", expanding=True)),
        Grant.requester_code == bindparam("department_ref"),
        Grant.purpose == bindparam("purpose_ref"),
        Grant.status == GrantStatus.ACTIVE,
        Grant.expires_at > bindparam("at_ref"),
    )
    .order_by(Grant.created_at.desc(), Grant.id.desc())
)


def held_grants_by_resource(
    session: Session,
    *,
    system_id: str,
    department_code: str,
    resource_codes: Sequence[str],
    purpose: str,
    at: datetime,
) -> dict[str, list[Grant]]:
    """:func:`held_grants` for several resources in one query: resource code → its grants,
    newest first (a code without one is absent)."""
    params = {
        "resource_refs": list(dict.fromkeys(resource_codes)),
        "department_ref": department_code,
        "purpose_ref": purpose,
        "at_ref": at,
    }
    found = session.scalars(_HELD_FOR_RESOURCES, params).all()
    held: dict[str, list[Grant]] = {}
    for grant in found:
        if system_id in grant.systems:
            held.setdefault(grant.resource_code, []).append(grant)
    return held


def find_grant(
    session: Session,
    *,
    system_id: str,
    department_code: str,
    resource_code: str,
    purpose: str,
    at: datetime,
    items: Sequence[str] = (),
) -> Grant | None:
    """The caller's grant for ``resource_code`` and ``purpose`` covering most of ``items``
    (then the newest), or None."""
    held = held_grants(
        session,
        system_id=system_id,
        department_code=department_code,
        resource_code=resource_code,
        purpose=purpose,
        at=at,
    )
    wanted = set(items)
    return max(held, key=lambda g: len(wanted.intersection(g.items)), default=None)


def cover(
    grants: Sequence[Grant], items: Sequence[str]
) -> tuple[list[tuple[Grant, list[str]]], list[str]]:
    """Split ``items`` over as few of ``grants`` as possible (the one covering most first);
    return (grant, its items) pairs and the items no grant covers."""
    left = list(dict.fromkeys(items))
    chosen: list[tuple[Grant, list[str]]] = []
    while left:
        best = max(grants, key=lambda g: len(set(left).intersection(g.items)), default=None)
        if best is None or not set(left).intersection(best.items):
            break
        taken = [i for i in left if i in best.items]
        chosen.append((best, taken))
        left = [i for i in left if i not in taken]
    return chosen, left


def is_next_of_kin(session: Session, *, applicant: str, subject: str, at: datetime) -> bool:
    """True when ``applicant`` is ``subject`` or holds a live next-of-kin delegation for it."""
    if applicant == subject:
        return True
    found = session.scalar(
        select(Delegation.id)
        .where(
            Delegation.kind == str(DelegationKind.NEXT_OF_KIN),
            Delegation.delegate == applicant,
            Delegation.principal == subject,
            Delegation.valid_from <= at,
            or_(Delegation.valid_until.is_(None), Delegation.valid_until > at),
        )
        .limit(1)
    )
    return found is not None
