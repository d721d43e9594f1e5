"""The subject's decisions on a record — give, refuse, pause, resume, withdraw, each one
call — and the authority's revocation. Every one is a lifecycle step (event row + leaf)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from consent.delegation import acting_for
from consent.errors import (
    ConsentEnded,
    InvalidConsent,
    NoticeMismatch,
    StatutoryBasisNotWithdrawable,
)
from consent.lifecycle import ensure_legal, locked, step
from consent.models import Basis, Consent, State
from consent.terms import item_names
from kit.actors import OPERATOR, ROLE_REVIEWER, USER, Principal
from kit.db import utcnow
from kit.errors import Forbidden

_ORIGIN = {State.GIVEN: State.PAUSED}  # via _subject_step, GIVEN is a resume


def _by_subject(
    session: Session,
    consent_id: str,
    actor: Principal,
    after: State,
    at: datetime,
    only_from: State | None = None,
) -> tuple[Consent, str | None]:
    """Lock the record, check ``actor`` decides for its subject and the step is legal."""
    consent = locked(session, consent_id)
    delegation_id = acting_for(session, actor, consent.subject, at)
    if consent.lawful_basis == Basis.STATUTORY_DUTY:
        raise StatutoryBasisNotWithdrawable(
            f"consent {consent.id} records a statutory duty ({consent.legal_reference}); "
            "it is not given or withdrawn by the subject — raise an objection with the "
            "competent authority instead"
        )
    ensure_legal(consent, after, only_from=only_from)
    return consent, delegation_id


def give(
    session: Session,
    *,
    consent_id: str,
    actor: Principal,
    notice_sha256: str,
    sensitive_items: Sequence[str] = (),
    onward_transfer: bool = False,
    at: datetime | None = None,
) -> Consent:
    """The subject gives consent to a request after reading its notice.

    ``notice_sha256`` must be the hash of the notice text shown. Sensitive items and
    providing the data to another handler need their own, separate approval:
    ``sensitive_items`` lists the requested sensitive items approved (an omitted one stays
    uncovered) and ``onward_transfer`` approves onward provision if it was requested."""
    at = at or utcnow()
    consent, delegation_id = _by_subject(
        session, consent_id, actor, State.GIVEN, at, only_from=State.REQUESTED
    )
    if at >= consent.valid_until:
        raise ConsentEnded(f"consent request {consent.id} ended at {consent.valid_until}")
    if notice_sha256.strip().lower() != consent.notice_sha256:
        raise NoticeMismatch(
            "the notice acknowledged is not the notice of this request",
            expected_notice_sha256=consent.notice_sha256,
        )
    approved = item_names(sensitive_items, field="sensitive_items")
    if stray := sorted(set(approved) - set(consent.sensitive_requested)):
        raise InvalidConsent(f"not requested as sensitive items: {', '.join(stray)}")
    if onward_transfer and not consent.onward_requested:
        raise InvalidConsent("onward transfer to another handler was not requested")
    consent.sensitive_items = approved
    consent.onward_transfer = onward_transfer
    step(session, consent, State.GIVEN, actor=actor, at=at, delegation_id=delegation_id)
    return consent


def _subject_step(
    session: Session,
    consent_id: str,
    actor: Principal,
    after: State,
    reason: str | None,
    at: datetime | None,
) -> Consent:
    at = at or utcnow()
    consent, delegation_id = _by_subject(
        session, consent_id, actor, after, at, only_from=_ORIGIN.get(after)
    )
    if after is State.GIVEN and at >= consent.valid_until:
        raise ConsentEnded(f"consent {consent.id} ended at {consent.valid_until}")
    step(session, consent, after, actor=actor, at=at, delegation_id=delegation_id, reason=reason)
    return consent


def refuse(
    session: Session,
    *,
    consent_id: str,
    actor: Principal,
    reason: str | None = None,
    at: datetime | None = None,
) -> Consent:
    """The subject says no to a request (REQUESTED → REFUSED)."""
    return _subject_step(session, consent_id, actor, State.REFUSED, reason, at)


def pause(
    session: Session,
    *,
    consent_id: str,
    actor: Principal,
    reason: str | None = None,
    at: datetime | None = None,
) -> Consent:
    """The subject pauses a given consent; checks refuse it at once (GIVEN → PAUSED)."""
    return _subject_step(session, consent_id, actor, State.PAUSED, reason, at)


def resume(
    session: Session,
    *,
    consent_id: str,
    actor: Principal,
    reason: str | None = None,
    at: datetime | None = None,
) -> Consent:
    """The subject resumes a paused consent (PAUSED → GIVEN, a new leaf to rely on)."""
    return _subject_step(session, consent_id, actor, State.GIVEN, reason, at)


def withdraw(
    session: Session,
    *,
    consent_id: str,
    actor: Principal,
    reason: str | None = None,
    at: datetime | None = None,
) -> Consent:
    """The subject withdraws (GIVEN | PAUSED → WITHDRAWN): one call, like giving."""
    return _subject_step(session, consent_id, actor, State.WITHDRAWN, reason, at)


def revoke(
    session: Session,
    *,
    consent_id: str,
    actor: Principal,
    reason: str,
    at: datetime | None = None,
) -> Consent:
    """The competent authority's reviewer revokes a consent or statutory basis (撤销)."""
    if actor.kind not in (USER, OPERATOR) or not actor.has(ROLE_REVIEWER):
        raise Forbidden("only the competent authority's reviewer revokes a consent")
    if not reason.strip():
        raise InvalidConsent("a revocation needs a reason")
    at = at or utcnow()
    consent = locked(session, consent_id)
    step(session, consent, State.REVOKED, actor=actor, at=at, reason=reason.strip())
    return consent
