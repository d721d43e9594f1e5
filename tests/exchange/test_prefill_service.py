"""The pre-fill through the real broker, relay, embedded Kafka, reply worker and the real
provider agents of two departments answering from SQLite sources."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from audit import entries
from catalog import department_jwks
from connectors.embedded import EmbeddedBroker
from connectors.kafka import KafkaBus
from exchange import ExchangeStatus, Form, PrefillRequest, Topics, prefill, waiters_in
from kit.actors import ROLE_REQUESTER, Principal
from kit.crypto import jws_header, jws_verify, public_key_from_jwk
from kit.db import new_id, transaction
from tests.conftest import Databases, make_client
from tests.exchange.prefill_world import (
    BIRTH,
    FATHER,
    HOUSEHOLD,
    IDENTITY,
    MOTHER,
    STRANGER,
    World,
    build_world,
    running,
)
from tests.exchange.runtime_helpers import eventually, exchange_rows
from tongban.app import start_relay
from tongban.exchange_worker import READY, start_exchange_workers
from tongban.settings import Settings
from tongban.wiring import Hub, build_hub

pytestmark = pytest.mark.kafka


class Agents:
    """The two departments' real agents, each started and stopped at will."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.stacks: dict[str, contextlib.ExitStack] = {}

    def start(self, key: str) -> None:
        stack = contextlib.ExitStack()
        stack.enter_context(running(self.world.configs[key]))
        self.stacks[key] = stack

    def stop(self, key: str) -> None:
        self.stacks.pop(key).close()

    def close(self) -> None:
        for key in list(self.stacks):
            self.stop(key)


@pytest.fixture(scope="module")
def scene(
    databases: Databases, broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Hub, World, Agents]]:
    """One hub with its workers, the small world and both agents, for the whole module."""
    folder = tmp_path_factory.mktemp("prefill")
    url = databases.copy(folder)
    settings = Settings(
        data_dir=folder / "var",
        database_url=url,
        kafka_bootstrap=broker.bootstrap,
        topic_prefix=f"t{new_id()[:10]}.",
        relay_poll_s=0.05,
        checkpoint_interval_s=0.2,
        exchange_resend_s=30.0,
        exchange_budget_s=3.0,
    )
    hub = build_hub(settings, bus=KafkaBus(broker.bootstrap, client_id="test"))
    world = build_world(
        hub.factory, folder / "world", bootstrap=broker.bootstrap, prefix=settings.topic_prefix
    )
    agents = Agents(world)
    try:
        with make_client(hub, workers=[start_relay, start_exchange_workers]):
            assert hub.extras[READY].wait(30), "the reply worker did not join its group"
            agents.start("health")
            agents.start("police")
            run(hub, world)
            eventually(lambda: not pending(hub), timeout=60)  # the agents joined their groups
            yield hub, world, agents
            agents.close()
    finally:
        hub.close()
        databases.drop(url)


@pytest.fixture
def hub(scene: tuple[Hub, World, Agents]) -> Hub:
    return scene[0]


@pytest.fixture
def world(scene: tuple[Hub, World, Agents]) -> World:
    return scene[1]


def pending(hub: Hub) -> list[str]:
    return [e.id for e in exchange_rows(hub.factory) if e.status == ExchangeStatus.PENDING]


def office(world: World) -> Principal:
    o = world.office
    return Principal(
        kind="system", id=o.id, department=o.department, roles=frozenset({ROLE_REQUESTER})
    )


def run(hub: Hub, world: World, budget_s: float | None = None, **changes: Any) -> Form:
    values: dict[str, Any] = {
        "scenario": "newborn-birth",
        "subjects": world.subjects,
        "consents": world.consents,
    }
    values.update(changes)
    return prefill(
        hub.factory,
        caller=office(world),
        request=PrefillRequest(**values),
        topics=Topics(hub.settings.topic_prefix),
        waiters=waiters_in(hub.extras),
        budget_s=hub.settings.exchange_budget_s if budget_s is None else budget_s,
    )


def by_key(form: Form) -> dict[str, Any]:
    return {f.key: f for f in form.fields}


