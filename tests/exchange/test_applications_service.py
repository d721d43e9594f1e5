"""Share applications: submission rules, the authority's review, and where passing leads."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from catalog import ResourceNotPublished
from exchange.applications import (
    ApplicationInvalid,
    ApplicationStateConflict,
    AppStatus,
    NotYourApplication,
    ReasonRequired,
    children,
    history,
    resubmit,
    review,
    start_review,
)
from exchange.grants import Grant
from tests.exchange.app_factories import (
    CAL,
    NOT_SHARED_BASIS,
    RULES,
    TOPIC,
    add_resource,
    application_input,
    at,
    leaves,
    outbox,
    passed,
    submitted,
    world,
)

FRIDAY = date(2025, 11, 14)  # an ordinary Friday: review due Tuesday 2025-11-18


def test_submitting_records_the_application_due_for_review_in_two_working_days(session) -> None:
    w = world(session)
    app = submitted(session, w, when=at(FRIDAY))
    assert app.status == AppStatus.SUBMITTED
    assert app.due_on == date(2025, 11, 18)
    assert (app.requester_code, app.provider_code, app.authority_code) == (
        w.requester,
        w.provider,
        w.authority,
    )
    assert app.systems == [w.asking.id]
    assert app.share_type == "unconditional"
    [event] = history(session, app.id)
    assert (event.action, event.from_status, event.to_status) == (
        "application:submit",
        None,
        "SUBMITTED",
    )
    assert event.actor_department == w.requester
    assert event.due_on == date(2025, 11, 18)
    [leaf] = leaves(session, "application:submit", application=app.id)
    assert leaf.refs["resource"] == w.resource.code
    assert leaf.actor["id"] == w.asking.id
    [message] = outbox(session, TOPIC, key=app.id)
    assert message.type == "application:submit"
    assert message.payload["due"] == "2025-11-18"


def test_an_unpublished_resource_cannot_be_applied_for(session) -> None:
    w = world(session)
    draft = add_resource(session, w.provider, status="DRAFT")
    with pytest.raises(ResourceNotPublished):
        submitted(session, w, when=at(FRIDAY), resource_code=draft.code)


def test_an_item_the_resource_does_not_have_is_refused_by_name(session) -> None:
    w = world(session)
    with pytest.raises(ApplicationInvalid) as caught:
        submitted(session, w, ("name", "salary"), when=at(FRIDAY))
    assert caught.value.status == 422
    assert caught.value.extra["items"] == ["salary"]
    assert "salary" in caught.value.detail


def test_an_item_named_twice_is_refused(session) -> None:
    w = world(session)
    with pytest.raises(ApplicationInvalid) as caught:
        submitted(session, w, ("name", "sex", "name"), when=at(FRIDAY))
    assert caught.value.extra["items"] == ["name"]


def test_an_application_without_items_is_refused(session) -> None:
    w = world(session)
    with pytest.raises(ApplicationInvalid, match="items"):
        submitted(session, w, (), when=at(FRIDAY))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duty_basis", "  "),
        ("scenario", ""),
        ("purpose", "Newborn Birth"),
        ("share_mode", "email"),
        ("valid_until", date(2025, 11, 14)),
        ("expected_volume", 0),
        ("frequency_per_day", 0),
    ],
)
def test_each_stated_term_is_checked(session, field: str, value: object) -> None:
    w = world(session)
    with pytest.raises(ApplicationInvalid) as caught:
        submitted(session, w, when=at(FRIDAY), **{field: value})
    assert caught.value.extra["field"] == field


def test_only_the_requesters_own_requester_systems_may_be_named_to_read(session) -> None:
    w = world(session)
    with pytest.raises(ApplicationInvalid, match="systems"):
        submitted(session, w, when=at(FRIDAY), systems=(w.asking.id, w.stranger.id))
    app = submitted(session, w, when=at(FRIDAY), systems=(w.asking.id, w.asking_too.id))
    assert app.systems == [w.asking.id, w.asking_too.id]


def test_a_provider_system_cannot_file_an_application(session) -> None:
    from exchange.applications import submit

    w = world(session)
    with pytest.raises(NotYourApplication):
        submit(
            session,
            actor=w.provider_system,
            application=application_input(w),
            deadlines=RULES,
            calendar=CAL,
            topic=TOPIC,
            at=at(FRIDAY),
        )


def test_a_reviewer_of_the_authority_takes_the_application_into_review(session) -> None:
    w = world(session)
    app = submitted(session, w, when=at(FRIDAY))
    start_review(session, application_id=app.id, actor=w.reviewer, topic=TOPIC, at=at(FRIDAY, 15))
    assert app.status == AppStatus.IN_REVIEW
    assert app.due_on == date(2025, 11, 18)  # the review deadline runs from submission
    [leaf] = leaves(session, "application:review", application=app.id)
    assert leaf.outcome == "started"
    assert leaf.actor["department"] == w.authority


def test_a_decision_needs_the_application_taken_into_review_first(session) -> None:
    w = world(session)
    app = submitted(session, w, when=at(FRIDAY))
    with pytest.raises(ApplicationStateConflict, match="take it up"):
        _review(session, w, app.id, "pass")


def test_returning_an_application_needs_a_reason(session) -> None:
    w = world(session)
    app = submitted(session, w, when=at(FRIDAY))
    start_review(session, application_id=app.id, actor=w.reviewer, topic=TOPIC, at=at(FRIDAY))
    with pytest.raises(ReasonRequired) as caught:
        _review(session, w, app.id, "return", reason=" ")
    assert caught.value.status == 422
    assert app.status == AppStatus.IN_REVIEW


def test_a_returned_application_is_amended_and_resubmitted_with_a_new_deadline(session) -> None:
    w = world(session)
    app = submitted(session, w, ("name", "sex", "region"), when=at(FRIDAY))
    start_review(session, application_id=app.id, actor=w.reviewer, topic=TOPIC, at=at(FRIDAY))
    _review(session, w, app.id, "return", reason="户籍地区划超出履职所需")
    assert app.status == AppStatus.RETURNED
    [leaf] = leaves(session, "application:return", application=app.id)
    assert leaf.reason == "户籍地区划超出履职所需"
    resubmit(
        session,
        application_id=app.id,
        actor=w.requester_system,
        items=["name", "sex"],
        deadlines=RULES,
        calendar=CAL,
        topic=TOPIC,
        at=at(date(2025, 11, 17)),
    )
    assert app.status == AppStatus.SUBMITTED
    assert app.items == ["name", "sex"]
    assert app.due_on == date(2025, 11, 19)
    statuses = [e.to_status for e in history(session, app.id)]
    assert statuses == ["SUBMITTED", "IN_REVIEW", "RETURNED", "SUBMITTED"]


def test_passing_unconditional_items_grants_them_at_once(session) -> None:
    w = world(session)
    app = passed(session, w, ("name", "region"), when=at(FRIDAY))
    assert app.status == AppStatus.GRANTED
    grant = session.scalar(select(Grant).where(Grant.application_id == app.id))
    assert grant is not None
    assert grant.items == ["name", "region"]
    assert grant.status == "ACTIVE"
    assert grant.lawful_basis == "consent"
    [leaf] = leaves(session, "application:grant", application=app.id)
    assert leaf.refs["grant"] == grant.id
    assert leaf.refs["on_time"] == "yes"
    assert [m.type for m in outbox(session, TOPIC, key=grant.id)] == ["grant:issue"]


def test_passing_conditional_items_sends_them_to_the_provider_due_in_five_working_days(
    session,
) -> None:
    w = world(session)
    app = passed(session, w, ("birth_date",), when=at(FRIDAY))
    assert app.status == AppStatus.PROVIDER_REVIEW
    assert app.due_on == date(2025, 11, 21)
    [_, leaf] = leaves(session, "application:review", application=app.id)
    assert leaf.outcome == "provider-review"


def test_a_mixed_application_splits_into_one_child_per_sharing_attribute(session) -> None:
    w = world(session)
    app = passed(session, w, ("name", "birth_date", "fingerprint", "sex"), when=at(FRIDAY))
    assert app.status == AppStatus.SPLIT
    kids = {k.share_type: k for k in children(session, app.id)}
    assert set(kids) == {"unconditional", "conditional", "not_shared"}
    assert kids["unconditional"].items == ["name", "sex"]
    assert kids["unconditional"].status == AppStatus.GRANTED
    assert kids["conditional"].items == ["birth_date"]
    assert kids["conditional"].status == AppStatus.PROVIDER_REVIEW
    assert kids["not_shared"].status == AppStatus.REFUSED
    assert NOT_SHARED_BASIS in (kids["not_shared"].reason or "")
    [split] = [e for e in history(session, app.id) if e.to_status == "SPLIT"]
    assert split.on_time is True
    grants = session.scalars(select(Grant)).all()
    assert [g.application_id for g in grants] == [kids["unconditional"].id]


def test_personal_items_under_a_stated_statutory_duty_are_granted_on_that_basis(session) -> None:
    w = world(session)
    app = passed(session, w, ("name",), when=at(FRIDAY), statutory_duty=True)
    grant = session.scalar(select(Grant).where(Grant.application_id == app.id))
    assert grant is not None
    assert grant.lawful_basis == "statutory-duty"
    assert grant.legal_reference == app.duty_basis


def test_a_statutory_duty_without_personal_items_still_needs_consent(session) -> None:
    w = world(session)
    app = passed(session, w, ("region",), when=at(FRIDAY), statutory_duty=True)
    grant = session.scalar(select(Grant).where(Grant.application_id == app.id))
    assert grant is not None
    assert (grant.lawful_basis, grant.legal_reference) == ("consent", None)


def test_a_reviewer_of_another_authority_may_not_review(session) -> None:
    w = world(session)
    app = submitted(session, w, when=at(FRIDAY))
    with pytest.raises(NotYourApplication) as caught:
        start_review(
            session, application_id=app.id, actor=w.other_reviewer, topic=TOPIC, at=at(FRIDAY)
        )
    assert caught.value.status == 403
    assert app.status == AppStatus.SUBMITTED


def test_another_departments_system_may_not_resubmit(session) -> None:
    w = world(session)
    app = submitted(session, w, when=at(FRIDAY))
    with pytest.raises(NotYourApplication):
        resubmit(
            session,
            application_id=app.id,
            actor=w.stranger_system,
            deadlines=RULES,
            calendar=CAL,
            topic=TOPIC,
            at=at(FRIDAY),
        )


def _review(session, w, application_id: str, decision: str, reason: str | None = None) -> None:
    review(
        session,
        application_id=application_id,
        actor=w.reviewer,
        decision=decision,
        reason=reason,
        deadlines=RULES,
        calendar=CAL,
        topic=TOPIC,
        at=at(FRIDAY, 16),
    )
