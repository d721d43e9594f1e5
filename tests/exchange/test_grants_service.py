"""Grants: ``authorize`` per the contract (each refusal tried), the lifecycle, change requests."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from exchange.grants import (
    Grant,
    GrantBatch,
    GrantDecision,
    GrantFrequencyExceeded,
    GrantInvalid,
    GrantNotActive,
    GrantNotFound,
    GrantNotHeld,
    GrantStateConflict,
    ItemsNotGranted,
    NotYourGrant,
    PurposeMismatch,
    active_grant_count,
    authorize,
    close,
    decide_change,
    request_change,
    resume,
    revoke,
    suspend,
)
from exchange.grants.clock import end_of_day
from exchange.grants.models import GrantUsage
from tests.exchange.app_factories import (
    GRANT_TOPIC,
    UNTIL,
    World,
    at,
    leaves,
    outbox,
    passed,
    world,
)

DAY = date(2025, 11, 10)


def granted(session, w: World, items=("name", "sex", "region"), **changes) -> Grant:
    app = passed(session, w, items, when=at(DAY), **changes)
    grant = session.scalar(select(Grant).where(Grant.application_id == app.id))
    assert grant is not None
    return grant


def ask(session, w: World, grant: Grant, **changes) -> GrantDecision:
    values = {
        "grant_id": grant.id,
        "system_id": w.asking.id,
        "department_code": w.requester,
        "items": ["name"],
        "purpose": "newborn-birth",
        "at": at(DAY, 11),
    }
    values.update(changes)
    return authorize(session, **values)


def test_the_holder_is_authorized_for_granted_items_and_its_purpose(session) -> None:
    w = world(session)
    grant = granted(session, w)
    decision = ask(session, w, grant, items=["name", "sex"])
    assert decision == GrantDecision(
        grant_id=grant.id,
        resource_code=w.resource.code,
        resource_version=1,
        provider_code=w.provider,
        requester_code=w.requester,
        items=("name", "sex"),
        purpose="newborn-birth",
        scenario=grant.scenario,
        lawful_basis="consent",
        legal_reference=None,
        expires_at=end_of_day(UNTIL),
    )


def test_an_unknown_grant_is_not_found(session) -> None:
    w = world(session)
    with pytest.raises(GrantNotFound):
        ask(session, w, granted(session, w), grant_id="0" * 32)


@pytest.mark.parametrize("step", [suspend, revoke])
def test_a_suspended_or_revoked_grant_is_not_active(session, step) -> None:
    w = world(session)
    grant = granted(session, w)
    step(session, grant_id=grant.id, actor=w.reviewer, reason="违规使用", topic=GRANT_TOPIC)
    with pytest.raises(GrantNotActive) as caught:
        ask(session, w, grant)
    assert caught.value.status == 409


def test_a_closed_grant_is_not_active(session) -> None:
    w = world(session)
    grant = granted(session, w)
    close(
        session, grant_id=grant.id, actor=w.requester_system, reason="目的已达成", topic=GRANT_TOPIC
    )
    with pytest.raises(GrantNotActive):
        ask(session, w, grant)


def test_a_grant_past_its_period_is_not_active(session) -> None:
    w = world(session)
    grant = granted(session, w, valid_until=date(2025, 11, 30))
    ask(session, w, grant, at=at(date(2025, 11, 30), 23))
    with pytest.raises(GrantNotActive) as caught:
        ask(session, w, grant, at=at(date(2025, 12, 1), 0))
    assert caught.value.extra["status"] == "EXPIRED"


def test_another_department_does_not_hold_the_grant(session) -> None:
    w = world(session)
    grant = granted(session, w)
    with pytest.raises(GrantNotHeld) as caught:
        ask(session, w, grant, system_id=w.stranger.id, department_code=w.other)
    assert caught.value.status == 403


def test_a_system_not_named_in_the_grant_does_not_hold_it(session) -> None:
    w = world(session)
    grant = granted(session, w)
    with pytest.raises(GrantNotHeld):
        ask(session, w, grant, system_id=w.asking_too.id)


def test_items_outside_the_grant_are_refused_by_name(session) -> None:
    w = world(session)
    grant = granted(session, w, items=("name",))
    with pytest.raises(ItemsNotGranted) as caught:
        ask(session, w, grant, items=["name", "sex", "address"])
    assert caught.value.status == 403
    assert caught.value.extra["items"] == ["sex", "address"]


def test_another_purpose_is_refused(session) -> None:
    w = world(session)
    grant = granted(session, w)
    with pytest.raises(PurposeMismatch):
        ask(session, w, grant, purpose="retirement")


def test_the_daily_cap_refuses_the_next_use_until_midnight_beijing_time(session) -> None:
    w = world(session)
    grant = granted(session, w)  # frequency_per_day = 3
    for _ in range(3):
        ask(session, w, grant)
    with pytest.raises(GrantFrequencyExceeded) as caught:
        ask(session, w, grant)
    assert caught.value.status == 429
    assert caught.value.retry_after == int(timedelta(hours=13).total_seconds())
    assert session.get(GrantUsage, (grant.id, DAY)).count == 3
    ask(session, w, grant, at=at(DAY + timedelta(days=1), 0))


def test_a_refused_request_does_not_count_against_the_cap(session) -> None:
    w = world(session)
    grant = granted(session, w)
    with pytest.raises(PurposeMismatch):
        ask(session, w, grant, purpose="retirement")
    assert session.get(GrantUsage, (grant.id, DAY)) is None


def _count(session, grant: Grant) -> int | None:
    session.expire_all()
    usage = session.get(GrantUsage, (grant.id, DAY))
    return None if usage is None else usage.count


def test_a_batch_holds_the_days_row_and_counts_only_the_uses_it_is_told_to(session) -> None:
    w = world(session)
    grant = granted(session, w)  # frequency_per_day = 3
    batch = GrantBatch(at(DAY, 11))
    batch.hold(session, [grant.id])
    assert _count(session, grant) == 0  # the day's row, made at zero to be locked
    for _ in range(3):  # room for each: nothing is counted by the decisions themselves
        ask(session, w, grant, batch=batch)
    assert _count(session, grant) == 0
    batch.count(grant.id)
    batch.count(grant.id)
    batch.write(session)
    assert _count(session, grant) == 2
    ask(session, w, grant)  # the third use, alone
    with pytest.raises(GrantFrequencyExceeded):
        ask(session, w, grant)


def test_a_batch_refuses_past_the_cap_counting_its_own_uses(session) -> None:
    w = world(session)
    grant = granted(session, w)  # frequency_per_day = 3
    ask(session, w, grant)  # one use before the batch
    batch = GrantBatch(at(DAY, 11))
    batch.hold(session, [grant.id])
    for _ in range(2):
        ask(session, w, grant, batch=batch)
        batch.count(grant.id)
    with pytest.raises(GrantFrequencyExceeded) as caught:
        ask(session, w, grant, batch=batch)
    assert caught.value.retry_after == int(timedelta(hours=13).total_seconds())
    batch.write(session)
    assert _count(session, grant) == 3


def test_the_checks_run_in_the_contracts_order(session) -> None:
    w = world(session)
    grant = granted(session, w)
    suspend(session, grant_id=grant.id, actor=w.reviewer, reason="核查", topic=GRANT_TOPIC)
    with pytest.raises(GrantNotActive):  # before holder, items and purpose
        ask(session, w, grant, system_id=w.stranger.id, items=["x"], purpose="y")


def test_the_authority_suspends_and_resumes_a_grant_with_leaves_and_events(session) -> None:
    w = world(session)
    grant = granted(session, w)
    suspend(session, grant_id=grant.id, actor=w.reviewer, reason="超范围使用", topic=GRANT_TOPIC)
    resume(session, grant_id=grant.id, actor=w.reviewer, reason="整改完成", topic=GRANT_TOPIC)
    assert grant.status == "ACTIVE"
    assert ask(session, w, grant).grant_id == grant.id
    [leaf] = leaves(session, "grant:suspend", grant=grant.id)
    assert leaf.reason == "超范围使用"
    kinds = [m.type for m in outbox(session, GRANT_TOPIC, key=grant.id)]
    assert kinds == ["grant:suspend", "grant:resume"]


def test_a_revoked_grant_cannot_be_resumed(session) -> None:
    w = world(session)
    grant = granted(session, w)
    revoke(session, grant_id=grant.id, actor=w.reviewer, reason="撤销", topic=GRANT_TOPIC)
    with pytest.raises(GrantStateConflict):
        resume(session, grant_id=grant.id, actor=w.reviewer, reason="恢复", topic=GRANT_TOPIC)


def test_a_lifecycle_step_needs_a_reason(session) -> None:
    w = world(session)
    grant = granted(session, w)
    with pytest.raises(GrantInvalid):
        suspend(session, grant_id=grant.id, actor=w.reviewer, reason=" ", topic=GRANT_TOPIC)


def test_the_provider_cannot_suspend_a_grant_on_its_own(session) -> None:
    w = world(session)
    grant = granted(session, w)
    with pytest.raises(NotYourGrant):
        suspend(session, grant_id=grant.id, actor=w.provider_system, reason="停", topic=GRANT_TOPIC)
    assert grant.status == "ACTIVE"


def test_only_the_holder_closes_its_grant(session) -> None:
    w = world(session)
    grant = granted(session, w)
    with pytest.raises(NotYourGrant):
        close(session, grant_id=grant.id, actor=w.provider_system, reason="x", topic=GRANT_TOPIC)
    close(
        session, grant_id=grant.id, actor=w.requester_system, reason="期限届满", topic=GRANT_TOPIC
    )
    assert grant.status == "CLOSED"
    assert leaves(session, "grant:close", grant=grant.id)[0].actor["id"] == w.asking.id


def test_a_providers_suspension_request_takes_effect_when_the_authority_approves(session) -> None:
    w = world(session)
    grant = granted(session, w)
    change = request_change(
        session,
        grant_id=grant.id,
        actor=w.provider_system,
        kind="suspend",
        reason="源系统升级停机",
        topic=GRANT_TOPIC,
    )
    assert grant.status == "ACTIVE"
    assert ask(session, w, grant).grant_id == grant.id
    decide_change(
        session,
        change_id=change.id,
        actor=w.reviewer,
        approve=True,
        reason="同意",
        topic=GRANT_TOPIC,
    )
    assert (change.status, grant.status) == ("APPROVED", "SUSPENDED")
    [leaf] = leaves(session, "grant:suspend", grant=grant.id)
    assert leaf.refs["change"] == change.id
    assert leaves(session, "grant:change-request", change=change.id)[0].outcome == "filed"


def test_a_rejected_change_request_leaves_the_grant_as_it_was(session) -> None:
    w = world(session)
    grant = granted(session, w)
    change = request_change(
        session,
        grant_id=grant.id,
        actor=w.provider_system,
        kind="revoke",
        reason="不想给了",
        topic=GRANT_TOPIC,
    )
    decide_change(
        session,
        change_id=change.id,
        actor=w.reviewer,
        approve=False,
        reason="无依据",
        topic=GRANT_TOPIC,
    )
    assert (change.status, grant.status) == ("REJECTED", "ACTIVE")
    outcomes = [x.outcome for x in leaves(session, "grant:change-request", change=change.id)]
    assert outcomes == ["filed", "rejected"]


def test_an_approved_change_narrows_the_items_and_the_cap(session) -> None:
    w = world(session)
    grant = granted(session, w)
    change = request_change(
        session,
        grant_id=grant.id,
        actor=w.provider_system,
        kind="change",
        reason="性别字段停止提供",
        changes={"items": ["name", "region"], "frequency_per_day": 1},
        topic=GRANT_TOPIC,
    )
    decide_change(
        session,
        change_id=change.id,
        actor=w.reviewer,
        approve=True,
        reason="同意",
        topic=GRANT_TOPIC,
    )
    assert (grant.items, grant.frequency_per_day) == (["name", "region"], 1)
    with pytest.raises(ItemsNotGranted):
        ask(session, w, grant, items=["sex"])


def test_a_change_may_not_widen_the_grant(session) -> None:
    w = world(session)
    grant = granted(session, w, items=("name",))
    with pytest.raises(GrantInvalid) as caught:
        request_change(
            session,
            grant_id=grant.id,
            actor=w.provider_system,
            kind="change",
            reason="加项",
            changes={"items": ["name", "address"]},
            topic=GRANT_TOPIC,
        )
    assert caught.value.extra["items"] == ["address"]


def test_only_the_provider_files_and_only_the_authority_decides_change_requests(session) -> None:
    w = world(session)
    grant = granted(session, w)
    with pytest.raises(NotYourGrant):
        request_change(
            session,
            grant_id=grant.id,
            actor=w.requester_system,
            kind="suspend",
            reason="x",
            topic=GRANT_TOPIC,
        )
    change = request_change(
        session,
        grant_id=grant.id,
        actor=w.provider_system,
        kind="suspend",
        reason="停机",
        topic=GRANT_TOPIC,
    )
    with pytest.raises(NotYourGrant):
        decide_change(
            session,
            change_id=change.id,
            actor=w.other_reviewer,
            approve=True,
            reason="x",
            topic=GRANT_TOPIC,
        )


def test_grants_in_force_are_counted_for_the_resources_retirement(session) -> None:
    w = world(session)
    active = granted(session, w)
    suspended = granted(session, w)
    revoked = granted(session, w)
    expired = granted(session, w, valid_until=date(2025, 11, 30))
    suspend(session, grant_id=suspended.id, actor=w.reviewer, reason="暂停", topic=GRANT_TOPIC)
    revoke(session, grant_id=revoked.id, actor=w.reviewer, reason="撤销", topic=GRANT_TOPIC)
    now = at(date(2025, 12, 5))
    assert active_grant_count(session, w.resource.code, at=now) == 2
    assert active_grant_count(session, w.resource.code, at=at(date(2025, 11, 20))) == 3
    assert active_grant_count(session, "999999/000001", at=now) == 0
    assert {active.id, expired.id}
