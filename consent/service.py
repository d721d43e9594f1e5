"""Use cases that create consent records and read them. Services never commit.

- a department system asks a subject for consent (:func:`request_consent`);
- a citizen gives consent on their own initiative (:func:`self_consent`);
- a department system records a statutory duty (:func:`record_statutory_basis`);
- time ends what it covers (:func:`expire_due`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import Action, commitment
from consent.decisions import give
from consent.delegation import acting_for
from consent.errors import ConsentNotFound, InvalidConsent, NotTheRecipient
from consent.lifecycle import log_step, step
from consent.models import SCHEMA_VERSION, Basis, Consent, State
from consent.terms import check_recipient, check_terms
from consent.values import Terms
from kit.actors import (
    CITIZEN,
    OPERATOR,
    ROLE_AUDITOR,
    ROLE_REQUESTER,
    ROLE_REVIEWER,
    SYSTEM,
    Principal,
)
from kit.db import new_id, utcnow
from kit.errors import Forbidden

WITHDRAWAL = (
    "一步撤回，与授予同一渠道：POST /v1/me/consents/{id}/withdraw "
    "(withdraw in one call through the same channel used to give)"
)
EXPIRY_ACTOR = Principal(kind=OPERATOR, id="consent-expiry", department=None)


def _requester(actor: Principal) -> str:
    if actor.kind != SYSTEM or not actor.has(ROLE_REQUESTER) or not actor.department:
        raise Forbidden("only a department system with the requester role does this")
    return actor.department


def _new_record(
    session: Session,
    terms: Terms,
    *,
    recipient: str,
    recipient_system: str | None,
    basis: Basis,
    requested_by: str,
    at: datetime,
) -> Consent:
    checked = check_terms(terms, at=at, needs_notice=basis is Basis.CONSENT)
    record_id = new_id()
    subject_commitment = commitment(session, checked.subject)
    assert subject_commitment is not None  # created when absent
    consent = Consent(
        id=record_id,
        schema_version=SCHEMA_VERSION,
        subject=checked.subject,
        subject_commitment=subject_commitment,
        recipient=check_recipient(recipient),
        recipient_system=recipient_system,
        purpose=terms.purpose,
        purpose_text=terms.purpose_text.strip(),
        lawful_basis=str(basis),
        legal_reference=terms.legal_reference,
        items=checked.items,
        sensitive_requested=checked.sensitive,
        sensitive_items=checked.sensitive if basis is Basis.STATUTORY_DUTY else [],
        onward_requested=terms.onward_transfer,
        onward_transfer=terms.onward_transfer and basis is Basis.STATUTORY_DUTY,
        valid_from=checked.valid_from,
        valid_until=terms.valid_until,
        retention_days=terms.retention_days,
        max_uses=terms.max_uses,
        use_period=terms.use_period,
        notice_id=terms.notice_id if checked.notice_sha256 else None,
        notice_sha256=checked.notice_sha256,
        notice_text=terms.notice_text if checked.notice_sha256 else None,
        language=terms.language,
        jurisdiction=terms.jurisdiction,
        withdrawal_method=WITHDRAWAL.format(id=record_id),
        state=str(State.REQUESTED),
        requested_by=requested_by,
        created_at=at,
        updated_at=at,
    )
    session.add(consent)
    return consent


def request_consent(
    session: Session, *, actor: Principal, terms: Terms, at: datetime | None = None
) -> Consent:
    """A requester system asks ``terms.subject`` for consent for its own department."""
    at = at or utcnow()
    department = _requester(actor)
    consent = _new_record(
        session,
        terms,
        recipient=department,
        recipient_system=actor.id,
        basis=Basis.CONSENT,
        requested_by=SYSTEM,
        at=at,
    )
    _opened(session, consent, actor=actor, at=at)
    return consent


def _opened(
    session: Session,
    consent: Consent,
    *,
    actor: Principal,
    at: datetime,
    delegation_id: str | None = None,
) -> None:
    log_step(
        session,
        consent,
        action=Action.CONSENT_REQUEST,
        before=None,
        after=State.REQUESTED,
        actor=actor,
        at=at,
        delegation_id=delegation_id,
    )


def self_consent(
    session: Session,
    *,
    actor: Principal,
    recipient: str,
    terms: Terms,
    at: datetime | None = None,
) -> Consent:
    """A citizen (or their delegate) gives consent to ``recipient`` on their own initiative:
    the request and the give in one call. ``terms.sensitive_items`` and
    ``terms.onward_transfer`` are the separate approvals, listed explicitly."""
    at = at or utcnow()
    subject = check_terms(terms, at=at, needs_notice=True).subject
    delegation_id = acting_for(session, actor, subject, at)
    consent = _new_record(
        session,
        terms,
        recipient=recipient,
        recipient_system=None,
        basis=Basis.CONSENT,
        requested_by=CITIZEN,
        at=at,
    )
    _opened(session, consent, actor=actor, at=at, delegation_id=delegation_id)
    assert consent.notice_sha256 is not None  # a consent always carries its notice
    return give(
        session,
        consent_id=consent.id,
        actor=actor,
        notice_sha256=consent.notice_sha256,
        sensitive_items=terms.sensitive_items,
        onward_transfer=terms.onward_transfer,
        at=at,
    )


def record_statutory_basis(
    session: Session, *, actor: Principal, terms: Terms, at: datetime | None = None
) -> Consent:
    """A requester system records that a law obliges its department to process the
    subject's items for the purpose (法定职责): no consent is asked, and the subject cannot
    withdraw it; the authority can revoke it and it expires. ``terms.legal_reference``
    names the law and article; ``terms.sensitive_items`` lists the sensitive items it covers."""
    at = at or utcnow()
    department = _requester(actor)
    if not terms.legal_reference or not terms.legal_reference.strip():
        raise InvalidConsent("a statutory basis needs legal_reference (the law and article)")
    consent = _new_record(
        session,
        terms,
        recipient=department,
        recipient_system=actor.id,
        basis=Basis.STATUTORY_DUTY,
        requested_by=SYSTEM,
        at=at,
    )
    log_step(
        session,
        consent,
        action=Action.STATUTORY_RECORD,
        before=None,
        after=State.GIVEN,
        actor=actor,
        at=at,
        reason=terms.legal_reference,
    )
    return consent


def expire_due(session: Session, at: datetime | None = None) -> list[str]:
    """Mark GIVEN and PAUSED records whose validity ended by ``at`` as EXPIRED, one
    ``consent:expire`` leaf each. Idempotent: a second run finds nothing to do."""
    at = at or utcnow()
    due = session.scalars(
        select(Consent)
        .where(
            Consent.state.in_([str(State.GIVEN), str(State.PAUSED)]),
            Consent.valid_until <= at,
        )
        .order_by(Consent.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for consent in due:
        step(session, consent, State.EXPIRED, actor=EXPIRY_ACTOR, at=at, reason="有效期届满")
    return [c.id for c in due]


def get_consent(session: Session, consent_id: str) -> Consent:
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise ConsentNotFound(f"no consent {consent_id}")
    return consent


def list_consents(session: Session, *, subject: str, states: Sequence[str] = ()) -> list[Consent]:
    """A subject's records, newest first."""
    query = select(Consent).where(Consent.subject == subject)
    if states:
        query = query.where(Consent.state.in_(list(states)))
    return list(session.scalars(query.order_by(Consent.created_at.desc(), Consent.id)))


def readable(session: Session, consent_id: str, who: Principal) -> Consent:
    """A record for a reader entitled to it: the subject or their delegate, the recipient
    department's systems and users, the authority's reviewers and auditors."""
    consent = get_consent(session, consent_id)
    if who.kind == CITIZEN:
        acting_for(session, who, consent.subject, utcnow())
        return consent
    if who.department == consent.recipient or who.has(ROLE_REVIEWER, ROLE_AUDITOR):
        return consent
    raise NotTheRecipient(f"consent {consent_id} is not addressed to your department")
