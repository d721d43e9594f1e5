"""Every lifecycle step, legal and illegal: state, event row and audit leaf."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from audit import commitment, entries
from consent import (
    IllegalTransition,
    InvalidConsent,
    NoticeMismatch,
    NotTheSubject,
    StatutoryBasisNotWithdrawable,
    give,
    pause,
    refuse,
    resume,
    revoke,
    withdraw,
)
from kit.db import utcnow
from kit.errors import Forbidden
from tests.consent import factories as f


def leaves(session: Session, consent_id: str) -> list[str]:
    return [leaf.action for leaf in entries(session, refs={"consent": consent_id})]


def test_a_request_is_logged_with_the_subjects_commitment_and_never_the_id_number(
    session: Session,
) -> None:
    ident = f.adult_id()
    consent = f.requested(session, f.person(ident))
    [leaf] = entries(session, refs={"consent": consent.id})
    assert consent.state == "REQUESTED"
    assert leaf.action == "consent:request"
    assert leaf.subject == commitment(session, f.person(ident)) == consent.subject_commitment
    assert leaf.refs == {
        "consent": consent.id,
        "recipient": consent.recipient,
        "purpose": "newborn-birth",
        "basis": "consent",
    }
    assert ident not in str(leaf)


def test_the_subject_gives_and_the_give_leaf_is_the_one_relied_on(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    give_leaf = entries(session, refs={"consent": consent.id}, actions=["consent:give"])[0]
    assert consent.state == "GIVEN"
    assert consent.active_leaf_index == give_leaf.index
    assert [(e.from_state, e.to_state, e.actor_kind) for e in consent.events] == [
        (None, "REQUESTED", "system"),
        ("REQUESTED", "GIVEN", "citizen"),
    ]
    assert consent.sensitive_items == [f.SENSITIVE]


def test_the_subject_refuses_a_request(session: Session) -> None:
    ident = f.adult_id()
    consent = f.requested(session, f.person(ident))
    refuse(session, consent_id=consent.id, actor=f.citizen(ident))
    assert consent.state == "REFUSED"
    assert leaves(session, consent.id) == ["consent:request", "consent:refuse"]


def test_pause_then_resume_relies_on_the_resume_leaf(session: Session) -> None:
    ident = f.adult_id()
    consent = f.given(session, f.person(ident))
    pause(session, consent_id=consent.id, actor=f.citizen(ident))
    assert consent.state == "PAUSED"
    resume(session, consent_id=consent.id, actor=f.citizen(ident))
    resumed = entries(session, refs={"consent": consent.id}, actions=["consent:resume"])[0]
    assert consent.state == "GIVEN"
    assert consent.active_leaf_index == resumed.index


@pytest.mark.parametrize("paused", [False, True])
def test_the_subject_withdraws_a_given_or_paused_consent(session: Session, paused: bool) -> None:
    ident = f.adult_id()
    consent = f.given(session, f.person(ident))
    if paused:
        pause(session, consent_id=consent.id, actor=f.citizen(ident))
    withdraw(session, consent_id=consent.id, actor=f.citizen(ident))
    assert consent.state == "WITHDRAWN"
    assert leaves(session, consent.id)[-1] == "consent:withdraw"


def test_the_authoritys_reviewer_revokes_with_a_reason_in_the_leaf(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    revoke(session, consent_id=consent.id, actor=f.reviewer(), reason="超出申请用途")
    [leaf] = entries(session, refs={"consent": consent.id}, actions=["consent:revoke"])
    assert consent.state == "REVOKED"
    assert leaf.reason == "超出申请用途"


def test_only_a_reviewer_revokes(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    with pytest.raises(Forbidden):
        revoke(session, consent_id=consent.id, actor=f.admin(), reason="x")
    assert consent.state == "GIVEN"


def _attempt(session: Session, consent_id: str, ident: str, verb: str) -> None:
    me = f.citizen(ident)
    if verb == "give":
        give(session, consent_id=consent_id, actor=me, notice_sha256="0" * 64)
    elif verb == "revoke":
        revoke(session, consent_id=consent_id, actor=f.reviewer(), reason="复核")
    else:
        {"refuse": refuse, "pause": pause, "resume": resume, "withdraw": withdraw}[verb](
            session, consent_id=consent_id, actor=me
        )


ILLEGAL = [
    ("REQUESTED", "pause", "PAUSED"),
    ("REQUESTED", "resume", "GIVEN"),
    ("REQUESTED", "withdraw", "WITHDRAWN"),
    ("REQUESTED", "revoke", "REVOKED"),
    ("GIVEN", "give", "GIVEN"),
    ("GIVEN", "refuse", "REFUSED"),
    ("GIVEN", "resume", "GIVEN"),
    ("PAUSED", "pause", "PAUSED"),
    ("PAUSED", "give", "GIVEN"),
    ("PAUSED", "refuse", "REFUSED"),
    ("REFUSED", "give", "GIVEN"),
    ("REFUSED", "withdraw", "WITHDRAWN"),
    ("WITHDRAWN", "resume", "GIVEN"),
    ("WITHDRAWN", "give", "GIVEN"),
    ("WITHDRAWN", "withdraw", "WITHDRAWN"),
    ("REVOKED", "resume", "GIVEN"),
    ("REVOKED", "revoke", "REVOKED"),
    ("EXPIRED", "resume", "GIVEN"),
    ("EXPIRED", "pause", "PAUSED"),
]


@pytest.mark.parametrize(("state", "verb", "target"), ILLEGAL)
def test_an_illegal_step_is_a_conflict_naming_from_and_to_and_changes_nothing(
    session: Session, state: str, verb: str, target: str
) -> None:
    ident = f.adult_id()
    consent = f.in_state(session, state, f.person(ident))
    before = leaves(session, consent.id)
    with pytest.raises(IllegalTransition) as refused:
        _attempt(session, consent.id, ident, verb)
    assert refused.value.extra == {"consent": consent.id, "from": state, "to": target}
    assert consent.state == state
    assert leaves(session, consent.id) == before


def test_giving_with_another_notice_than_the_one_requested_is_refused(session: Session) -> None:
    ident = f.adult_id()
    consent = f.requested(session, f.person(ident))
    with pytest.raises(NoticeMismatch):
        give(session, consent_id=consent.id, actor=f.citizen(ident), notice_sha256="a" * 64)
    assert consent.state == "REQUESTED"


def test_approving_a_sensitive_item_that_was_not_requested_as_sensitive_is_invalid(
    session: Session,
) -> None:
    ident = f.adult_id()
    consent = f.requested(session, f.person(ident))
    with pytest.raises(InvalidConsent, match="not requested as sensitive"):
        give(
            session,
            consent_id=consent.id,
            actor=f.citizen(ident),
            notice_sha256=consent.notice_sha256 or "",
            sensitive_items=[f.ITEMS[0]],
        )


def test_someone_else_cannot_give_or_withdraw_a_persons_consent(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    with pytest.raises(NotTheSubject):
        withdraw(session, consent_id=consent.id, actor=f.citizen(f.adult_id()))
    assert consent.state == "GIVEN"


def test_a_department_system_cannot_decide_for_the_subject(session: Session) -> None:
    consent = f.requested(session, f.person(f.adult_id()))
    with pytest.raises(NotTheSubject):
        refuse(session, consent_id=consent.id, actor=f.requester())


def test_a_citizens_reason_stays_out_of_the_log_as_a_digest(session: Session) -> None:
    ident = f.adult_id()
    consent = f.given(session, f.person(ident))
    withdraw(session, consent_id=consent.id, actor=f.citizen(ident), reason="我家住址已变更")
    [leaf] = entries(session, refs={"consent": consent.id}, actions=["consent:withdraw"])
    assert leaf.reason is None
    assert set(leaf.digests) == {"reason"}
    assert consent.events[-1].reason == "我家住址已变更"


def test_the_subject_cannot_withdraw_a_statutory_basis(session: Session) -> None:
    ident = f.adult_id()
    basis = f.statutory(session, f.person(ident), f.requester())
    with pytest.raises(StatutoryBasisNotWithdrawable):
        withdraw(session, consent_id=basis.id, actor=f.citizen(ident))
    assert basis.state == "GIVEN"


def test_a_statutory_basis_is_recorded_with_its_own_leaf_and_legal_reference(
    session: Session,
) -> None:
    basis = f.statutory(session, f.person(f.adult_id()), f.requester())
    [leaf] = entries(session, refs={"consent": basis.id})
    assert leaf.action == "statutory:record"
    assert leaf.reason == "《户口登记条例》第七条"
    assert basis.active_leaf_index == leaf.index
    assert basis.lawful_basis == "statutory-duty"


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"sensitive_items": ["999#x"]}, "not among items"),
        ({"items": ["no-hash-sign"]}, "not an item name"),
        ({"purpose": "新生儿"}, "purpose"),
        ({"notice_text": None}, "notice"),
        ({"use_period": "hour"}, "use_period"),
        ({"retention_days": -1}, "retention_days"),
    ],
)
def test_a_request_breaking_a_rule_is_invalid_and_writes_nothing(
    session: Session, overrides: dict[str, Any], problem: str
) -> None:
    subject = f.person(f.adult_id())
    with pytest.raises(InvalidConsent, match=problem):
        f.requested(session, subject, **overrides)
    assert entries(session, actions=["consent:request"]) == []


def test_a_request_whose_validity_already_ended_is_invalid(session: Session) -> None:
    with pytest.raises(InvalidConsent, match="valid_until"):
        f.requested(
            session,
            f.person(f.adult_id()),
            valid_until=utcnow() - timedelta(minutes=1),
        )