def test_the_newborn_form_is_filled_from_health_and_police_with_signatures_that_verify(
    hub: Hub, world: World
) -> None:
    form = run(hub, world)
    fields = by_key(form)
    assert fields["newborn_name"].value == "王小雨"
    assert fields["birth_time"].value == "2025-09-20T08:35:00+08:00"
    assert fields["birth_place_address"].value == "浙江省杭州市西湖区保俶路1号"
    assert fields["mother_id_number"].value == MOTHER
    assert fields["father_id_number"].value == FATHER
    assert fields["household_head"].value == "王强"
    filled = [f for f in form.fields if f.status == "filled"]
    assert {f.provenance.department for f in filled if f.provenance} == {
        world.codes["health"],
        world.codes["police"],
    }
    with transaction(hub.factory) as session:
        for f in filled:
            assert f.provenance is not None
            jwks = department_jwks(session, f.provenance.department)
            kid = jws_header(f.provenance.signature)["kid"]
            assert kid == f.provenance.kid
            key = public_key_from_jwk(next(k for k in jwks if k["kid"] == kid))
            claims = jws_verify(f.provenance.signature, key)
            assert claims["data"][f.provenance.item] == f.value
            assert claims["resource_code"] == f.provenance.resource_code


def test_fields_of_departments_without_a_grant_and_entered_fields_are_left_to_the_applicant(
    hub: Hub, world: World
) -> None:
    form = run(hub, world)
    fields = by_key(form)
    assert fields["marriage_certificate_number"].status == "refused"
    assert fields["marriage_certificate_number"].markers["unavailable"]["error"] == "NoGrant"
    assert fields["phone"].status == "entered"
    assert form.to_enter == [f.key for f in form.fields if f.status != "filled"]
    assert "phone" in form.to_enter
    assert "newborn_name" not in form.to_enter
    assert form.complete


def test_the_exchanges_run_one_per_resource_subject_and_grant(hub: Hub, world: World) -> None:
    form = run(hub, world)
    asked = [(e.resource_code, e.role, e.grant_id) for e in form.exchanges]
    assert len(set(asked)) == len(asked)
    assert {(code, role) for code, role, _ in asked} == {
        (BIRTH, "mother"),
        (IDENTITY, "mother"),
        (IDENTITY, "father"),
        (HOUSEHOLD, "mother"),
    }
    # the conditional items of a resource were granted apart: one exchange per grant
    assert {g for code, _, g in asked if code == BIRTH} == set(world.grants[BIRTH])
    assert {e.status for e in form.exchanges} == {ExchangeStatus.FULFILLED}


def test_a_stopped_department_leaves_its_fields_pending_and_the_exchange_completes_later(
    scene: tuple[Hub, World, Agents],
) -> None:
    hub, world, agents = scene
    agents.stop("health")
    try:
        form = run(hub, world, budget_s=1.0)
    finally:
        agents.start("health")
    fields = by_key(form)
    assert fields["mother_name"].status == "filled"
    birth = fields["newborn_name"]
    assert birth.status == "pending"
    assert birth.value is None
    assert "poll" in birth.markers["unavailable"]["reason"]
    assert not form.complete
    assert "newborn_name" in form.to_enter
    assert birth.exchange_id is not None
    eventually(lambda: birth.exchange_id not in pending(hub), timeout=60)
    [row] = [e for e in exchange_rows(hub.factory) if e.id == birth.exchange_id]
    assert row.status == ExchangeStatus.FULFILLED


def test_the_pre_fill_is_one_leaf_linking_its_exchanges(hub: Hub, world: World) -> None:
    form = run(hub, world)
    with transaction(hub.factory) as session:
        [leaf] = entries(session, actions=["prefill:run"], refs={"prefill": form.id})
    assert leaf.index == form.leaf_index
    assert leaf.refs["scenario"] == "newborn-birth"
    assert leaf.refs["system"] == world.office.id
    assert sorted(leaf.refs["exchanges"].split(",")) == sorted(e.id for e in form.exchanges)
    assert leaf.actor["id"] == world.office.id


def test_a_subject_who_gave_no_consent_has_only_his_fields_refused(hub: Hub, world: World) -> None:
    form = run(hub, world, subjects={**world.subjects, "father": STRANGER})
    fields = by_key(form)
    assert fields["mother_name"].status == "filled"
    father = fields["father_name"]
    assert father.status == "refused"
    assert father.markers["unavailable"]["error"] == "ConsentMissing"


def test_a_retried_pre_fill_with_the_same_key_reuses_its_exchanges(hub: Hub, world: World) -> None:
    first = run(hub, world, idempotency_key="counter-2025-0001")
    again = run(hub, world, idempotency_key="counter-2025-0001")
    assert sorted(e.id for e in again.exchanges) == sorted(e.id for e in first.exchanges)
    assert first.id != again.id
    assert by_key(again)["newborn_name"].value == "王小雨"
