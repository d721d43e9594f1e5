"""The demo catalog: eight providers and their authority, twenty published resources."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog import (
    Resource,
    authority_for,
    list_departments,
    lookup,
    published_resource,
    search_resources,
)
from kit.actors import operator
from schemas import list_schemas
from tongban.demo_catalog import seed_catalog

TOPIC = "test.catalog.events"


def test_the_seed_publishes_twenty_resources_from_eight_providers(session: Session) -> None:
    seeded = seed_catalog(session, actor=operator(), topic=TOPIC)
    assert seeded["seeded"] is True
    assert len(seeded["departments"]) == 8
    page = search_resources(session, limit=100)
    assert page.total == 20
    assert {hit.provider_code for hit in page.hits} == set(seeded["departments"].values())
    for code in seeded["departments"].values():
        assert authority_for(session, code).code == seeded["authority"]


def test_the_seed_covers_every_unified_schema(session: Session) -> None:
    seed_catalog(session, actor=operator(), topic=TOPIC)
    used = set(session.scalars(select(Resource.schema_id)))
    assert used == {info.id for info in list_schemas()}


def test_the_seed_is_idempotent(session: Session) -> None:
    first = seed_catalog(session, actor=operator(), topic=TOPIC)
    again = seed_catalog(session, actor=operator(), topic=TOPIC)
    assert again == {**first, "seeded": False}
    assert session.scalar(select(func.count()).select_from(Resource)) == 20
    assert len(list_departments(session)) == 9


def test_the_seed_shares_identity_freely_and_the_address_on_a_condition(
    session: Session,
) -> None:
    seed_catalog(session, actor=operator(), topic=TOPIC)
    identity = published_resource(session, "101001/000001")
    name, address = identity.item("name"), identity.item("address")
    assert name is not None
    assert name.share_type == "unconditional"
    assert address is not None
    assert address.conditions == ["仅用于户籍登记业务办理"]


def test_the_seed_holds_one_resource_not_shared_with_its_legal_basis(session: Session) -> None:
    seed_catalog(session, actor=operator(), topic=TOPIC)
    page = search_resources(session, share_type="不予共享")
    [hit] = page.hits
    resource = published_resource(session, hit.code)
    assert resource.open_type == "not_open"
    assert all("个人信息保护法" in item.legal_basis for item in resource.items)
    assert [h.share_type for h in lookup(session, "health.death_certificate#cause_category")] == [
        "conditional",
        "not_shared",
    ]
