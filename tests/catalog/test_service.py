"""Drafting and the review lifecycle, with the audit leaves and outbox events each step writes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import entries
from catalog import (
    CodeTaken,
    InvalidResource,
    NameTaken,
    NotReviewer,
    NotSteward,
    ResourceImmutable,
    ResourceNotFound,
    ResourceNotPublished,
    ResourceStatus,
    SecretRefused,
    WrongStatus,
    create_resource,
    publish_resource,
    published_resource,
    resource_history,
    return_resource,
    revise_resource,
    submit_resource,
    update_draft,
)
from catalog.resources import ResourceCode, ResourceTransition
from tests import factories
from tests.catalog.factories import (
    TOPIC,
    City,
    birth_entry,
    city,
    identity_entry,
    outbox_types,
    published,
)


@pytest.fixture
def c(session: Session) -> City:
    return city(session)


def test_a_steward_creates_a_draft_with_version_one_and_a_reserved_code(
    session: Session, c: City
) -> None:
    resource = create_resource(session, entry=birth_entry(c.health), actor=c.steward(), topic=TOPIC)
    assert (resource.code, resource.version, resource.status) == ("105001/000001", 1, "DRAFT")
    assert resource.share_type == "conditional"
    assert resource.share_condition == "仅用于户籍登记业务办理"
    assert [i.element for i in resource.items][:2] == [
        "health.birth_certificate#certificate_number",
        "health.birth_certificate#newborn_name",
    ]
    assert session.get(ResourceCode, "105001/000001") is not None


def test_the_next_free_serial_is_assigned_when_no_code_is_given(session: Session, c: City) -> None:
    create_resource(
        session, entry=birth_entry(c.health, code="105001/000041"), actor=c.steward(), topic=TOPIC
    )
    second = create_resource(
        session,
        entry=birth_entry(c.health, name="出生医学证明补发信息"),
        actor=c.steward(),
        topic=TOPIC,
    )
    assert second.code == "105001/000042"


def test_a_used_code_is_refused_even_by_another_provider(session: Session, c: City) -> None:
    create_resource(
        session,
        entry=identity_entry(c.police, code="101001/000001"),
        actor=c.steward(c.police),
        topic=TOPIC,
    )
    with pytest.raises(CodeTaken) as caught:
        create_resource(
            session,
            entry=identity_entry(c.health, code="101001/000001", name="另一资源"),
            actor=c.steward(c.health),
            topic=TOPIC,
        )
    assert caught.value.status == 409
    assert caught.value.extra["field"] == "code"


def test_a_name_is_unique_within_its_provider(session: Session, c: City) -> None:
    create_resource(session, entry=identity_entry(c.police), actor=c.steward(c.police), topic=TOPIC)
    with pytest.raises(NameTaken):
        create_resource(
            session, entry=identity_entry(c.police), actor=c.steward(c.police), topic=TOPIC
        )


def test_a_steward_of_another_department_cannot_create_for_a_provider(
    session: Session, c: City
) -> None:
    with pytest.raises(NotSteward) as caught:
        create_resource(
            session, entry=birth_entry(c.health), actor=c.steward(c.police), topic=TOPIC
        )
    assert caught.value.status == 403


def test_an_unknown_provider_is_refused_naming_the_field(session: Session, c: City) -> None:
    stranger = factories.department_code()
    with pytest.raises(InvalidResource) as caught:
        create_resource(
            session, entry=birth_entry(stranger), actor=c.steward(stranger), topic=TOPIC
        )
    assert caught.value.extra["field"] == "provider_code"


def test_secret_data_is_refused_and_nothing_is_stored(session: Session, c: City) -> None:
    with pytest.raises(SecretRefused):
        create_resource(
            session, entry=birth_entry(c.health, secret=True), actor=c.steward(), topic=TOPIC
        )
    assert session.scalars(select(ResourceCode)).all() == []
    assert entries(session, actions=["catalog:create"]) == []


def test_creating_writes_a_leaf_an_event_and_a_history_row(session: Session, c: City) -> None:
    steward = c.steward()
    resource = create_resource(session, entry=birth_entry(c.health), actor=steward, topic=TOPIC)
    [leaf] = entries(session, actions=["catalog:create"])
    assert leaf.refs == {
        "resource": resource.code,
        "version": "1",
        "provider": c.health,
        "status": "DRAFT",
    }
    assert leaf.actor == {"kind": "user", "id": steward.id, "department": c.health}
    assert outbox_types(session, resource.code) == ["catalog:create"]
    [step] = resource_history(session, resource.code)
    assert (step.action, step.to_status, step.actor_department) == (
        "catalog:create",
        "DRAFT",
        c.health,
    )


def test_a_steward_of_another_department_cannot_edit_a_draft(session: Session, c: City) -> None:
    resource = create_resource(session, entry=birth_entry(c.health), actor=c.steward(), topic=TOPIC)
    with pytest.raises(NotSteward):
        update_draft(
            session,
            code=resource.code,
            entry=birth_entry(c.health, abstract="改"),
            actor=c.steward(c.police),
            topic=TOPIC,
        )


def test_editing_a_draft_replaces_its_items(session: Session, c: City) -> None:
    entry = birth_entry(c.health)
    resource = create_resource(session, entry=entry, actor=c.steward(), topic=TOPIC)
    shorter = replace(entry, items=entry.items[:2], abstract="只含编号和姓名")
    edited = update_draft(
        session, code=resource.code, entry=shorter, actor=c.steward(), topic=TOPIC
    )
    assert [i.key for i in edited.items] == ["certificate_number", "newborn_name"]
    assert edited.share_type == "unconditional"
    assert edited.abstract == "只含编号和姓名"
    assert "catalog:update" in outbox_types(session, resource.code)


def test_the_whole_review_writes_leaves_and_events_for_each_transition(
    session: Session, c: City
) -> None:
    steward, reviewer = c.steward(), c.reviewer()
    code = create_resource(session, entry=birth_entry(c.health), actor=steward, topic=TOPIC).code
    submit_resource(session, code=code, actor=steward, topic=TOPIC)
    returned = return_resource(session, code=code, actor=reviewer, reason="摘要过简", topic=TOPIC)
    assert (returned.status, returned.review_comment) == ("RETURNED", "摘要过简")
    update_draft(
        session,
        code=code,
        entry=birth_entry(c.health, abstract="详细摘要"),
        actor=steward,
        topic=TOPIC,
    )
    submit_resource(session, code=code, actor=steward, topic=TOPIC)
    done = publish_resource(session, code=code, actor=reviewer, topic=TOPIC)
    assert done.status == "PUBLISHED"
    assert done.published_on is not None
    expected = [
        "catalog:create",
        "catalog:submit",
        "catalog:return",
        "catalog:update",
        "catalog:submit",
        "catalog:publish",
    ]
    assert outbox_types(session, code) == expected
    leaves = entries(session, refs={"resource": code})
    assert [leaf.action for leaf in leaves] == expected
    assert leaves[2].reason == "摘要过简"
    assert leaves[5].actor["department"] == c.authority
    assert [t.to_status for t in resource_history(session, code)] == [
        "DRAFT",
        "SUBMITTED",
        "RETURNED",
        "RETURNED",
        "SUBMITTED",
        "PUBLISHED",
    ]


def test_a_steward_cannot_publish(session: Session, c: City) -> None:
    code = create_resource(
        session, entry=birth_entry(c.health), actor=c.steward(), topic=TOPIC
    ).code
    submit_resource(session, code=code, actor=c.steward(), topic=TOPIC)
    with pytest.raises(NotReviewer) as caught:
        publish_resource(session, code=code, actor=c.steward(), topic=TOPIC)
    assert caught.value.status == 403


def test_a_reviewer_of_a_different_authority_cannot_publish(session: Session, c: City) -> None:
    other = factories.department(
        session, name="宁波市大数据发展管理局", region="330200", authority=True
    )
    code = create_resource(
        session, entry=birth_entry(c.health), actor=c.steward(), topic=TOPIC
    ).code
    submit_resource(session, code=code, actor=c.steward(), topic=TOPIC)
    with pytest.raises(NotReviewer) as caught:
        publish_resource(session, code=code, actor=c.reviewer(other), topic=TOPIC)
    assert "杭州市数据资源管理局" in caught.value.detail


def test_returning_needs_a_reason(session: Session, c: City) -> None:
    code = create_resource(
        session, entry=birth_entry(c.health), actor=c.steward(), topic=TOPIC
    ).code
    submit_resource(session, code=code, actor=c.steward(), topic=TOPIC)
    with pytest.raises(InvalidResource) as caught:
        return_resource(session, code=code, actor=c.reviewer(), reason=" ", topic=TOPIC)
    assert caught.value.extra["field"] == "reason"


def test_a_draft_cannot_be_published_before_it_is_submitted(session: Session, c: City) -> None:
    code = create_resource(
        session, entry=birth_entry(c.health), actor=c.steward(), topic=TOPIC
    ).code
    with pytest.raises(WrongStatus):
        publish_resource(session, code=code, actor=c.reviewer(), topic=TOPIC)


def test_a_published_version_cannot_be_changed(session: Session, c: City) -> None:
    resource = published(session, birth_entry(c.health), c)
    with pytest.raises(ResourceImmutable) as caught:
        update_draft(
            session,
            code=resource.code,
            entry=birth_entry(c.health, abstract="悄悄修改"),
            actor=c.steward(),
            topic=TOPIC,
        )
    assert caught.value.status == 409
    assert published_resource(session, resource.code).abstract == birth_entry(c.health).abstract


def test_a_submitted_version_cannot_be_edited(session: Session, c: City) -> None:
    code = create_resource(
        session, entry=birth_entry(c.health), actor=c.steward(), topic=TOPIC
    ).code
    submit_resource(session, code=code, actor=c.steward(), topic=TOPIC)
    with pytest.raises(ResourceImmutable):
        update_draft(
            session, code=code, entry=birth_entry(c.health), actor=c.steward(), topic=TOPIC
        )


def test_a_revision_is_a_new_version_reviewed_again(session: Session, c: City) -> None:
    first = published(session, birth_entry(c.health), c)
    draft = revise_resource(session, code=first.code, actor=c.steward(), topic=TOPIC)
    assert (draft.version, draft.status, len(draft.items)) == (2, "DRAFT", 6)
    assert published_resource(session, first.code).version == 1
    shorter = birth_entry(c.health, items=birth_entry(c.health).items[:3])
    update_draft(session, code=first.code, entry=shorter, actor=c.steward(), topic=TOPIC)
    submit_resource(session, code=first.code, actor=c.steward(), topic=TOPIC)
    publish_resource(session, code=first.code, actor=c.reviewer(), topic=TOPIC)
    current = published_resource(session, first.code)
    assert (current.version, len(current.items)) == (2, 3)
    assert len(published_resource(session, first.code, 1).items) == 6
    assert "catalog:revise" in outbox_types(session, first.code)


def test_only_a_published_entry_can_be_revised(session: Session, c: City) -> None:
    code = create_resource(
        session, entry=birth_entry(c.health), actor=c.steward(), topic=TOPIC
    ).code
    with pytest.raises(WrongStatus):
        revise_resource(session, code=code, actor=c.steward(), topic=TOPIC)


def test_published_resource_distinguishes_unknown_from_unpublished(
    session: Session, c: City
) -> None:
    code = create_resource(
        session, entry=birth_entry(c.health), actor=c.steward(), topic=TOPIC
    ).code
    with pytest.raises(ResourceNotPublished):
        published_resource(session, code)
    with pytest.raises(ResourceNotPublished):
        published_resource(session, code, 1)
    with pytest.raises(ResourceNotFound):
        published_resource(session, "105001/999999")


def test_every_transition_records_actor_department_and_leaf(session: Session, c: City) -> None:
    resource = published(session, birth_entry(c.health), c)
    rows = session.scalars(
        select(ResourceTransition).where(ResourceTransition.code == resource.code)
    ).all()
    leaves = {leaf.index: leaf for leaf in entries(session, refs={"resource": resource.code})}
    for row in rows:
        assert leaves[row.leaf_index].action == row.action
        assert leaves[row.leaf_index].actor["department"] == row.actor_department
    assert rows[-1].to_status == ResourceStatus.PUBLISHED
