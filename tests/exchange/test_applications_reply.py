"""The provider's reply and disputes: every rule tried by breaking it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from exchange.applications import (
    ApplicationStateConflict,
    AppStatus,
    ConditionNotPublished,
    NotYourApplication,
    ReasonRequired,
    UnconditionalNotRefusable,
    children,
    coordinate,
    decide,
    dispute,
    history,
    publish_first,
    reply,
)
from exchange.grants import Grant
from tests.exchange.app_factories import (
    CAL,
    CONDITIONS,
    RULES,
    TOPIC,
    at,
    leaves,
    outbox,
    passed,
    world,
)

MONDAY = date(2025, 11, 10)  # reply due Monday 2025-11-17


def _reply(session, w, app_id: str, decision: str, *, actor=None, when=None, **kw):
    return reply(
        session,
        application_id=app_id,
        actor=actor or w.provider_system,
        decision=decision,
        topic=TOPIC,
        at=when or at(date(2025, 11, 12)),
        **kw,
    )


def test_the_provider_grants_conditional_items_with_a_published_condition(session) -> None:
    w = world(session)
    app = passed(session, w, ("birth_date", "address"), when=at(MONDAY))
    grant = _reply(session, w, app.id, "grant", conditions=[CONDITIONS[1]])
    assert grant is not None
    assert app.status == AppStatus.GRANTED
    assert grant.conditions == [CONDITIONS[1]]
    assert grant.items == ["birth_date", "address"]
    [leaf] = leaves(session, "application:grant", application=app.id)
    assert leaf.actor["department"] == w.provider
    assert leaf.refs["on_time"] == "yes"
    [event] = [e for e in history(session, app.id) if e.to_status == "GRANTED"]
    assert (event.on_time, event.due_on) == (True, date(2025, 11, 17))


def test_the_provider_may_not_attach_a_condition_the_catalog_did_not_publish(session) -> None:
    w = world(session)
    app = passed(session, w, ("birth_date",), when=at(MONDAY))
    with pytest.raises(ConditionNotPublished) as caught:
        _reply(session, w, app.id, "grant", conditions=[CONDITIONS[0], "每次调用须书面报备"])
    assert caught.value.status == 422
    assert caught.value.extra["conditions"] == ["每次调用须书面报备"]
    assert "每次调用须书面报备" in caught.value.detail
    assert app.status == AppStatus.PROVIDER_REVIEW
    assert session.scalars(select(Grant)).all() == []


def test_the_provider_refuses_conditional_items_with_a_reason(session) -> None:
    w = world(session)
    app = passed(session, w, ("birth_date",), when=at(MONDAY))
    assert _reply(session, w, app.id, "refuse", reason="申请用途与该数据项无关") is None
    assert app.status == AppStatus.REFUSED
    [leaf] = leaves(session, "application:refuse", application=app.id)
    assert leaf.reason == "申请用途与该数据项无关"
    assert [m.type for m in outbox(session, TOPIC, key=app.id)][-1] == "application:refuse"


def test_a_refusal_without_a_reason_is_refused(session) -> None:
    w = world(session)
    app = passed(session, w, ("birth_date",), when=at(MONDAY))
    with pytest.raises(ReasonRequired) as caught:
        _reply(session, w, app.id, "refuse", reason="   ")
    assert caught.value.status == 422
    assert app.status == AppStatus.PROVIDER_REVIEW


def test_the_provider_may_not_refuse_unconditional_items(session) -> None:
    w = world(session)
    app = passed(session, w, ("name",), when=at(MONDAY))
    with pytest.raises(UnconditionalNotRefusable) as caught:
        _reply(session, w, app.id, "refuse", reason="不想提供")
    assert caught.value.status == 403
    assert app.status == AppStatus.GRANTED


def test_the_provider_may_not_grant_not_shared_items_without_a_dispute(session) -> None:
    w = world(session)
    app = passed(session, w, ("fingerprint",), when=at(MONDAY))
    assert app.status == AppStatus.REFUSED
    with pytest.raises(ApplicationStateConflict, match="dispute"):
        _reply(session, w, app.id, "grant")
    assert session.scalars(select(Grant)).all() == []


def test_another_departments_provider_may_not_reply(session) -> None:
    w = world(session)
    app = passed(session, w, ("birth_date",), when=at(MONDAY))
    with pytest.raises(NotYourApplication) as caught:
        _reply(session, w, app.id, "grant", actor=w.stranger_provider_system)
    assert caught.value.status == 403
    assert app.status == AppStatus.PROVIDER_REVIEW


def test_the_requester_may_not_reply_for_the_provider(session) -> None:
    w = world(session)
    app = passed(session, w, ("birth_date",), when=at(MONDAY))
    with pytest.raises(NotYourApplication):
        _reply(session, w, app.id, "grant", actor=w.requester_system)


def test_a_reply_after_the_deadline_is_recorded_as_late(session) -> None:
    w = world(session)
    app = passed(session, w, ("birth_date",), when=at(MONDAY))
    _reply(session, w, app.id, "grant", when=at(date(2025, 11, 18)))
    [event] = [e for e in history(session, app.id) if e.to_status == "GRANTED"]
    assert event.on_time is False
    [leaf] = leaves(session, "application:grant", application=app.id)
    assert leaf.refs["on_time"] == "no"


def test_data_to_be_published_first_gets_the_longer_reply_deadline_once(session) -> None:
    w = world(session)
    app = passed(session, w, ("birth_date",), when=at(MONDAY))
    publish_first(
        session,
        application_id=app.id,
        actor=w.provider_system,
        reason="该数据项尚未挂接共享平台",
        deadlines=RULES,
        calendar=CAL,
        topic=TOPIC,
        at=at(date(2025, 11, 11)),
    )
    assert app.due_on == date(2025, 11, 24)  # ten working days after Monday 2025-11-10
    with pytest.raises(ApplicationStateConflict, match="once"):
        publish_first(
            session,
            application_id=app.id,
            actor=w.provider_system,
            reason="再次延长",
            deadlines=RULES,
            calendar=CAL,
            topic=TOPIC,
            at=at(date(2025, 11, 12)),
        )


def test_a_refused_application_is_disputed_coordinated_and_granted_by_the_authority(
    session,
) -> None:
    w = world(session)
    app = passed(session, w, ("birth_date",), when=at(MONDAY))
    _reply(session, w, app.id, "refuse", reason="无关")
    dispute(
        session,
        application_id=app.id,
        actor=w.requester_system,
        reason="出生医学证明签发须核验出生日期",
        topic=TOPIC,
        at=at(date(2025, 11, 13)),
    )
    assert app.status == AppStatus.DISPUTED
    coordinate(
        session, application_id=app.id, actor=w.reviewer, topic=TOPIC, at=at(date(2025, 11, 14))
    )
    assert app.status == AppStatus.COORDINATING
    grant = decide(
        session,
        application_id=app.id,
        actor=w.reviewer,
        decision="grant",
        conditions=[CONDITIONS[0]],
        topic=TOPIC,
        at=at(date(2025, 11, 17)),
    )
    assert grant is not None
    assert app.status == AppStatus.GRANTED
    statuses = [e.to_status for e in history(session, app.id)]
    assert statuses[-4:] == ["REFUSED", "DISPUTED", "COORDINATING", "GRANTED"]
    assert [x.action for x in leaves(session, "application:dispute", application=app.id)] == [
        "application:dispute"
    ]
    assert len(leaves(session, "application:coordinate", application=app.id)) == 1


def test_not_shared_items_are_granted_only_through_a_coordinated_dispute(session) -> None:
    w = world(session)
    app = passed(session, w, ("name", "fingerprint"), when=at(MONDAY))
    refused = next(k for k in children(session, app.id) if k.share_type == "not_shared")
    dispute(
        session,
        application_id=refused.id,
        actor=w.requester_system,
        reason="刑侦比对需要",
        topic=TOPIC,
    )
    coordinate(session, application_id=refused.id, actor=w.reviewer, topic=TOPIC)
    grant = decide(
        session, application_id=refused.id, actor=w.reviewer, decision="grant", topic=TOPIC
    )
    assert grant is not None
    assert grant.items == ["fingerprint"]


def test_a_dispute_needs_a_reason(session) -> None:
    w = world(session)
    app = passed(session, w, ("fingerprint",), when=at(MONDAY))
    with pytest.raises(ReasonRequired):
        dispute(session, application_id=app.id, actor=w.requester_system, reason="", topic=TOPIC)
    assert app.status == AppStatus.REFUSED


def test_a_granted_application_cannot_be_disputed(session) -> None:
    w = world(session)
    app = passed(session, w, ("name",), when=at(MONDAY))
    with pytest.raises(ApplicationStateConflict):
        dispute(session, application_id=app.id, actor=w.requester_system, reason="x", topic=TOPIC)


def test_only_the_requester_disputes_and_only_the_authority_coordinates(session) -> None:
    w = world(session)
    app = passed(session, w, ("fingerprint",), when=at(MONDAY))
    with pytest.raises(NotYourApplication):
        dispute(session, application_id=app.id, actor=w.stranger_system, reason="x", topic=TOPIC)
    dispute(session, application_id=app.id, actor=w.requester_system, reason="需要", topic=TOPIC)
    with pytest.raises(NotYourApplication):
        coordinate(session, application_id=app.id, actor=w.other_reviewer, topic=TOPIC)
    with pytest.raises(NotYourApplication):
        coordinate(session, application_id=app.id, actor=w.provider_system, topic=TOPIC)


def test_a_refusal_after_coordination_needs_a_reason_and_is_final(session) -> None:
    w = world(session)
    app = passed(session, w, ("fingerprint",), when=at(MONDAY))
    dispute(session, application_id=app.id, actor=w.requester_system, reason="需要", topic=TOPIC)
    coordinate(session, application_id=app.id, actor=w.reviewer, topic=TOPIC)
    with pytest.raises(ReasonRequired):
        decide(session, application_id=app.id, actor=w.reviewer, decision="refuse", topic=TOPIC)
    decide(
        session,
        application_id=app.id,
        actor=w.reviewer,
        decision="refuse",
        reason="法律明确规定不予共享",
        topic=TOPIC,
    )
    assert app.status == AppStatus.REFUSED
    with pytest.raises(ApplicationStateConflict, match="final"):
        dispute(
            session, application_id=app.id, actor=w.requester_system, reason="再议", topic=TOPIC
        )
