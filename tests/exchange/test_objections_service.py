"""Objections (校核纠错): every transition, the markers, and leaves free of personal values."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from audit import subject_ref
from exchange.applications import NoAuthority
from exchange.objections import (
    NotYourObjection,
    ObjectionExists,
    ObjectionInput,
    ObjectionInvalid,
    ObjectionStateConflict,
    ObjectionStatus,
    accept,
    close,
    confirm,
    correct,
    forward,
    mark_overdue_objections,
    objection_statistics,
    objections_on,
    raise_objection,
    reject,
    under_objection,
)
from exchange.objections.models import Objection, ObjectionEvent
from kit.actors import CITIZEN, ROLE_CITIZEN, Principal
from tests.exchange.app_factories import (
    CAL,
    OBJECTION_TOPIC,
    RULES,
    World,
    add_resource,
    at,
    leaves,
    outbox,
    passed,
    resident_id,
    world,
)

DAY = date(2025, 11, 10)  # accept due 2025-11-12; forwarded that day, verify due 2025-11-24
SEEN, CLAIMED = "张三丰", "张三"
CORRECTIONS = "t.exchange.corrections"


def citizen(number: str) -> Principal:
    return Principal(kind=CITIZEN, id=number, department=None, roles=frozenset({ROLE_CITIZEN}))


def raised(session, w: World, *, by: Principal | None = None, **changes) -> Objection:
    values = {
        "resource_code": w.resource.code,
        "item": "name",
        "subject": subject_ref("person", resident_id()),
        "value_seen": SEEN,
        "value_claimed": CLAIMED,
        "evidence_text": "户口簿首页记载姓名为张三",
        "evidence_sha256": hashlib.sha256(b"scan of the household register").hexdigest(),
    }
    values.update(changes)
    if by is None:
        passed(session, w, ("name", "sex"), when=at(DAY))  # the requester obtained the item
    return raise_objection(
        session,
        actor=by or w.requester_system,
        objection=ObjectionInput(**values),
        deadlines=RULES,
        calendar=CAL,
        topic=OBJECTION_TOPIC,
        at=at(DAY),
    )


def forwarded(session, w: World, **changes) -> Objection:
    row = raised(session, w, **changes)
    accept(session, objection_id=row.id, actor=w.reviewer, topic=OBJECTION_TOPIC, at=at(DAY, 14))
    return forward(
        session,
        objection_id=row.id,
        actor=w.reviewer,
        deadlines=RULES,
        calendar=CAL,
        topic=OBJECTION_TOPIC,
        at=at(date(2025, 11, 11)),
    )


def markers(session, w: World, items=("name", "sex")) -> dict[str, object]:
    return dict(
        under_objection(
            session,
            resource_code=w.resource.code,
            subject=subject_ref("person", resident_id()),
            items=list(items),
        )
    )


def test_a_requester_raises_an_objection_due_for_acceptance_in_two_working_days(session) -> None:
    w = world(session)
    row = raised(session, w)
    assert row.status == ObjectionStatus.RAISED
    assert row.due_on == date(2025, 11, 12)
    assert (row.provider_code, row.authority_code) == (w.provider, w.authority)
    assert row.subject == f"person:{resident_id()}"
    assert (row.value_seen, row.value_claimed) == (SEEN, CLAIMED)
    [leaf] = leaves(session, "objection:raise", objection=row.id)
    assert leaf.digests["seen"] == hashlib.sha256(SEEN.encode()).hexdigest()
    assert leaf.digests["claimed"] == hashlib.sha256(CLAIMED.encode()).hexdigest()
    assert leaf.digests["evidence"] == row.evidence_sha256
    assert leaf.subject is not None
    assert leaf.subject != row.subject


def test_no_personal_value_reaches_a_leaf_or_the_objections_topic(session) -> None:
    w = world(session)
    row = forwarded(session, w)
    correct(
        session,
        objection_id=row.id,
        actor=w.provider_system,
        value=CLAIMED,
        topic=OBJECTION_TOPIC,
        provider_topic=CORRECTIONS,
    )
    texts = [repr(x) for x in leaves(session, "objection:raise")]
    texts += [repr(x) for x in leaves(session, "objection:correct")]
    texts += [repr(m) for m in outbox(session, OBJECTION_TOPIC)]
    for secret in (SEEN, CLAIMED, resident_id(), "户口簿"):
        assert not any(secret in t for t in texts), secret


def test_the_full_path_accept_forward_correct_close(session) -> None:
    w = world(session)
    row = forwarded(session, w)
    assert row.status == ObjectionStatus.FORWARDED
    assert row.due_on == date(2025, 11, 25)
    correct(
        session,
        objection_id=row.id,
        actor=w.provider_system,
        value=CLAIMED,
        topic=OBJECTION_TOPIC,
        provider_topic=CORRECTIONS,
        at=at(date(2025, 11, 20)),
    )
    assert (row.status, row.corrected_value) == (ObjectionStatus.CORRECTED, CLAIMED)
    close(session, objection_id=row.id, actor=w.requester_system, topic=OBJECTION_TOPIC)
    assert row.status == ObjectionStatus.CLOSED
    events = session.query(ObjectionEvent).filter_by(objection_id=row.id).all()
    assert [e.to_status for e in events] == [
        "RAISED",
        "ACCEPTED",
        "FORWARDED",
        "CORRECTED",
        "CLOSED",
    ]
    assert [e.on_time for e in events] == [None, True, True, True, None]
    [leaf] = leaves(session, "objection:correct", objection=row.id)
    assert leaf.digests["corrected"] == hashlib.sha256(CLAIMED.encode()).hexdigest()


def test_a_correction_is_sent_to_the_providers_corrections_topic_with_the_value(session) -> None:
    w = world(session)
    row = forwarded(session, w)
    correct(
        session,
        objection_id=row.id,
        actor=w.provider_system,
        value=CLAIMED,
        topic=OBJECTION_TOPIC,
        provider_topic=CORRECTIONS,
    )
    [message] = outbox(session, CORRECTIONS)
    assert message.type == "objection:correct"
    assert message.payload == {
        "objection_id": row.id,
        "resource_code": w.resource.code,
        "item": "name",
        "subject": row.subject,
        "value": CLAIMED,
    }


def test_an_open_objection_marks_the_item_and_a_correction_clears_it(session) -> None:
    w = world(session)
    row = raised(session, w)
    [(item, marker)] = markers(session, w).items()
    assert item == "name"
    assert (marker.objection_id, marker.status) == (row.id, "RAISED")
    accept(session, objection_id=row.id, actor=w.reviewer, topic=OBJECTION_TOPIC, at=at(DAY, 14))
    assert markers(session, w)["name"].status == "ACCEPTED"
    forward(
        session,
        objection_id=row.id,
        actor=w.reviewer,
        deadlines=RULES,
        calendar=CAL,
        topic=OBJECTION_TOPIC,
        at=at(date(2025, 11, 11)),
    )
    assert markers(session, w)["name"].status == "FORWARDED"
    correct(
        session,
        objection_id=row.id,
        actor=w.provider_system,
        value=CLAIMED,
        topic=OBJECTION_TOPIC,
        provider_topic=CORRECTIONS,
    )
    assert markers(session, w) == {}


def test_markers_concern_only_that_subject_and_resource(session) -> None:
    w = world(session)
    raised(session, w)
    other_person = subject_ref("person", resident_id(2))
    assert (
        under_objection(
            session, resource_code=w.resource.code, subject=other_person, items=["name"]
        )
        == {}
    )
    elsewhere = add_resource(session, w.provider)
    assert markers(session, w) != {}
    assert (
        under_objection(
            session,
            resource_code=elsewhere.code,
            subject=subject_ref("person", resident_id()),
            items=["name"],
        )
        == {}
    )


def test_several_records_are_read_at_once_with_their_open_objections_by_item(session) -> None:
    w = world(session)
    me = subject_ref("person", resident_id())
    first = raised(session, w)
    sex = raised(session, w, item="sex", value_seen="1", value_claimed="2")
    other = subject_ref("person", resident_id(2))
    elsewhere = add_resource(session, w.provider)
    found = objections_on(
        session, [(w.resource.code, me), (w.resource.code, other), (elsewhere.code, me)]
    )
    assert list(found) == [(w.resource.code, me)]  # records without an open one are absent
    on_mine = found[w.resource.code, me]
    assert {k: m.objection_id for k, m in on_mine.items()} == {"name": first.id, "sex": sex.id}
    assert on_mine == markers(session, w)  # what under_objection says of the same items
    assert objections_on(session, []) == {}


def test_the_provider_confirms_the_value_with_an_explanation(session) -> None:
    w = world(session)
    row = forwarded(session, w)
    with pytest.raises(ObjectionInvalid):
        confirm(
            session,
            objection_id=row.id,
            actor=w.provider_system,
            explanation="",
            topic=OBJECTION_TOPIC,
        )
    confirm(
        session,
        objection_id=row.id,
        actor=w.provider_system,
        explanation="经核对户籍档案, 原登记姓名无误",
        topic=OBJECTION_TOPIC,
    )
    assert row.status == ObjectionStatus.CONFIRMED
    assert markers(session, w) == {}
    [leaf] = leaves(session, "objection:confirm", objection=row.id)
    assert leaf.reason is None
    assert (
        leaf.digests["reason"]
        == hashlib.sha256("经核对户籍档案, 原登记姓名无误".encode()).hexdigest()
    )


def test_an_invalid_objection_is_rejected_with_a_reason_and_clears_the_marker(session) -> None:
    w = world(session)
    row = raised(session, w)
    with pytest.raises(ObjectionInvalid):
        reject(session, objection_id=row.id, actor=w.reviewer, reason=" ", topic=OBJECTION_TOPIC)
    reject(
        session, objection_id=row.id, actor=w.reviewer, reason="无有效证明", topic=OBJECTION_TOPIC
    )
    assert row.status == ObjectionStatus.REJECTED_INVALID
    assert markers(session, w) == {}
    with pytest.raises(ObjectionStateConflict):
        forward(
            session,
            objection_id=row.id,
            actor=w.reviewer,
            deadlines=RULES,
            calendar=CAL,
            topic=OBJECTION_TOPIC,
        )


def test_the_citizen_concerned_raises_an_objection_on_their_own_record(session) -> None:
    w = world(session)
    row = raised(session, w, by=citizen(resident_id()), subject=None)
    assert row.subject == subject_ref("person", resident_id())
    assert (row.raiser_kind, row.raiser_id, row.raiser_department) == ("citizen", None, None)
    [leaf] = leaves(session, "objection:raise", objection=row.id)
    assert leaf.actor == {"kind": "citizen", "id": None, "department": None}


def test_a_citizen_may_not_object_to_someone_elses_record(session) -> None:
    w = world(session)
    with pytest.raises(NotYourObjection):
        raised(session, w, by=citizen(resident_id(2)))


def test_a_requester_objects_only_to_items_it_was_granted(session) -> None:
    w = world(session)
    with pytest.raises(NotYourObjection, match="grant"):
        raised(session, w, item="address")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"item": "salary"}, "item"),
        ({"value_claimed": SEEN}, "value_claimed"),
        ({"subject": "person:123"}, "subject"),
        ({"evidence_sha256": "not-a-digest"}, "evidence_sha256"),
    ],
)
def test_bad_objections_are_refused_naming_the_field(session, change, field: str) -> None:
    w = world(session)
    with pytest.raises(ObjectionInvalid) as caught:
        raised(session, w, **change)
    assert caught.value.status == 422
    assert caught.value.extra["field"] == field


def test_the_same_party_cannot_open_a_second_objection_on_the_same_item(session) -> None:
    w = world(session)
    first = raised(session, w)
    with pytest.raises(ObjectionExists) as caught:
        raise_objection(
            session,
            actor=w.requester_system,
            objection=ObjectionInput(
                resource_code=w.resource.code,
                item="name",
                subject=first.subject,
                value_seen=SEEN,
                value_claimed="张三二",
            ),
            deadlines=RULES,
            calendar=CAL,
            topic=OBJECTION_TOPIC,
        )
    assert caught.value.extra["objection"] == first.id


def test_each_step_belongs_to_its_party(session) -> None:
    w = world(session)
    row = raised(session, w)
    with pytest.raises(NotYourObjection):
        accept(session, objection_id=row.id, actor=w.requester_system, topic=OBJECTION_TOPIC)
    with pytest.raises(NotYourObjection):
        accept(session, objection_id=row.id, actor=w.other_reviewer, topic=OBJECTION_TOPIC)
    accept(session, objection_id=row.id, actor=w.reviewer, topic=OBJECTION_TOPIC, at=at(DAY, 14))
    forward(
        session,
        objection_id=row.id,
        actor=w.reviewer,
        deadlines=RULES,
        calendar=CAL,
        topic=OBJECTION_TOPIC,
        at=at(date(2025, 11, 11)),
    )
    with pytest.raises(NotYourObjection):
        correct(
            session,
            objection_id=row.id,
            actor=w.stranger_provider_system,
            value=CLAIMED,
            topic=OBJECTION_TOPIC,
            provider_topic=CORRECTIONS,
        )
    with pytest.raises(NotYourObjection):
        close(session, objection_id=row.id, actor=w.stranger_system, topic=OBJECTION_TOPIC)


def test_overdue_acceptance_and_verification_are_flagged_once(session) -> None:
    w = world(session)
    waiting = raised(session, w)
    verifying = forwarded(session, w, subject=subject_ref("person", resident_id(3)))
    first = mark_overdue_objections(session, topic=OBJECTION_TOPIC, at=at(date(2025, 11, 13)))
    assert [(s.id, s.step, s.department) for s in first] == [(waiting.id, "accept", w.authority)]
    second = mark_overdue_objections(session, topic=OBJECTION_TOPIC, at=at(date(2025, 11, 26)))
    assert [(s.id, s.step, s.department) for s in second] == [(verifying.id, "verify", w.provider)]
    assert mark_overdue_objections(session, topic=OBJECTION_TOPIC, at=at(date(2025, 11, 27))) == []
    assert waiting.status == ObjectionStatus.RAISED  # still open, still marked
    assert markers(session, w)["name"].objection_id == waiting.id
    outcomes = sorted(x.outcome for x in leaves(session, "objection:overdue"))
    assert outcomes == ["accept-overdue", "verify-overdue"]
    stats = objection_statistics(session, authority=w.authority, calendar=CAL)
    assert stats["overdue"] == {w.authority: 1, w.provider: 1}


def test_statistics_count_objections_and_how_long_they_took(session) -> None:
    w = world(session)
    row = forwarded(session, w)
    correct(
        session,
        objection_id=row.id,
        actor=w.provider_system,
        value=CLAIMED,
        topic=OBJECTION_TOPIC,
        provider_topic=CORRECTIONS,
        at=at(date(2025, 11, 14), 10),
    )
    raised(session, w, subject=subject_ref("person", resident_id(4)))
    stats = objection_statistics(session, authority=w.authority, calendar=CAL)
    assert stats["count"] == 2
    assert stats["by_status"] == {"CORRECTED": 1, "RAISED": 1}
    assert stats["durations"]["resolved"] == 1
    assert stats["durations"]["mean_working_days"] == 4  # 10 Nov → 14 Nov
    assert stats["durations"]["mean_hours"] == 96.0


def test_a_provider_without_a_competent_authority_cannot_receive_objections(session) -> None:
    from tests import factories

    w = world(session)
    orphan = factories.department(session, name="某县局", region="659001")
    resource = add_resource(session, orphan)
    with pytest.raises(NoAuthority):
        raised(session, w, by=citizen(resident_id()), subject=None, resource_code=resource.code)


def test_the_platform_operator_may_accept_and_forward_in_the_authoritys_stead(session) -> None:
    from kit.actors import operator

    w = world(session)
    row = raised(session, w)
    platform = operator("platform")
    accept(session, objection_id=row.id, actor=platform, topic=OBJECTION_TOPIC, at=at(DAY, 14))
    forward(
        session,
        objection_id=row.id,
        actor=platform,
        deadlines=RULES,
        calendar=CAL,
        topic=OBJECTION_TOPIC,
        at=at(date(2025, 11, 11)),
    )
    assert row.status == ObjectionStatus.FORWARDED
    assert leaves(session, "objection:forward", objection=row.id)[0].actor["kind"] == "operator"
