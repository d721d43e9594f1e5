"""Delegations: a parent for a minor child, next of kin, a company's legal representative."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from audit import commitment, entries
from consent import (
    Delegation,
    InvalidDelegation,
    NotTheSubject,
    acting_for,
    add_delegation,
    give,
    list_consents,
    self_consent,
    withdraw,
)
from consent.identity import adulthood
from kit.db import utcnow
from kit.errors import Forbidden
from tests.consent import factories as f


def parent_of(session: Session, parent: str, child: str, **kw: Any) -> Delegation:
    return add_delegation(
        session,
        actor=kw.pop("actor", f.admin()),
        kind="parent",
        delegate=f.person(parent),
        principal=f.person(child),
        evidence="出生医学证明",
        **kw,
    )


def test_a_parent_registered_for_a_minor_child_gives_the_childs_consent(session: Session) -> None:
    parent, child = f.adult_id(), f.child_id()
    delegation = parent_of(session, parent, child)
    consent = f.requested(session, f.person(child))
    give(
        session,
        consent_id=consent.id,
        actor=f.citizen(parent),
        notice_sha256=consent.notice_sha256 or "",
        sensitive_items=[f.SENSITIVE],
    )
    assert consent.state == "GIVEN"
    assert consent.events[-1].delegation_id == delegation.id
    [leaf] = entries(session, refs={"consent": consent.id}, actions=["consent:give"])
    assert leaf.refs["delegation"] == delegation.id
    assert leaf.subject == commitment(session, f.person(child))


def test_a_stranger_cannot_give_a_childs_consent(session: Session) -> None:
    parent, child, stranger = f.adult_id(), f.child_id(), f.adult_id()
    parent_of(session, parent, child)
    consent = f.requested(session, f.person(child))
    with pytest.raises(NotTheSubject):
        give(
            session,
            consent_id=consent.id,
            actor=f.citizen(stranger),
            notice_sha256=consent.notice_sha256 or "",
        )
    assert consent.state == "REQUESTED"


def test_a_parent_delegation_for_an_adult_child_is_refused(session: Session) -> None:
    grown = f.resident_id(date(2001, 2, 3))
    with pytest.raises(InvalidDelegation, match="minor"):
        parent_of(session, f.adult_id(), grown)
    assert entries(session, actions=["delegation:add"]) == []


def test_a_parent_cannot_act_for_a_child_who_has_turned_eighteen(session: Session) -> None:
    parent, child = f.adult_id(), f.child_id(date(2010, 6, 1))
    delegation = parent_of(session, parent, child)
    eighteen = adulthood(child)
    assert delegation.valid_until == eighteen
    assert eighteen is not None
    before = eighteen - timedelta(seconds=1)
    assert acting_for(session, f.citizen(parent), f.person(child), before) == delegation.id
    with pytest.raises(NotTheSubject):
        acting_for(session, f.citizen(parent), f.person(child), eighteen)


def test_the_delegation_is_logged_about_the_child_with_the_delegates_commitment(
    session: Session,
) -> None:
    parent, child = f.adult_id(), f.child_id()
    delegation = parent_of(session, parent, child)
    [leaf] = entries(session, actions=["delegation:add"])
    assert leaf.index == delegation.leaf_index
    assert leaf.subject == commitment(session, f.person(child))
    assert leaf.refs == {
        "delegation": delegation.id,
        "kind": "parent",
        "delegate": commitment(session, f.person(parent)),
    }
    assert parent not in str(leaf)
    assert child not in str(leaf)


def test_a_citizen_cannot_register_a_delegation_for_themself(session: Session) -> None:
    parent, child = f.adult_id(), f.child_id()
    with pytest.raises(Forbidden):
        parent_of(session, parent, child, actor=f.citizen(parent))


def test_a_requester_system_registers_a_delegation(session: Session) -> None:
    delegation = parent_of(session, f.adult_id(), f.child_id(), actor=f.requester())
    assert delegation.registered_by_kind == "system"


def test_the_next_of_kin_withdraws_a_deceased_persons_consent(session: Session) -> None:
    kin, deceased = f.adult_id(), f.resident_id(date(1941, 5, 2))
    add_delegation(
        session,
        actor=f.admin(),
        kind="next-of-kin",
        delegate=f.person(kin),
        principal=f.person(deceased),
        evidence="居民死亡医学证明",
    )
    consent = f.given(session, f.person(deceased), purpose="after-death")
    withdraw(session, consent_id=consent.id, actor=f.citizen(kin))
    assert consent.state == "WITHDRAWN"


def test_the_legal_representative_gives_consent_for_the_company(session: Session) -> None:
    boss, company = f.adult_id(), f.company_id()
    add_delegation(
        session,
        actor=f.admin(),
        kind="legal-representative",
        delegate=f.person(boss),
        principal=f"company:{company}",
        evidence="营业执照",
    )
    consent = self_consent(
        session,
        actor=f.citizen(boss),
        recipient=f.requester().department or "",
        terms=f.terms(f"company:{company}", purpose="company-change", sensitive_items=[]),
    )
    assert consent.state == "GIVEN"
    assert list_consents(session, subject=f"company:{company}") == [consent]


def test_a_legal_representative_delegation_must_represent_a_company(session: Session) -> None:
    with pytest.raises(InvalidDelegation, match="company"):
        add_delegation(
            session,
            actor=f.admin(),
            kind="legal-representative",
            delegate=f.person(f.adult_id()),
            principal=f.person(f.adult_id()),
            evidence="营业执照",
        )


def test_a_delegation_in_the_past_is_invalid(session: Session) -> None:
    with pytest.raises(InvalidDelegation, match="future"):
        parent_of(session, f.adult_id(), f.child_id(), valid_until=utcnow() - timedelta(days=1))
