"""The broker's decision on an exchange request, and what one request writes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from audit import entries
from catalog import Resource, ResourceNotPublished
from consent import Consent, ConsentFrequencyExceeded, ConsentUse, withdraw
from exchange import (
    ConsentMissing,
    Exchange,
    ExchangeStatus,
    IdempotencyKeyReused,
    Topics,
    request_exchange,
)
from exchange.grants import (
    GrantFrequencyExceeded,
    GrantNotActive,
    GrantNotHeld,
    ItemsNotGranted,
    PurposeMismatch,
    suspend,
)
from exchange.grants.models import GrantUsage
from exchange.runtime import ExchangeAsk, InvalidExchangeRequest, Requested, request_exchanges
from kit.actors import CITIZEN, ROLE_CITIZEN, Principal
from kit.db import transaction
from kit.errors import TongbanError
from tests import factories
from tests.exchange.runtime_helpers import (
    PURPOSE,
    Scene,
    exchange_rows,
    make_scene,
    outbox,
    person_id,
    system_principal,
    user_principal,
)
from tongban.wiring import Hub


def ask(hub: Hub, s: Scene, **changes: object) -> Exchange:
    values: dict[str, object] = {
        "caller": s.asking.principal,
        "grant_id": s.grant_id,
        "subject_type": "person",
        "subject_id": s.person,
        "items": ["name", "id_number"],
        "purpose": PURPOSE,
        "consent_id": s.consent_id,
        "idempotency_key": "key-1",
        "topics": Topics(hub.settings.topic_prefix),
    }
    values.update(changes)
    with transaction(hub.factory) as session:
        return request_exchange(session, **values).exchange  # type: ignore[arg-type]


@pytest.fixture
def s(hub: Hub) -> Scene:
    return make_scene(hub.factory)


def test_a_granted_consented_request_writes_the_row_its_leaf_and_the_request_message(
    hub: Hub, s: Scene
) -> None:
    ex = ask(hub, s)
    assert ex.status == ExchangeStatus.PENDING
    assert (ex.items, ex.basis, ex.consent_id) == (["id_number", "name"], "consent", s.consent_id)
    with transaction(hub.factory) as session:
        leaf = entries(session, actions=["exchange:request"], refs={"exchange": ex.id})[0]
    assert leaf.refs["grant"] == s.grant_id
    assert leaf.refs["items"] == "id_number,name"
    assert leaf.refs["consent"] == s.consent_id
    assert leaf.refs["basis"] == "consent"
    assert leaf.subject == ex.subject_commitment
    assert int(leaf.refs["consent_leaf"]) == ex.consent_leaf
    [message] = outbox(hub.factory, Topics(hub.settings.topic_prefix).requests(s.provider))
    assert message.type == "exchange:request"
    assert message.payload["exchange_id"] == ex.id
    assert message.payload["attempt"] == 1
    assert message.payload["subject"] == s.subject
    assert message.payload["reply_topic"] == Topics(hub.settings.topic_prefix).replies


def test_the_exchange_returned_is_the_sessions_object_for_the_row_as_written(
    hub: Hub, s: Scene
) -> None:
    values = {
        "caller": s.asking.principal,
        "grant_id": s.grant_id,
        "subject_type": "person",
        "subject_id": s.person,
        "items": ["name"],
        "purpose": PURPOSE,
        "consent_id": s.consent_id,
        "idempotency_key": "key-1",
        "topics": Topics(hub.settings.topic_prefix),
    }
    with transaction(hub.factory) as session:
        made = request_exchange(session, **values).exchange  # type: ignore[arg-type]
        assert session.get(Exchange, made.id) is made
        assert not session.dirty
    with transaction(hub.factory) as session:
        leaf = entries(session, actions=["exchange:request"], refs={"exchange": made.id})[0]
        row = session.get(Exchange, made.id)
        assert row is not None
        assert row is not made
        for column in Exchange.__table__.columns:
            assert getattr(row, column.key) == getattr(made, column.key), column.key
    assert made.request_leaf == leaf.index


def _nothing_written(hub: Hub, s: Scene) -> bool:
    with transaction(hub.factory) as session:
        rows = session.scalars(select(Exchange)).all()
        leaves = entries(session, actions=["exchange:request"])
    requests = outbox(hub.factory, Topics(hub.settings.topic_prefix).requests(s.provider))
    return not rows and not leaves and not requests


def test_the_same_idempotency_key_returns_the_same_exchange_and_sends_one_request(
    hub: Hub, s: Scene
) -> None:
    first, again = ask(hub, s), ask(hub, s)
    assert first.id == again.id
    assert len(outbox(hub.factory, Topics(hub.settings.topic_prefix).requests(s.provider))) == 1
    with transaction(hub.factory) as session:
        assert len(session.scalars(select(Exchange)).all()) == 1


def test_an_idempotency_key_reused_for_another_request_is_a_conflict(hub: Hub, s: Scene) -> None:
    ask(hub, s)
    with pytest.raises(IdempotencyKeyReused):
        ask(hub, s, items=["name"])


def test_a_system_that_does_not_hold_the_grant_is_refused_and_nothing_is_written(
    hub: Hub, s: Scene
) -> None:
    with transaction(hub.factory) as session:
        other = factories.system(session, s.requester)
    with pytest.raises(GrantNotHeld):
        ask(hub, s, caller=other.principal)
    assert _nothing_written(hub, s)


def test_items_outside_the_grant_are_refused_by_name(hub: Hub) -> None:
    s = make_scene(hub.factory, grant_items=("name", "sex"))
    with pytest.raises(ItemsNotGranted) as refused:
        ask(hub, s, items=["name", "address"])
    assert refused.value.extra["items"] == ["address"]


def test_another_purpose_than_the_grants_is_refused(hub: Hub, s: Scene) -> None:
    with pytest.raises(PurposeMismatch):
        ask(hub, s, purpose="retirement")


def test_a_suspended_grant_is_refused(hub: Hub, s: Scene) -> None:
    with transaction(hub.factory) as session:
        reviewer = user_principal(s.authority, "reviewer")
        suspend(session, grant_id=s.grant_id, actor=reviewer, reason="核查中", topic="t.g")
    with pytest.raises(GrantNotActive):
        ask(hub, s)


def test_a_resource_retired_since_its_grant_was_given_is_refused(hub: Hub, s: Scene) -> None:
    with transaction(hub.factory) as session:  # as the authority's approved retirement ends it
        session.execute(
            update(Resource).where(Resource.code == s.resource_code).values(status="RETIRED")
        )
    with pytest.raises(ResourceNotPublished):
        ask(hub, s)
    assert _nothing_written(hub, s)


def test_past_the_grants_daily_cap_the_request_is_refused_with_a_retry_after(hub: Hub) -> None:
    s = make_scene(hub.factory, per_day=1)
    ask(hub, s, idempotency_key="first")
    with pytest.raises(GrantFrequencyExceeded) as refused:
        ask(hub, s, idempotency_key="second")
    assert refused.value.retry_after >= 1


def test_personal_items_without_consent_are_refused_naming_the_missing_items(hub: Hub) -> None:
    s = make_scene(hub.factory, consent=False)
    with pytest.raises(ConsentMissing) as refused:
        ask(hub, s)
    assert set(refused.value.extra["missing"]) >= {f"{s.resource_code}#name"}
    assert _nothing_written(hub, s)


def test_a_withdrawn_consent_refuses_the_next_request(hub: Hub, s: Scene) -> None:
    assert s.consent_id is not None
    me = Principal(kind=CITIZEN, id=s.person, department=None, roles=frozenset({ROLE_CITIZEN}))
    with transaction(hub.factory) as session:
        withdraw(session, consent_id=s.consent_id, actor=me)
    with pytest.raises(ConsentMissing):
        ask(hub, s)


def test_a_consent_that_lacks_a_sensitive_item_refuses_it(hub: Hub) -> None:
    s = make_scene(hub.factory, consent_items=("name", "sex"))
    with pytest.raises(ConsentMissing) as refused:
        ask(hub, s)
    assert refused.value.extra["missing"] == [f"{s.resource_code}#id_number"]


def test_a_statutory_duty_grant_needs_no_consent_and_records_its_legal_reference(
    hub: Hub,
) -> None:
    s = make_scene(hub.factory, statutory=True, consent=False)
    ex = ask(hub, s, consent_id=None)
    assert ex.basis == "statutory-duty"
    assert ex.legal_reference
    assert "户口登记条例" in ex.legal_reference
    with transaction(hub.factory) as session:
        leaf = entries(session, actions=["exchange:request"], refs={"exchange": ex.id})[0]
    assert leaf.refs["basis"] == "statutory-duty"
    assert "consent" not in leaf.refs
    assert leaf.refs["legal_reference"] == ex.legal_reference


def test_items_that_are_not_personal_need_no_consent(hub: Hub) -> None:
    s = make_scene(hub.factory, consent=False)
    ex = ask(hub, s, items=["issuing_authority"], consent_id=None)
    assert (ex.basis, ex.consent_id) == ("none", None)


@pytest.mark.parametrize(
    ("kind", "identifier"),
    [("person", "110101199001011235"), ("animal", "x"), ("company", "not-a-uscc")],
)
def test_a_malformed_subject_is_refused(hub: Hub, s: Scene, kind: str, identifier: str) -> None:
    with pytest.raises(InvalidExchangeRequest):
        ask(hub, s, subject_type=kind, subject_id=identifier)


def test_an_open_objection_travels_with_the_request(hub: Hub, s: Scene) -> None:
    from exchange.applications import Deadlines
    from exchange.objections import ObjectionInput, raise_objection
    from kit.calendar import WorkCalendar

    with transaction(hub.factory) as session:
        raised = raise_objection(
            session,
            actor=system_principal(s.asking, "requester"),
            objection=ObjectionInput(
                resource_code=s.resource_code,
                item="name",
                value_seen="张伟",
                value_claimed="张玮",
                subject=s.subject,
            ),
            deadlines=Deadlines(),
            calendar=WorkCalendar(),
            topic="t.o",
            at=datetime(2025, 11, 10, 2, tzinfo=UTC),  # a day the official calendar knows
        )
    ex = ask(hub, s)
    assert ex.objections["name"]["objection_id"] == raised.id
    [message] = outbox(hub.factory, Topics(hub.settings.topic_prefix).requests(s.provider))
    assert message.payload["objections"]["name"]["objection_id"] == raised.id


def test_several_requests_in_one_transaction_each_stand_or_fall_on_their_own(hub: Hub) -> None:
    # Two uses a day: the refused request in the middle must give its use back, or the third
    # would be past the cap.
    s = make_scene(hub.factory, per_day=2)
    stranger = person_id()  # gave no consent
    topics = Topics(hub.settings.topic_prefix)

    def one(key: str, person: str) -> ExchangeAsk:
        return ExchangeAsk(s.grant_id, "person", person, ["name"], PURPOSE, key, None)

    with transaction(hub.factory) as session:
        first, refused, third = request_exchanges(
            session,
            caller=s.asking.principal,
            asks=[one("a", s.person), one("b", stranger), one("c", s.person)],
            topics=topics,
        )
    assert isinstance(first, Requested)
    assert isinstance(third, Requested)
    assert isinstance(refused, ConsentMissing)
    made = [first.exchange.id, third.exchange.id]
    with transaction(hub.factory) as session:
        rows = session.scalars(select(Exchange).order_by(Exchange.request_leaf)).all()
        leaves = entries(session, actions=["exchange:request"])
    assert [r.id for r in rows] == made
    assert sorted(leaf.refs["exchange"] for leaf in leaves) == sorted(made)
    assert {r.request_leaf for r in rows} == {leaf.index for leaf in leaves}
    sent = outbox(hub.factory, topics.requests(s.provider))
    assert [m.payload["exchange_id"] for m in sent] == made
    with transaction(hub.factory) as session:
        again = request_exchanges(
            session, caller=s.asking.principal, asks=[one("a", s.person)], topics=topics
        )
    assert isinstance(again[0], Requested)
    assert not again[0].created
    assert again[0].exchange.id == first.exchange.id


def _batch(hub: Hub, s: Scene, *asks: ExchangeAsk) -> list[Requested | TongbanError]:
    with transaction(hub.factory) as session:
        return request_exchanges(
            session,
            caller=s.asking.principal,
            asks=list(asks),
            topics=Topics(hub.settings.topic_prefix),
        )


def _one(s: Scene, key: str) -> ExchangeAsk:
    return ExchangeAsk(s.grant_id, "person", s.person, ["name"], PURPOSE, key, s.consent_id)


def test_a_batch_counts_its_own_uses_against_the_grants_cap(hub: Hub) -> None:
    s = make_scene(hub.factory, per_day=2)
    first, second, third = _batch(hub, s, _one(s, "a"), _one(s, "b"), _one(s, "c"))
    assert isinstance(first, Requested)
    assert isinstance(second, Requested)
    assert isinstance(third, GrantFrequencyExceeded)
    assert third.retry_after >= 1
    assert len(exchange_rows(hub.factory)) == 2
    with pytest.raises(GrantFrequencyExceeded):  # the batch's two uses were written
        ask(hub, s, idempotency_key="d")


def test_a_key_asked_twice_in_one_batch_is_one_exchange_and_one_use(hub: Hub) -> None:
    s = make_scene(hub.factory, per_day=2)
    first, again, other = _batch(hub, s, _one(s, "a"), _one(s, "a"), _one(s, "b"))
    assert isinstance(first, Requested)
    assert isinstance(again, Requested)
    assert isinstance(other, Requested)  # the repeat used none of the cap
    assert (first.created, again.created, other.created) == (True, False, True)
    assert again.exchange.id == first.exchange.id
    assert len(exchange_rows(hub.factory)) == 2
    assert _consent_uses(hub, s) == 2


def test_a_call_refused_for_its_consents_cap_counts_no_grant_use(hub: Hub) -> None:
    s = make_scene(hub.factory, per_day=2)
    assert s.consent_id is not None
    _cap_consent(hub, s.consent_id, 1)
    made, refused = _batch(hub, s, _one(s, "a"), _one(s, "b"))
    assert isinstance(made, Requested)
    assert isinstance(refused, ConsentFrequencyExceeded)
    assert _grant_uses(hub, s) == 1
    assert _consent_uses(hub, s) == 1


def _cap_consent(hub: Hub, consent_id: str, uses: int) -> None:
    with transaction(hub.factory) as session:
        session.execute(
            update(Consent).where(Consent.id == consent_id).values(max_uses=uses, use_period="day")
        )


def _grant_uses(hub: Hub, s: Scene) -> int:
    with transaction(hub.factory) as session:
        used = session.scalar(select(GrantUsage.count).where(GrantUsage.grant_id == s.grant_id))
        return int(used or 0)


def _consent_uses(hub: Hub, s: Scene) -> int:
    with transaction(hub.factory) as session:
        used = session.scalar(select(ConsentUse.uses).where(ConsentUse.consent_id == s.consent_id))
        return int(used or 0)
