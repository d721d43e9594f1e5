"""Provider change requests: a provider may not stop or change a running grant on its own.

It files a request (suspend, resume, revoke, or change: fewer items, an earlier end, a lower
daily cap); the competent authority approves it (then the grant changes) or rejects it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import Action, record
from exchange.grants.clock import end_of_day, local_date
from exchange.grants.errors import (
    GrantChangeNotFound,
    GrantInvalid,
    GrantStateConflict,
    NotYourGrant,
)
from exchange.grants.models import ChangeKind, ChangeStatus, Grant, GrantChange, GrantStatus
from exchange.grants.service import check_authority, get_grant, set_status
from kit.actors import Principal
from kit.db import new_id, utcnow
from kit.events import Envelope
from kit.outbox import enqueue

_TARGET = {
    ChangeKind.SUSPEND: GrantStatus.SUSPENDED,
    ChangeKind.RESUME: GrantStatus.ACTIVE,
    ChangeKind.REVOKE: GrantStatus.REVOKED,
}


def request_change(
    session: Session,
    *,
    grant_id: str,
    actor: Principal,
    kind: str,
    reason: str,
    changes: dict[str, Any] | None = None,
    topic: str,
    at: datetime | None = None,
) -> GrantChange:
    """The provider files a change request; nothing changes until the authority approves."""
    now = at or utcnow()
    grant = get_grant(session, grant_id, lock=True)
    if actor.department != grant.provider_code:
        raise NotYourGrant(f"only the provider {grant.provider_code} files changes to {grant_id}")
    try:
        change_kind = ChangeKind(kind)
    except ValueError as exc:
        raise GrantInvalid(f"kind must be one of {[k.value for k in ChangeKind]}") from exc
    if not (reason or "").strip():
        raise GrantInvalid("a change request needs a reason")
    try:
        clean = _check_changes(grant, change_kind, changes or {}, now)
    except (TypeError, ValueError) as exc:
        raise GrantInvalid(f"the changes are malformed: {exc}") from exc
    change = GrantChange(
        id=new_id(),
        grant_id=grant.id,
        kind=change_kind,
        reason=reason.strip(),
        changes=clean,
        status=ChangeStatus.PENDING,
        requested_by=actor.id,
        requested_at=now,
    )
    session.add(change)
    session.flush()
    entry = record(
        session,
        action=Action.GRANT_CHANGE_REQUEST,
        actor=actor,
        refs={"grant": grant.id, "change": change.id, "kind": change_kind},
        outcome="filed",
        reason=change.reason,
    )
    change.leaf_index = entry.index
    _announce(session, change, grant, topic)
    return change


def _check_changes(
    grant: Grant, kind: ChangeKind, changes: dict[str, Any], now: datetime
) -> dict[str, Any]:
    if kind is not ChangeKind.CHANGE:
        if changes:
            raise GrantInvalid(f"a {kind} request carries no changes")
        return {}
    unknown = set(changes) - {"items", "valid_until", "frequency_per_day"}
    if unknown or not changes:
        raise GrantInvalid("a change names items, valid_until and/or frequency_per_day only")
    clean: dict[str, Any] = {}
    if "items" in changes:
        items = list(changes["items"] or [])
        extra = sorted(set(items) - set(grant.items))
        if not items or extra or len(set(items)) != len(items):
            raise GrantInvalid("a change may only narrow the granted items", items=extra)
        clean["items"] = items
    if "valid_until" in changes:
        until = date.fromisoformat(str(changes["valid_until"]))
        if until > grant.valid_until or until < local_date(now):
            raise GrantInvalid("a change may only bring the end of the period closer")
        clean["valid_until"] = until.isoformat()
    if "frequency_per_day" in changes:
        cap = int(changes["frequency_per_day"])
        if not 1 <= cap <= grant.frequency_per_day:
            raise GrantInvalid("a change may only lower the daily cap (to at least 1)")
        clean["frequency_per_day"] = cap
    return clean


def get_change(session: Session, change_id: str, *, lock: bool = False) -> GrantChange:
    change = session.get(GrantChange, change_id, with_for_update=lock or None)
    if change is None:
        raise GrantChangeNotFound(f"no grant change request with id {change_id}")
    return change


def pending_changes(session: Session, *, authority: str) -> Sequence[GrantChange]:
    return session.scalars(
        select(GrantChange)
        .join(Grant, Grant.id == GrantChange.grant_id)
        .where(Grant.authority_code == authority, GrantChange.status == ChangeStatus.PENDING)
        .order_by(GrantChange.requested_at)
    ).all()


def decide_change(
    session: Session,
    *,
    change_id: str,
    actor: Principal,
    approve: bool,
    reason: str,
    topic: str,
    at: datetime | None = None,
) -> GrantChange:
    """The authority approves (the grant changes now) or rejects a provider's request."""
    change = get_change(session, change_id, lock=True)
    grant = get_grant(session, change.grant_id, lock=True)
    check_authority(grant, actor)
    if change.status != ChangeStatus.PENDING:
        raise GrantStateConflict(f"change request {change.id} is already {change.status}")
    if not (reason or "").strip():
        raise GrantInvalid("a decision on a change request needs a reason")
    change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    change.decided_by = actor.id
    change.decided_at = at or utcnow()
    change.decision_reason = reason.strip()
    if not approve:
        refs = {"grant": grant.id, "change": change.id, "kind": change.kind}
        record(
            session,
            action=Action.GRANT_CHANGE_REQUEST,
            actor=actor,
            refs=refs,
            outcome="rejected",
            reason=change.decision_reason,
        )
    else:
        _apply(session, change, grant, actor, topic)
    _announce(session, change, grant, topic)
    return change


def _apply(
    session: Session, change: GrantChange, grant: Grant, actor: Principal, topic: str
) -> None:
    ref = {"change": change.id}
    kind = ChangeKind(change.kind)
    if kind in _TARGET:
        set_status(
            session, grant, _TARGET[kind], actor=actor, reason=change.reason, topic=topic, ref=ref
        )
        return
    if grant.status not in (GrantStatus.ACTIVE, GrantStatus.SUSPENDED):
        raise GrantStateConflict(f"grant {grant.id} is {grant.status}; it cannot be changed")
    values = change.changes
    if "items" in values:
        grant.items = list(values["items"])
    if "valid_until" in values:
        grant.valid_until = date.fromisoformat(values["valid_until"])
        grant.expires_at = end_of_day(grant.valid_until)
    if "frequency_per_day" in values:
        grant.frequency_per_day = int(values["frequency_per_day"])
    grant.updated_at = utcnow()
    refs = {"grant": grant.id, "change": change.id, "kind": change.kind}
    refs["fields"] = ",".join(sorted(values))
    record(
        session,
        action=Action.GRANT_CHANGE_REQUEST,
        actor=actor,
        refs=refs,
        outcome="applied",
        reason=change.reason,
    )


def _announce(session: Session, change: GrantChange, grant: Grant, topic: str) -> None:
    payload = {
        "change": change.id,
        "grant": grant.id,
        "kind": change.kind,
        "status": change.status,
        "changes": dict(change.changes),
        "grant_status": grant.status,
    }
    event = Envelope(type="grant:change-request", key=grant.id, payload=payload)
    enqueue(session, topic=topic, event=event)
