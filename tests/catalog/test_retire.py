"""Retirement: a provider may not stop a running service on its own (active grants)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from audit import entries
from catalog import (
    NotSteward,
    Resource,
    ResourceNotFound,
    ResourceNotPublished,
    WrongStatus,
    published_resource,
    published_version,
    published_versions,
    resource_versions,
    retire_resource,
    revise_resource,
)
from kit.actors import operator
from tests.catalog.factories import TOPIC, City, birth_entry, city, outbox_types, published


@pytest.fixture
def c(session: Session) -> City:
    return city(session)


def retired_at_once(session: Session, c: City, code: str) -> Resource:
    """The steward's request to retire ``code`` with no active grant (granted at once)."""
    return retire_resource(
        session,
        code=code,
        actor=c.steward(),
        reason="数据已并入新资源",
        active_grants=0,
        topic=TOPIC,
    )


def test_with_no_active_grant_the_stewards_request_retires_at_once(
    session: Session, c: City
) -> None:
    code = published(session, birth_entry(c.health), c).code
    retired = retired_at_once(session, c, code)
    assert retired.status == "RETIRED"
    with pytest.raises(ResourceNotPublished):
        published_resource(session, code)
    [leaf] = entries(session, actions=["catalog:retire"])
    assert (leaf.outcome, leaf.refs["active_grants"], leaf.reason) == (
        "ok",
        "0",
        "数据已并入新资源",
    )
    assert outbox_types(session, code)[-1] == "catalog:retire"


def test_with_active_grants_the_request_waits_for_the_authority(session: Session, c: City) -> None:
    code = published(session, birth_entry(c.health), c).code
    pending = retire_resource(
        session, code=code, actor=c.steward(), reason="停止采集", active_grants=3, topic=TOPIC
    )
    assert pending.status == "PUBLISHED"
    assert pending.retire_requested_at is not None
    assert published_resource(session, code).code == code
    [leaf] = entries(session, actions=["catalog:retire"])
    assert (leaf.outcome, leaf.refs["active_grants"]) == ("requested", "3")


def test_an_unknown_grant_count_is_treated_as_active(session: Session, c: City) -> None:
    code = published(session, birth_entry(c.health), c).code
    pending = retire_resource(
        session, code=code, actor=c.steward(), reason="停止采集", active_grants=None, topic=TOPIC
    )
    assert pending.status == "PUBLISHED"


def test_the_authority_approves_a_pending_request_despite_active_grants(
    session: Session, c: City
) -> None:
    code = published(session, birth_entry(c.health), c).code
    retire_resource(
        session, code=code, actor=c.steward(), reason="停止采集", active_grants=2, topic=TOPIC
    )
    retired = retire_resource(
        session, code=code, actor=c.reviewer(), reason="已协调需求方", active_grants=2, topic=TOPIC
    )
    assert retired.status == "RETIRED"
    outcomes = [leaf.outcome for leaf in entries(session, actions=["catalog:retire"])]
    assert outcomes == ["requested", "approved"]


def test_the_authority_may_decline_a_pending_request(session: Session, c: City) -> None:
    code = published(session, birth_entry(c.health), c).code
    retire_resource(
        session, code=code, actor=c.steward(), reason="停止采集", active_grants=2, topic=TOPIC
    )
    kept = retire_resource(
        session,
        code=code,
        actor=c.reviewer(),
        reason="需求方仍在使用",
        active_grants=2,
        topic=TOPIC,
        approve=False,
    )
    assert (kept.status, kept.retire_requested_at) == ("PUBLISHED", None)
    assert entries(session, actions=["catalog:retire"])[-1].outcome == "declined"


def test_a_reviewer_cannot_retire_without_the_providers_request(session: Session, c: City) -> None:
    code = published(session, birth_entry(c.health), c).code
    with pytest.raises(WrongStatus):
        retire_resource(
            session, code=code, actor=c.reviewer(), reason="x", active_grants=0, topic=TOPIC
        )


def test_a_steward_of_another_department_cannot_ask_to_retire(session: Session, c: City) -> None:
    code = published(session, birth_entry(c.health), c).code
    with pytest.raises(NotSteward):
        retire_resource(
            session, code=code, actor=c.steward(c.police), reason="x", active_grants=0, topic=TOPIC
        )


def test_retiring_closes_every_version_including_an_open_revision(
    session: Session, c: City
) -> None:
    code = published(session, birth_entry(c.health), c).code
    revise_resource(session, code=code, actor=c.steward(), topic=TOPIC)
    retire_resource(
        session, code=code, actor=operator(), reason="撤销", active_grants=0, topic=TOPIC
    )
    assert [v.status for v in resource_versions(session, code)] == ["RETIRED", "RETIRED"]
    with pytest.raises(WrongStatus):
        revise_resource(session, code=code, actor=c.steward(), topic=TOPIC)


def test_a_version_read_for_exchanges_is_refused_once_it_is_retired(
    session: Session, c: City
) -> None:
    resource = published(session, birth_entry(c.health), c)
    kept = published_version(session, resource.code, resource.version)
    assert (kept.code, kept.version, kept.schema_id) == (
        resource.code,
        resource.version,
        resource.schema_id,
    )
    assert [i.key for i in kept.items] == [i.key for i in resource.items]
    assert published_version(session, resource.code, resource.version) is kept
    retired_at_once(session, c, resource.code)
    with pytest.raises(ResourceNotPublished):
        published_version(session, resource.code, resource.version)
    with pytest.raises(ResourceNotFound):
        published_version(session, resource.code, resource.version + 1)


def test_versions_read_together_are_those_published_now(session: Session, c: City) -> None:
    birth = published(session, birth_entry(c.health), c)
    gone = published(session, birth_entry(c.health, name="出生医学证明信息 (旧)"), c)
    retired_at_once(session, c, gone.code)
    wanted = [(birth.code, birth.version), (gone.code, gone.version), (birth.code, 99)]
    found = published_versions(session, wanted)
    assert list(found) == [(birth.code, birth.version)]
    assert found[birth.code, birth.version] is published_version(session, birth.code, 1)
    assert published_versions(session, []) == {}
