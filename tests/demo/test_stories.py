"""The one-thing stories end to end over the synthetic world: the real seed (sources, systems,
grants), one real agent per department, the market regulation interface, the embedded broker,
the relay and the reply worker; the stories call the API as the departments and citizens do."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from connectors.embedded import EmbeddedBroker, free_port
from connectors.kafka import KafkaBus
from exchange import Exchange
from exchange.agent import load_config
from kit.db import new_id, transaction
from tests.conftest import Databases, make_client
from tests.demo.conftest import REFERENCE
from tests.exchange.runtime_helpers import eventually
from tongban.agent import Agent
from tongban.app import start_relay
from tongban.cli.citizen import ensure_idp
from tongban.demo.forms import Told
from tongban.demo.market_service import make_server
from tongban.demo.stories import Stories
from tongban.demo.telling import citizens_of, export_and_verify
from tongban.demo.world import demo_dir, seed_demo
from tongban.exchange_worker import READY, start_exchange_workers
from tongban.settings import Settings
from tongban.wiring import Hub, build_hub

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@dataclass
class Demo:
    settings: Settings
    hub: Hub
    world: dict[str, Any]
    client: TestClient
    stories: Stories
    lines: list[str]
    agents: dict[str, contextlib.ExitStack] = field(default_factory=dict)

    def start(self, department: str) -> None:
        system_id, entry = next(
            (k, e)
            for k, e in self.world["systems"].items()
            if e["department"] == department and e["agent_config"]
        )
        config = load_config(
            entry["agent_config"],
            system_id=system_id,
            kafka_bootstrap=self.settings.kafka_bootstrap,
            topic_prefix=self.settings.topic_prefix,
        )
        agent, stop = Agent(config), threading.Event()
        thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
        thread.start()
        stack = contextlib.ExitStack()
        stack.callback(thread.join, 30)
        stack.callback(stop.set)
        self.agents[department] = stack

    def stop(self, department: str) -> None:
        self.agents.pop(department).close()

    def pending(self) -> bool:
        with transaction(self.hub.factory) as session:
            found = session.scalars(select(Exchange.id).where(Exchange.status == "PENDING"))
            return found.first() is not None


def _settings(databases: Databases, broker: EmbeddedBroker, folder: Any) -> Settings:
    return Settings(
        data_dir=folder / "var",
        database_url=databases.copy(folder),
        kafka_bootstrap=broker.bootstrap,
        topic_prefix=f"t{new_id()[:10]}.",
        relay_poll_s=0.05,
        checkpoint_interval_s=0.2,
        exchange_budget_s=4.0,
        exchange_resend_s=30.0,
        demo_market_port=free_port(),
    )


@pytest.fixture(scope="module")
def demo(
    databases: Databases, broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    settings = _settings(databases, broker, tmp_path_factory.mktemp("stories"))
    ensure_idp(settings)
    world = seed_demo(settings, today=REFERENCE)
    market = make_server(
        demo_dir(settings) / "sources" / "market" / "scztdj.json", port=settings.demo_market_port
    )
    threading.Thread(target=market.serve_forever, daemon=True).start()
    hub = build_hub(settings, bus=KafkaBus(broker.bootstrap, client_id="test"))
    try:
        with make_client(hub, workers=[start_relay, start_exchange_workers]) as client:
            assert hub.extras[READY].wait(30), "the reply worker did not join its group"
            lines: list[str] = []
            stories = Stories("", world, citizens_of(settings), out=lines.append, http=client)
            demo = Demo(settings, hub, world, client, stories, lines)
            try:
                for entry in world["systems"].values():
                    if entry["agent_config"]:
                        demo.start(entry["department"])
                stories.tell("newborn-birth")  # the agents join their groups meanwhile
                stories.tell("open-restaurant")
                eventually(lambda: not demo.pending(), timeout=90)
                yield demo
            finally:
                for department in list(demo.agents):
                    demo.stop(department)
    finally:
        market.shutdown()
        market.server_close()
        hub.close()
        databases.drop(settings.database_url)


def fields(told: Told) -> dict[str, dict[str, Any]]:
    return {f["key"]: f for f in told.form["fields"]}


def codes(demo: Demo, *keys: str) -> set[str]:
    return {demo.world["departments"][k]["code"] for k in keys}


def test_the_newborn_form_is_filled_from_five_departments_with_signatures_that_verify(
    demo: Demo,
) -> None:
    told = demo.stories.tell("newborn-birth")
    found = fields(told)
    roles = demo.world["roles"]
    assert found["newborn_name"]["value"] == roles["newborn"]["name"]
    assert found["birth_certificate_number"]["value"] == roles["newborn"]["birth_certificate"]
    assert found["mother_id_number"]["value"] == roles["mother"]["id_number"]
    assert found["father_name"]["value"] == roles["father"]["name"]
    assert told.departments >= codes(demo, "health", "police", "civil", "medical", "hrss")
    sourced = [f for f in told.form["fields"] if f["source"]]
    assert all(f["status"] == "filled" for f in sourced), [
        (f["key"], f["status"], f["markers"]) for f in sourced if f["status"] != "filled"
    ]
    assert told.verified == len({f["provenance"]["signature"] for f in sourced})
    assert told.form["to_enter"] == ["registering_parent", "phone", "bank_card"]


def test_the_restaurant_form_is_filled_from_market_police_and_natural_resources(
    demo: Demo,
) -> None:
    told = demo.stories.tell("open-restaurant", 1)
    found = fields(told)
    roles = demo.world["roles"]
    assert found["company_uscc"]["value"] == roles["company"]["uscc"]
    assert found["company_name"]["value"] == roles["company"]["name"]
    assert found["representative_id_number"]["value"] == roles["legal_representative"]["id_number"]
    assert told.departments == codes(demo, "market", "police", "nature")
    assert told.consents == {}  # the market regulator acts on a statutory duty


def test_with_one_agent_stopped_the_form_returns_with_that_departments_fields_unavailable(
    demo: Demo,
) -> None:
    demo.stop("medical")
    demo.stories.poll_s = 0.0  # show the form as the pre-fill returned it
    try:
        told = demo.stories.tell("newborn-birth")
    finally:
        demo.stories.poll_s = 60.0
        demo.start("medical")
    found = fields(told)
    medical = [f for f in told.form["fields"] if f["source"] and f["source"].startswith("201002/")]
    assert medical
    assert {f["status"] for f in medical} == {"pending"}
    assert all(f["exchange_url"] for f in medical)
    assert found["newborn_name"]["status"] == "filled"
    assert not told.form["complete"]
    assert told.departments >= codes(demo, "health", "police", "civil", "hrss")


def test_after_death_amounts_are_shown_only_to_the_registered_next_of_kin(demo: Demo) -> None:
    demo.lines.clear()
    told = demo.stories.tell("after-death", 2)
    found = fields(told)
    assert found["fund_balance"]["status"] == "filled"
    assert found["death_date"]["status"] == "filled"
    assert "deceased" in told.consents
    withheld = next(line for line in demo.lines if "withholds" in line)
    assert "公积金账户余额" in withheld


def test_the_log_exports_and_verifies_offline_with_the_prefills_in_it(demo: Demo) -> None:
    demo.stories.tell("retirement", 3)
    audited = export_and_verify(demo.settings, demo.stories.system("demo-hrss-retirement"))
    assert audited.report.ok
    assert audited.actions["prefill:run"] >= 4
    assert audited.actions["exchange:fulfil"] > 0
