"""Chinese search with filters and pagination, and the "obtainable by sharing?" lookup."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy.orm import Session

from catalog import (
    InvalidResource,
    ItemInput,
    create_resource,
    lookup,
    publish_resource,
    revise_resource,
    search_resources,
    submit_resource,
)
from kit.db import transaction
from schemas import ElementNotFound
from tests.catalog.factories import TOPIC, City, birth_entry, city, identity_entry, published
from tongban.wiring import Hub


@pytest.fixture
def c(session: Session) -> City:
    c = city(session)
    published(session, birth_entry(c.health), c)
    published(session, identity_entry(c.police), c)
    return c


def codes(session: Session, **query: object) -> list[str]:
    return [hit.code for hit in search_resources(session, **query).hits]  # type: ignore[arg-type]


def test_searching_for_birth_in_chinese_finds_the_birth_certificate(
    session: Session, c: City
) -> None:
    page = search_resources(session, q="出生")
    assert [h.name for h in page.hits] == ["出生医学证明信息"]
    assert page.hits[0].provider_name == "杭州市卫生健康委员会"
    assert page.total == 1


def test_search_matches_item_names_and_provider_names(session: Session, c: City) -> None:
    assert codes(session, q="母亲公民身份号码") == ["105001/000001"]
    assert codes(session, q="公安局") == ["101001/000001"]


def test_every_term_must_match(session: Session, c: City) -> None:
    assert codes(session, q="住址 公安") == ["101001/000001"]
    assert codes(session, q="住址 卫生") == []


def test_search_is_case_insensitive_on_keys_and_codes(session: Session, c: City) -> None:
    assert codes(session, q="ID_NUMBER") == ["101001/000001", "105001/000001"]


def test_filters_narrow_the_results(session: Session, c: City) -> None:
    assert codes(session, provider=c.police) == ["101001/000001"]
    assert codes(session, category="105") == ["105001/000001"]
    assert codes(session, share_type="有条件共享", grade="重要") == [
        "101001/000001",
        "105001/000001",
    ]
    assert codes(session, grade="core") == []


def test_pagination_reports_the_total(session: Session, c: City) -> None:
    page = search_resources(session, limit=1, offset=1)
    assert (page.total, len(page.hits), page.offset) == (2, 1, 1)


def test_drafts_are_found_only_when_asked_for_by_status(session: Session, c: City) -> None:
    entry = birth_entry(c.health, name="死亡医学证明信息", schema_id="health.death_certificate")
    entry = replace(entry, category="105002", items=(ItemInput(key="name"),))
    create_resource(session, entry=entry, actor=c.steward(), topic=TOPIC)
    assert codes(session, q="死亡") == []
    assert codes(session, q="死亡", status="draft") == ["105002/000001"]


def test_a_revised_entry_appears_once_with_its_current_version(session: Session, c: City) -> None:
    revise_resource(session, code="105001/000001", actor=c.steward(), topic=TOPIC)
    submit_resource(session, code="105001/000001", actor=c.steward(), topic=TOPIC)
    publish_resource(session, code="105001/000001", actor=c.reviewer(), topic=TOPIC)
    [hit] = search_resources(session, q="出生").hits
    assert hit.version == 2


def test_an_unknown_filter_value_is_refused(session: Session, c: City) -> None:
    with pytest.raises(InvalidResource) as caught:
        search_resources(session, share_type="随便")
    assert caught.value.extra["field"] == "share_type"


def test_lookup_lists_the_published_items_providing_an_element(session: Session, c: City) -> None:
    [hit] = lookup(session, "person.identity#name")
    assert (hit.resource_code, hit.item_key, hit.item_name) == ("101001/000001", "name", "姓名")
    assert (hit.share_type, hit.provider_code) == ("unconditional", c.police)
    [address] = lookup(session, "person.identity@1.0.0#address")
    assert (address.share_type, address.conditions) == ("conditional", ("仅用于户籍登记业务办理",))


def test_lookup_of_an_element_nobody_publishes_is_empty(session: Session, c: City) -> None:
    assert lookup(session, "person.identity#ethnicity") == []


def test_lookup_of_an_element_no_schema_defines_is_refused(session: Session, c: City) -> None:
    with pytest.raises(ElementNotFound):
        lookup(session, "person.identity#blood_type")


def test_a_search_sees_a_change_committed_by_another_transaction(hub: Hub) -> None:
    with transaction(hub.factory) as s:
        c = city(s)
        published(s, birth_entry(c.health), c)
    with transaction(hub.factory) as s:
        assert search_resources(s, q="住址").total == 0  # the index is built and cached here
    with transaction(hub.factory) as s:
        published(s, identity_entry(c.police), c)
    with transaction(hub.factory) as s:
        assert codes(s, q="住址") == ["101001/000001"]


def test_an_uncommitted_change_is_never_served_to_other_searches(hub: Hub) -> None:
    with transaction(hub.factory) as s:
        c = city(s)

    def publish_then_fail() -> None:
        with transaction(hub.factory) as s:
            published(s, identity_entry(c.police), c)
            assert codes(s, q="住址") == ["101001/000001"]  # seen inside its own transaction
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        publish_then_fail()
    with transaction(hub.factory) as s:
        published(s, birth_entry(c.health), c)  # the counter reaches the rolled-back value again
    with transaction(hub.factory) as s:
        assert codes(s, q="住址") == []
        assert codes(s, q="出生") == ["105001/000001"]
