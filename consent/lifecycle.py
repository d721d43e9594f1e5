"""The lifecycle of a consent record: which steps are legal, and the one function that takes
a step (the event row and its audit leaf, in the caller's transaction).

::

    REQUESTED → GIVEN | REFUSED
    GIVEN     → PAUSED | WITHDRAWN | REVOKED | EXPIRED
    PAUSED    → GIVEN (resume) | WITHDRAWN | REVOKED | EXPIRED
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import Action, record
from consent.errors import ConsentNotFound, IllegalTransition
from consent.models import Consent, ConsentEvent, State
from kit.actors import CITIZEN, Principal

LEGAL: dict[State, frozenset[State]] = {
    State.REQUESTED: frozenset({State.GIVEN, State.REFUSED}),
    State.GIVEN: frozenset({State.PAUSED, State.WITHDRAWN, State.REVOKED, State.EXPIRED}),
    State.PAUSED: frozenset({State.GIVEN, State.WITHDRAWN, State.REVOKED, State.EXPIRED}),
}
_ACTIONS: dict[State, Action] = {
    State.GIVEN: Action.CONSENT_GIVE,
    State.REFUSED: Action.CONSENT_REFUSE,
    State.PAUSED: Action.CONSENT_PAUSE,
    State.WITHDRAWN: Action.CONSENT_WITHDRAW,
    State.REVOKED: Action.CONSENT_REVOKE,
    State.EXPIRED: Action.CONSENT_EXPIRE,
}


def action_for(before: State | None, after: State) -> Action:
    """The audit action of a step (``consent:resume`` for PAUSED → GIVEN)."""
    if before is State.PAUSED and after is State.GIVEN:
        return Action.CONSENT_RESUME
    return _ACTIONS[after]


def locked(session: Session, consent_id: str) -> Consent:
    """Load a record for a change, holding its row lock until commit (PostgreSQL
    ``FOR UPDATE``; SQLite already serialises writers) and refreshing a stale copy."""
    consent = session.scalar(
        select(Consent)
        .where(Consent.id == consent_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if consent is None:
        raise ConsentNotFound(f"no consent {consent_id}")
    return consent


def log_step(
    session: Session,
    consent: Consent,
    *,
    action: Action,
    before: State | None,
    after: State,
    actor: Principal,
    at: datetime,
    delegation_id: str | None = None,
    reason: str | None = None,
) -> ConsentEvent:
    """Write the audit leaf and the event row of one step; set the record's state.

    A citizen's free-text reason stays in the event row; the leaf holds only its SHA-256,
    since the log must never carry personal data."""
    private = actor.kind == CITIZEN and reason is not None
    entry = record(
        session,
        action=action,
        actor=actor,
        subject=consent.subject,
        refs={
            "consent": consent.id,
            "recipient": consent.recipient,
            "purpose": consent.purpose,
            "basis": consent.lawful_basis,
            "delegation": delegation_id,
        },
        reason=None if private else reason,
        digests={"reason": _sha256(reason)} if private and reason else None,
    )
    consent.state = after
    consent.updated_at = at
    if after is State.GIVEN:
        consent.active_leaf_index = entry.index
    event = ConsentEvent(
        consent_id=consent.id,
        from_state=None if before is None else str(before),
        to_state=str(after),
        action=str(action),
        actor_kind=actor.kind,
        actor_id=None if actor.kind == CITIZEN else actor.id,
        delegation_id=delegation_id,
        time=at,
        reason=reason,
        leaf_index=entry.index,
    )
    consent.events.append(event)
    return event


def ensure_legal(consent: Consent, after: State, *, only_from: State | None = None) -> None:
    """409 naming ``from`` and ``to`` unless the lifecycle allows the step (and, for steps
    with one origin — give from REQUESTED, resume from PAUSED — the record is there)."""
    before = State(consent.state)
    wrong_origin = only_from is not None and before is not only_from
    if wrong_origin or after not in LEGAL.get(before, frozenset()):
        raise IllegalTransition(
            f"consent {consent.id} cannot go from {before} to {after}",
            **{"consent": consent.id, "from": str(before), "to": str(after)},
        )


def step(
    session: Session,
    consent: Consent,
    after: State,
    *,
    actor: Principal,
    at: datetime,
    delegation_id: str | None = None,
    reason: str | None = None,
) -> ConsentEvent:
    """Move ``consent`` to ``after`` if the lifecycle allows it, else 409 naming both."""
    ensure_legal(consent, after)
    return log_step(
        session,
        consent,
        action=action_for(State(consent.state), after),
        before=State(consent.state),
        after=after,
        actor=actor,
        at=at,
        delegation_id=delegation_id,
        reason=reason,
    )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
