"""Who used my data: exactly the exchanges about this subject, nobody else's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from audit import record
from consent import add_delegation, usage
from kit.actors import SYSTEM, Principal
from kit.db import new_id, transaction
from tests.consent import factories as f
from tests.factories import department_code
from tongban.wiring import Hub

HEALTH = department_code()
CIVIL = department_code()


def exchanged(session: Session, subject: str, **refs: Any) -> int:
    """An ``exchange:fulfil`` leaf as the exchange writes it (the contracts' refs)."""
    system = Principal(kind=SYSTEM, id="newborn-counter", department=CIVIL)
    values = {
        "exchange": new_id(),
        "grant": "g-1",
        "resource": f.BIRTH,
        "version": 1,
        "provider": HEALTH,
        "requester": CIVIL,
        "system": system.id,
        "items": "newborn_name,birth_time",
        "purpose": "newborn-birth",
        "basis": "consent",
        "consent": "c-1",
        "consent_leaf": 7,
        **refs,
    }
    return record(
        session, action="exchange:fulfil", actor=system, subject=subject, refs=values
    ).index


def test_each_subject_sees_exactly_their_own_exchanges(session: Session) -> None:
    mine, theirs = f.person(f.adult_id()), f.person(f.adult_id())
    a = exchanged(session, mine)
    b = exchanged(session, theirs, purpose="retirement", basis="statutory-duty", consent=None)
    c = exchanged(session, mine, resource=f.HOUSEHOLD)
    assert [u.leaf_index for u in usage(session, subject=mine)] == [a, c]
    [use] = usage(session, subject=theirs)
    assert use.leaf_index == b
    assert (use.purpose, use.basis, use.consent) == ("retirement", "statutory-duty", None)


def test_a_use_names_department_resource_items_purpose_time_and_basis(session: Session) -> None:
    mine = f.person(f.adult_id())
    exchanged(session, mine)
    [use] = usage(session, subject=mine)
    assert use.action == "exchange:fulfil"
    assert (use.requester, use.provider, use.resource, use.version) == (CIVIL, HEALTH, f.BIRTH, "1")
    assert use.items == ("newborn_name", "birth_time")
    assert (use.purpose, use.basis, use.consent, use.consent_leaf) == (
        "newborn-birth",
        "consent",
        "c-1",
        "7",
    )
    assert use.time is not None


def test_a_subject_no_leaf_ever_named_has_no_usage(session: Session) -> None:
    exchanged(session, f.person(f.adult_id()))
    assert usage(session, subject=f.person(f.adult_id())) == []


def test_other_actions_about_the_subject_are_not_usage(session: Session) -> None:
    mine = f.person(f.adult_id())
    f.given(session, mine)
    assert usage(session, subject=mine) == []


def test_the_usage_api_shows_each_citizen_only_their_own(
    hub: Hub, api: TestClient, as_citizen: Callable[[str], dict[str, str]]
) -> None:
    me, other = f.adult_id(), f.adult_id()
    with transaction(hub.factory) as session:
        a = exchanged(session, f.person(me))
        exchanged(session, f.person(other))
        b = exchanged(session, f.person(me), purpose="newborn-birth")
    response = api.get("/v1/me/usage", headers=as_citizen(me))
    assert response.status_code == 200
    body = response.json()
    assert [u["leaf_index"] for u in body] == [a, b]
    assert {u["requester"] for u in body} == {CIVIL}
    theirs = api.get("/v1/me/usage", headers=as_citizen(other)).json()
    assert len(theirs) == 1
    assert theirs[0]["leaf_index"] not in (a, b)


def test_a_parent_reads_a_minor_childs_usage_and_a_stranger_cannot(
    hub: Hub, api: TestClient, as_citizen: Callable[[str], dict[str, str]]
) -> None:
    parent, child, stranger = f.adult_id(), f.child_id(), f.adult_id()
    with transaction(hub.factory) as session:
        add_delegation(
            session,
            actor=f.admin(),
            kind="parent",
            delegate=f.person(parent),
            principal=f.person(child),
            evidence="出生医学证明",
        )
        leaf = exchanged(session, f.person(child))
    query = {"on_behalf_of": f.person(child)}
    mine = api.get("/v1/me/usage", params=query, headers=as_citizen(parent))
    assert [u["leaf_index"] for u in mine.json()] == [leaf]
    refused = api.get("/v1/me/usage", params=query, headers=as_citizen(stranger))
    assert refused.status_code == 403
    assert refused.json()["error"] == "NotTheSubject"
