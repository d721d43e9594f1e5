"""Scenarios as data: the shipped files are valid against the demo catalog, and a field whose
source is not a published, shareable item is refused at load, by name."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from catalog import (
    ShareType,
    publish_resource,
    published_resource,
    retire_resource,
    revise_resource,
    submit_resource,
)
from exchange import ScenarioInvalid, ScenarioNotFound, check_scenario, parse_scenario
from exchange.prefill import builtin_scenario, load_scenario, scenario_detail, scenario_ids
from kit.actors import ROLE_STEWARD, USER, Principal, operator
from tests import factories
from tongban.demo_catalog import seed_catalog


@pytest.fixture
def catalog(session: Session) -> dict[str, Any]:
    return seed_catalog(session, actor=operator("test"), topic="t.catalog")


def scenario(*fields: dict[str, Any], **top: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "test-scenario",
        "name": {"zh": "测试一件事", "en": "A test"},
        "service": {"zh": "测试", "en": "Test"},
        "notice": "通办将提供以下信息。",
        "subjects": {
            "applicant": {"kind": "person", "zh": "申请人"},
            "deceased": {"kind": "person", "zh": "逝者"},
        },
        "fields": list(fields)
        or [
            {
                "key": "name",
                "zh": "姓名",
                "en": "Name",
                "from": "105002/000001#name",
                "about": "deceased",
            }
        ],
    }
    data.update(top)
    return data


def sourced(key: str, named: str, about: str = "deceased") -> dict[str, Any]:
    return {"key": key, "zh": "某项", "en": "Something", "from": named, "about": about}


def test_every_shipped_scenario_is_valid_against_the_demo_catalog(
    session: Session, catalog: dict[str, Any]
) -> None:
    assert scenario_ids() == ("after-death", "newborn-birth", "open-restaurant", "retirement")
    for sid in scenario_ids():
        checked = load_scenario(session, sid)
        assert set(checked.sources) == {f.key for f in checked.scenario.sourced}


def test_the_newborn_scenario_reads_five_departments(
    session: Session, catalog: dict[str, Any]
) -> None:
    checked = load_scenario(session, "newborn-birth")
    providers = {info.provider_code for info in checked.sources.values()}
    codes = catalog["departments"]
    assert providers == {codes[k] for k in ("health", "police", "civil", "medical", "hrss")}


def test_a_field_whose_source_is_not_shared_is_refused_by_name(
    session: Session, catalog: dict[str, Any]
) -> None:
    data = scenario(
        sourced("death_date", "105002/000001#death_date"),
        sourced("icd10", "302001/000001#underlying_cause_icd10"),
    )
    with pytest.raises(ScenarioInvalid) as raised:
        check_scenario(session, parse_scenario(data))
    assert raised.value.extra["field"] == "icd10"
    assert raised.value.extra["source"] == "302001/000001#underlying_cause_icd10"
    assert "不予共享" in raised.value.detail
    assert "第九十二条" in raised.value.detail  # the catalog's legal basis is quoted


def test_a_field_naming_an_item_the_resource_lacks_is_refused_by_name(
    session: Session, catalog: dict[str, Any]
) -> None:
    data = scenario(sourced("shoe_size", "105002/000001#shoe_size"))
    with pytest.raises(ScenarioInvalid) as raised:
        check_scenario(session, parse_scenario(data))
    assert raised.value.extra["field"] == "shoe_size"
    assert "names no item" in raised.value.detail


def test_a_field_naming_an_unknown_resource_is_refused_by_name(
    session: Session, catalog: dict[str, Any]
) -> None:
    data = scenario(sourced("licence", "999001/000001#number"))
    with pytest.raises(ScenarioInvalid) as raised:
        check_scenario(session, parse_scenario(data))
    assert raised.value.extra["field"] == "licence"
    assert "not a published resource" in raised.value.detail


def test_a_scenario_is_refused_when_the_catalog_is_empty(session: Session) -> None:
    with pytest.raises(ScenarioInvalid) as raised:
        load_scenario(session, "retirement")
    assert raised.value.extra["field"] == "name"


def test_a_field_about_a_subject_the_scenario_does_not_name_is_refused() -> None:
    with pytest.raises(ScenarioInvalid) as raised:
        parse_scenario(scenario(sourced("name", "101001/000001#name", about="cousin")))
    assert raised.value.extra["field"] == "name"
    assert "about must be one of the subjects" in raised.value.detail


def test_a_field_source_must_name_code_and_item() -> None:
    with pytest.raises(ScenarioInvalid) as raised:
        parse_scenario(scenario(sourced("name", "101001/000001")))
    assert "'<resource code>#<item key>'" in raised.value.detail


def test_a_scenario_without_the_applicant_is_refused() -> None:
    with pytest.raises(ScenarioInvalid, match="must include the applicant"):
        parse_scenario(scenario(subjects={"deceased": {"kind": "person", "zh": "逝者"}}))


def test_a_misspelt_key_in_a_field_is_refused() -> None:
    field = {**sourced("name", "105002/000001#name"), "form": "x"}
    with pytest.raises(ScenarioInvalid, match="unknown keys form"):
        parse_scenario(scenario(field))


def test_a_field_key_may_appear_only_once() -> None:
    twice = sourced("name", "105002/000001#name")
    with pytest.raises(ScenarioInvalid, match="appears twice"):
        parse_scenario(scenario(twice, twice))


def test_an_unknown_scenario_is_not_found() -> None:
    with pytest.raises(ScenarioNotFound):
        builtin_scenario("buy-a-boat")


def test_the_detail_says_which_fields_the_applicant_must_still_type(
    session: Session, catalog: dict[str, Any]
) -> None:
    view = scenario_detail(session, load_scenario(session, "after-death"))
    fields = {f["key"]: f for f in view["fields"]}
    assert fields["death_date"]["must_type"] is False
    assert fields["death_date"]["source"]["share_type"] == "unconditional"
    assert fields["cause_category"]["source"]["share_type"] == "conditional"
    assert fields["bank_account"]["must_type"] is True
    assert fields["fund_balance"]["shown_to"] == "next_of_kin"


def test_an_entered_field_that_sharing_could_fill_is_pointed_out(
    session: Session, catalog: dict[str, Any]
) -> None:
    phone = {"key": "phone", "zh": "联系电话", "en": "Phone", "entered": True}
    data = scenario(sourced("name", "105002/000001#name"), phone)
    data["fields"][1]["element"] = "civil.cremation#applicant_phone"
    view = scenario_detail(session, check_scenario(session, parse_scenario(data)))
    entered = view["fields"][1]
    assert entered["must_type"] is True
    # the funeral home already took the applicant's phone: no need to ask again (rule 7)
    assert entered["obtainable_by_sharing"] == ["301001/000001#applicant_phone"]


def test_the_detail_lists_the_grants_and_consents_the_scenario_needs(
    session: Session, catalog: dict[str, Any]
) -> None:
    view = scenario_detail(session, load_scenario(session, "open-restaurant"))
    grants = {g["resource"]: g for g in view["needs"]["grants"]}
    assert grants["102001/000001"]["provider"] == catalog["departments"]["market"]
    assert "business_scope" in grants["102001/000001"]["items"]
    consents = {c["subject"]: c["items"] for c in view["needs"]["consents"]}
    assert consents["legal_representative"] == [
        "101001/000001#id_number",
        "101001/000001#birth_date",
    ]


def test_get_scenarios_lists_the_four_with_their_validity(
    client: TestClient, session: Session, catalog: dict[str, Any]
) -> None:
    requester = factories.system(session, catalog["departments"]["police"])
    session.commit()
    response = client.get("/v1/scenarios", headers=requester.headers())
    assert response.status_code == 200
    found = {s["id"]: s for s in response.json()["scenarios"]}
    assert set(found) == {"newborn-birth", "open-restaurant", "after-death", "retirement"}
    assert all(s["valid"] for s in found.values())
    assert found["newborn-birth"]["name"]["zh"] == "新生儿出生一件事"


def test_get_a_scenario_gives_its_fields_in_order(
    client: TestClient, session: Session, catalog: dict[str, Any]
) -> None:
    requester = factories.system(session, catalog["departments"]["civil"])
    session.commit()
    response = client.get("/v1/scenarios/retirement", headers=requester.headers())
    assert response.status_code == 200
    keys = [f["key"] for f in response.json()["fields"]]
    assert keys[:4] == ["name", "id_number", "sex", "birth_date"]
    assert keys[-1] == "phone"


def test_get_an_unknown_scenario_is_404(
    client: TestClient, session: Session, catalog: dict[str, Any]
) -> None:
    requester = factories.system(session, catalog["departments"]["civil"])
    session.commit()
    response = client.get("/v1/scenarios/buy-a-boat", headers=requester.headers())
    assert response.status_code == 404
    assert response.json()["error"] == "ScenarioNotFound"


def test_get_a_scenario_the_catalog_cannot_serve_is_422_naming_the_field(
    client: TestClient, session: Session
) -> None:
    department = factories.department(session)
    requester = factories.system(session, department)
    session.commit()
    response = client.get("/v1/scenarios/retirement", headers=requester.headers())
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "ScenarioInvalid"
    assert body["field"] == "name"


def test_a_scenario_checked_once_is_refused_after_a_resource_it_reads_is_retired(
    session: Session, catalog: dict[str, Any]
) -> None:
    load_scenario(session, "retirement")
    retire_resource(
        session,
        code="101001/000001",
        actor=operator("test"),
        reason="由新的身份信息资源取代",
        active_grants=0,
        topic="t.catalog",
    )
    with pytest.raises(ScenarioInvalid) as raised:
        load_scenario(session, "retirement")
    assert raised.value.extra["field"] == "name"
    assert "not a published resource" in raised.value.detail


def test_a_scenario_checked_once_is_checked_again_against_a_newly_published_version(
    session: Session, catalog: dict[str, Any]
) -> None:
    assert load_scenario(session, "retirement").sources["sex"].resource_version == 1
    code = "101001/000001"
    provider = published_resource(session, code).provider_code
    steward = Principal(USER, "steward", provider, frozenset({ROLE_STEWARD}))
    draft = revise_resource(session, code=code, actor=steward, topic="t.catalog")
    item = draft.item("sex")
    assert item is not None
    item.share_type, item.legal_basis = ShareType.NOT_SHARED, "测试: 不再共享"
    submit_resource(session, code=code, actor=steward, topic="t.catalog")
    publish_resource(session, code=code, actor=operator("test"), topic="t.catalog")
    with pytest.raises(ScenarioInvalid) as raised:
        load_scenario(session, "retirement")
    assert raised.value.extra["field"] == "sex"
    assert "不予共享" in raised.value.detail
