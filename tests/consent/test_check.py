"""``check``: the decision every exchange asks for, with the basis and leaf it relies on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import entries
from consent import (
    CheckBatch,
    Consent,
    ConsentDecision,
    ConsentFrequencyExceeded,
    ConsentUse,
    check,
    expire_due,
    pause,
    resume,
    revoke,
    withdraw,
)
from kit.db import utcnow
from tests.consent import factories as f


def ask(
    session: Session, consent: Consent, items: Sequence[str] = f.ITEMS, **kw: Any
) -> ConsentDecision:
    values = {
        "subject": consent.subject,
        "recipient": consent.recipient,
        "purpose": consent.purpose,
        "items": items,
        "at": utcnow(),
        **kw,
    }
    return check(session, **values)


def test_a_given_consent_allows_naming_the_consent_and_its_give_leaf(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    decision = ask(session, consent)
    give_leaf = entries(session, refs={"consent": consent.id}, actions=["consent:give"])[0]
    assert decision.allowed
    assert decision.basis == "consent"
    assert decision.consent_id == consent.id
    assert decision.consent_leaf_index == give_leaf.index
    assert decision.missing == ()


def test_an_allowed_check_counts_one_use_and_a_dry_run_counts_none(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    ask(session, consent)
    ask(session, consent, record_use=False)
    rows = session.scalars(select(ConsentUse).where(ConsentUse.consent_id == consent.id)).all()
    assert [r.uses for r in rows] == [1]


def test_without_any_record_the_check_refuses_with_every_item_missing(session: Session) -> None:
    decision = check(
        session,
        subject=f.person(f.adult_id()),
        recipient=f.requester().department or "",
        purpose="newborn-birth",
        items=f.ITEMS,
        at=utcnow(),
    )
    assert not decision.allowed
    assert decision.basis == "none"
    assert decision.consent_id is None
    assert set(decision.missing) == set(f.ITEMS)


def test_items_outside_the_consent_are_refused_and_named(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    decision = ask(session, consent, items=[f.ITEMS[0], "101001/000009#income"])
    assert not decision.allowed
    assert decision.missing == ("101001/000009#income",)


@pytest.mark.parametrize("other", ["recipient", "purpose"])
def test_another_recipient_or_purpose_is_not_covered(session: Session, other: str) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    change: Any = {"recipient": f.requester().department, "purpose": "retirement"}[other]
    assert not ask(session, consent, **{other: change}).allowed


@pytest.mark.parametrize("step", [pause, withdraw])
def test_a_pause_or_withdrawal_refuses_the_very_next_check(
    session: Session, step: Callable[..., Consent]
) -> None:
    ident = f.adult_id()
    consent = f.given(session, f.person(ident))
    assert ask(session, consent).allowed
    step(session, consent_id=consent.id, actor=f.citizen(ident))
    decision = ask(session, consent)
    assert not decision.allowed
    assert consent.state in decision.reason


def test_after_resume_the_check_relies_on_the_resume_leaf(session: Session) -> None:
    ident = f.adult_id()
    consent = f.given(session, f.person(ident))
    pause(session, consent_id=consent.id, actor=f.citizen(ident))
    resume(session, consent_id=consent.id, actor=f.citizen(ident))
    resumed = entries(session, refs={"consent": consent.id}, actions=["consent:resume"])[0]
    assert ask(session, consent).consent_leaf_index == resumed.index


def test_a_sensitive_item_without_its_separate_consent_is_refused(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()), approve_sensitive=False)
    decision = ask(session, consent, items=[f.SENSITIVE], sensitive=[f.SENSITIVE])
    assert not decision.allowed
    assert decision.missing == (f.SENSITIVE,)
    assert "separate consent" in decision.reason


def test_a_requested_sensitive_item_not_approved_stays_uncovered_even_unflagged(
    session: Session,
) -> None:
    consent = f.given(session, f.person(f.adult_id()), approve_sensitive=False)
    assert not ask(session, consent, items=[f.SENSITIVE]).allowed
    assert ask(session, consent, items=f.ITEMS).allowed


def test_an_item_the_catalog_marks_sensitive_needs_it_in_the_approved_set(
    session: Session,
) -> None:
    consent = f.given(session, f.person(f.adult_id()), sensitive_items=[])
    decision = ask(session, consent, items=[f.ITEMS[2]], sensitive=[f.ITEMS[2]])
    assert not decision.allowed
    assert decision.missing == (f.ITEMS[2],)


def test_a_sensitive_item_approved_separately_is_allowed(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    assert ask(session, consent, items=[f.SENSITIVE], sensitive=[f.SENSITIVE]).allowed


def test_onward_transfer_needs_its_own_approval(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()), onward_transfer=True)
    assert consent.onward_requested
    assert not consent.onward_transfer
    assert not ask(session, consent, onward_transfer=True).allowed
    assert ask(session, consent).allowed


def test_past_valid_until_the_check_refuses_before_the_expiry_job_runs(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()), valid_until=utcnow() + timedelta(hours=1))
    later = utcnow() + timedelta(hours=2)
    decision = ask(session, consent, at=later)
    assert consent.state == "GIVEN"
    assert not decision.allowed
    assert "expired" in decision.reason


def test_the_expiry_job_marks_due_consents_expired_once(session: Session) -> None:
    ident = f.adult_id()
    soon = f.given(session, f.person(ident), valid_until=utcnow() + timedelta(hours=1))
    paused = f.given(session, f.person(ident), valid_until=utcnow() + timedelta(hours=1))
    pause(session, consent_id=paused.id, actor=f.citizen(ident))
    lasting = f.given(session, f.person(ident))
    later = utcnow() + timedelta(hours=2)
    assert sorted(expire_due(session, later)) == sorted([soon.id, paused.id])
    assert expire_due(session, later) == []
    assert (soon.state, paused.state, lasting.state) == ("EXPIRED", "EXPIRED", "GIVEN")
    assert len(entries(session, actions=["consent:expire"])) == 2


def test_the_frequency_cap_refuses_past_max_uses_until_the_next_period(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()), max_uses=2, use_period="day")
    now = utcnow()
    assert ask(session, consent, at=now).allowed
    assert ask(session, consent, at=now).allowed
    with pytest.raises(ConsentFrequencyExceeded) as refused:
        ask(session, consent, at=now)
    assert 0 < refused.value.retry_after <= 86_400
    assert ask(session, consent, at=now + timedelta(days=1)).allowed


def test_each_counted_use_bumps_the_period_row_and_a_dry_run_at_the_cap_is_refused(
    session: Session,
) -> None:
    consent = f.given(session, f.person(f.adult_id()), max_uses=3, use_period="day")
    first = utcnow()
    for n in range(3):
        assert ask(session, consent, at=first + timedelta(seconds=n)).allowed
    row = session.scalars(select(ConsentUse).where(ConsentUse.consent_id == consent.id)).one()
    session.refresh(row)
    assert row.uses == 3
    assert row.last_used_at.replace(tzinfo=None) == (first + timedelta(seconds=2)).replace(
        tzinfo=None
    )
    with pytest.raises(ConsentFrequencyExceeded):
        ask(session, consent, at=first, record_use=False)
    session.refresh(row)
    assert row.uses == 3


def _uses(session: Session, consent: Consent) -> int | None:
    session.expire_all()
    row = session.scalars(select(ConsentUse).where(ConsentUse.consent_id == consent.id)).first()
    return None if row is None else row.uses


def test_a_batch_counts_only_the_uses_it_is_told_to_and_writes_them_at_once(
    session: Session,
) -> None:
    consent = f.given(session, f.person(f.adult_id()), max_uses=5, use_period="day")
    now = utcnow()
    batch = CheckBatch()
    decisions = [ask(session, consent, at=now, batch=batch) for _ in range(3)]
    assert all(d.allowed for d in decisions)
    assert _uses(session, consent) is None  # nothing counted by the checks themselves
    batch.count(consent.id, now)
    batch.count(consent.id, now)  # the third check's exchange was not made
    batch.write(session)
    assert _uses(session, consent) == 2  # the period's first row, made with both uses
    later = CheckBatch()
    assert ask(session, consent, at=now, batch=later).allowed
    later.count(consent.id, now)
    later.write(session)
    assert _uses(session, consent) == 3  # added to the row there


def test_a_batch_refuses_past_the_cap_counting_its_own_uses(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()), max_uses=2, use_period="day")
    now = utcnow()
    assert ask(session, consent, at=now).allowed  # one use recorded before the batch
    batch = CheckBatch()
    assert ask(session, consent, at=now, batch=batch).allowed
    assert ask(session, consent, at=now, batch=batch).allowed  # room: nothing counted yet
    batch.count(consent.id, now)
    with pytest.raises(ConsentFrequencyExceeded):
        ask(session, consent, at=now, batch=batch)
    batch.write(session)
    assert _uses(session, consent) == 2


def test_a_batch_reads_the_subjects_records_once(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    batch = CheckBatch()
    assert ask(session, consent, batch=batch).allowed
    # The records are locked for the batch's transaction, so nobody else changes them; a
    # change in that same transaction shows the batch does not read them a second time.
    me = f.citizen(consent.subject.partition(":")[2])
    withdraw(session, consent_id=consent.id, actor=me)
    assert ask(session, consent, batch=batch).allowed
    assert not ask(session, consent).allowed  # a check of its own reads them again


def test_a_statutory_basis_is_honoured_with_its_legal_reference(session: Session) -> None:
    police = f.requester()
    basis = f.statutory(session, f.person(f.adult_id()), police)
    decision = ask(session, basis)
    assert decision.allowed
    assert decision.basis == "statutory-duty"
    assert decision.legal_reference == "《户口登记条例》第七条"
    assert decision.consent_leaf_index == basis.active_leaf_index


def test_a_revoked_statutory_basis_no_longer_allows(session: Session) -> None:
    basis = f.statutory(session, f.person(f.adult_id()), f.requester())
    revoke(session, consent_id=basis.id, actor=f.reviewer(), reason="法定职责已调整")
    assert not ask(session, basis).allowed


def test_a_named_consent_id_restricts_the_check_to_that_record(session: Session) -> None:
    ident = f.adult_id()
    first = f.given(session, f.person(ident))
    second = f.given(session, f.person(ident), who=f.requester(first.recipient))
    withdraw(session, consent_id=first.id, actor=f.citizen(ident))
    assert not ask(session, first, consent_id=first.id).allowed
    assert ask(session, first).consent_id == second.id


def test_the_check_reads_the_record_with_the_sessions_unflushed_changes(
    session: Session,
) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    session.flush()
    consent.valid_until = utcnow() - timedelta(minutes=1)  # changed, not yet flushed
    decision = ask(session, consent)
    assert not decision.allowed
    assert "expired" in decision.reason
