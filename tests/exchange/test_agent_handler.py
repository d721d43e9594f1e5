"""The agent's handler through its ports: signed found / not found / unavailable replies, only
the requested items, objection markers carried, corrections laid over the source, and a
redelivered request answered from the state file without a second fetch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from catalog import department_jwks
from connectors.sources import Mapping, SourceUnavailable
from exchange.agent import (
    FOUND,
    NOT_FOUND,
    REPLY,
    UNAVAILABLE,
    AgentState,
    KeyRule,
    MessageMalformed,
    ResourceBinding,
    Signer,
    SourceDown,
    handle,
)
from kit.crypto import generate_key, jws_header, jws_verify
from kit.errors import Invalid
from kit.events import Envelope
from tests.exchange.agent_helpers import (
    MAPPING_YAML,
    PLAIN_ID,
    RESOURCE,
    ROWS,
    SCHEMA,
    UNKNOWN_ID,
    X_ID,
    CountingSource,
    correction,
    provider,
    registered_key,
    request,
)
from tests.factories import SystemKeyPair


class Setup:
    def __init__(self, session: Session, tmp_path: Path) -> None:
        self.system, _ = provider(session, tmp_path)
        self.session = session
        self.source = CountingSource({row["SFZH"]: row for row in ROWS})
        self.binding = ResourceBinding(
            source=self.source,
            mapping=Mapping.from_yaml(MAPPING_YAML),
            schema_id=SCHEMA,
            version=1,
            key=KeyRule(subject="person", property="id_number"),
        )
        self.signer = Signer.of(self.system.id, self.system.department, self.system.key)
        self.state = AgentState(tmp_path / "agent.db")

    @property
    def dept(self) -> str:
        return self.system.department

    def handle(self, envelope: Envelope, binding: ResourceBinding | None = None) -> Envelope:
        reply = handle(
            envelope,
            resources={RESOURCE: binding or self.binding},
            signer=self.signer,
            state=self.state,
        )
        assert reply is not None
        return reply

    def signed(self, reply: Envelope) -> dict[str, Any]:
        kid = jws_header(reply.payload["jws"])["kid"]
        key = registered_key(department_jwks(self.session, self.dept), kid)
        return jws_verify(reply.payload["jws"], key)


@pytest.fixture
def setup(session: Session, tmp_path: Path) -> Setup:
    return Setup(session, tmp_path)


def test_a_found_record_is_signed_with_only_the_requested_items(setup: Setup) -> None:
    envelope = request(setup.dept, X_ID, items=["name", "ethnicity"])
    reply = setup.handle(envelope)
    signed = setup.signed(reply)
    assert reply.type == REPLY
    assert reply.key == envelope.payload["exchange_id"]
    assert reply.payload["outcome"] == FOUND
    assert reply.payload["provider_system"] == setup.system.id
    assert signed["outcome"] == FOUND
    assert signed["items"] == ["name", "ethnicity"]
    assert signed["data"] == {"name": "欧阳·阿依古丽", "ethnicity": "01"}
    assert signed["reason"] is None


def test_the_signed_payload_names_the_exchange_grant_resource_and_provider(setup: Setup) -> None:
    envelope = request(setup.dept, PLAIN_ID)
    signed = setup.signed(setup.handle(envelope))
    sent = envelope.payload
    assert {k: signed[k] for k in ("exchange_id", "grant_id", "subject_commitment")} == {
        k: sent[k] for k in ("exchange_id", "grant_id", "subject_commitment")
    }
    assert (signed["resource_code"], signed["resource_version"], signed["schema_id"]) == (
        RESOURCE,
        1,
        SCHEMA,
    )
    assert (signed["provider_system"], signed["provider_code"]) == (setup.system.id, setup.dept)
    assert signed["issued_at"].endswith("Z")


def test_the_signature_verifies_with_the_registered_key_and_fails_with_another(
    setup: Setup,
) -> None:
    reply = setup.handle(request(setup.dept))
    assert jws_header(reply.payload["jws"])["kid"] in {
        jwk["kid"] for jwk in department_jwks(setup.session, setup.dept)
    }
    assert setup.signed(reply)["outcome"] == FOUND
    with pytest.raises(Invalid):
        jws_verify(reply.payload["jws"], generate_key().public_key())


def test_a_subject_the_source_does_not_hold_is_a_signed_not_found(setup: Setup) -> None:
    reply = setup.handle(request(setup.dept, UNKNOWN_ID))
    signed = setup.signed(reply)
    assert reply.payload["outcome"] == NOT_FOUND
    assert (signed["outcome"], signed["data"], signed["reason"]) == (NOT_FOUND, {}, None)


@pytest.mark.parametrize(
    "failure", [SourceDown("人口库维护中"), SourceUnavailable("SQL source timed out")]
)
def test_an_unreachable_source_is_a_signed_unavailable_with_its_reason(
    setup: Setup, failure: Exception
) -> None:
    setup.source.failure = failure
    signed = setup.signed(setup.handle(request(setup.dept)))
    assert signed["outcome"] == UNAVAILABLE
    assert signed["data"] == {}
    assert signed["reason"] == str(failure)


def test_an_unavailable_reason_never_holds_the_subject_identifier(setup: Setup) -> None:
    setup.source.failure = SourceUnavailable(f"lookup of {X_ID} timed out")
    signed = setup.signed(setup.handle(request(setup.dept, X_ID)))
    assert X_ID not in signed["reason"]
    assert signed["reason"] == "lookup of <subject> timed out"


def test_objection_markers_received_are_carried_in_the_signed_payload(setup: Setup) -> None:
    markers = {"name": {"objection_id": "o1", "status": "OPEN", "raised_at": "2026-01-05T08:00Z"}}
    signed = setup.signed(setup.handle(request(setup.dept, objections=markers)))
    assert signed["objections"] == markers
    assert signed["data"]["name"] == "欧阳·阿依古丽"


def test_a_correction_is_laid_over_the_source_in_the_next_exchange(setup: Setup) -> None:
    assert (
        handle(
            correction(X_ID, "name", "欧阳·阿依古丽娜"),
            resources={RESOURCE: setup.binding},
            signer=setup.signer,
            state=setup.state,
        )
        is None
    )
    signed = setup.signed(setup.handle(request(setup.dept, X_ID)))
    other = setup.signed(setup.handle(request(setup.dept, PLAIN_ID)))
    assert signed["data"]["name"] == "欧阳·阿依古丽娜"
    assert other["data"]["name"] == "张伟"


def test_a_redelivered_request_gets_the_cached_reply_and_the_source_is_read_once(
    setup: Setup,
) -> None:
    envelope = request(setup.dept)
    first = setup.handle(envelope)
    again = setup.handle(envelope)
    retried = Envelope(
        type=envelope.type, key=envelope.key, payload={**envelope.payload, "attempt": 2}
    )
    third = setup.handle(retried)
    assert setup.source.fetches == 1
    assert again.to_bytes() == first.to_bytes()
    assert third.to_bytes() == first.to_bytes()


def test_a_new_attempt_after_an_unavailable_reply_reads_the_source_again(setup: Setup) -> None:
    envelope = request(setup.dept)
    setup.source.failure = SourceDown("维护中")
    assert setup.handle(envelope).payload["outcome"] == UNAVAILABLE
    assert setup.handle(envelope).payload["outcome"] == UNAVAILABLE
    setup.source.failure = None
    retried = Envelope(
        type=envelope.type, key=envelope.key, payload={**envelope.payload, "attempt": 2}
    )
    assert setup.handle(retried).payload["outcome"] == FOUND
    assert setup.source.fetches == 2


def test_a_requested_item_breaking_the_schema_is_unavailable_naming_the_rule(
    setup: Setup,
) -> None:
    setup.source.records[X_ID] = {**setup.source.records[X_ID], "MZ": "99"}
    signed = setup.signed(setup.handle(request(setup.dept, X_ID, items=["name", "ethnicity"])))
    assert signed["outcome"] == UNAVAILABLE
    assert signed["reason"].startswith("记录不符合标准 person.identity: /ethnicity: 民族")
    assert "99" not in signed["reason"]


def test_a_bad_value_in_an_item_not_requested_does_not_stop_the_exchange(setup: Setup) -> None:
    setup.source.records[X_ID] = {**setup.source.records[X_ID], "MZ": "99", "ZZ": ""}
    signed = setup.signed(setup.handle(request(setup.dept, X_ID, items=["name", "sex"])))
    assert signed["outcome"] == FOUND
    assert signed["data"] == {"name": "欧阳·阿依古丽", "sex": "2"}


def test_a_requested_required_item_the_record_lacks_is_unavailable(setup: Setup) -> None:
    setup.source.records[X_ID] = {**setup.source.records[X_ID], "ZZ": ""}
    signed = setup.signed(setup.handle(request(setup.dept, X_ID, items=["address"])))
    assert signed["outcome"] == UNAVAILABLE
    assert "/address" in signed["reason"]
    assert "缺少必填字段" in signed["reason"]


def test_a_value_the_mapping_cannot_convert_is_unavailable_naming_the_property(
    setup: Setup,
) -> None:
    setup.source.records[X_ID] = {**setup.source.records[X_ID], "CSRQ": "1949-13-45"}
    signed = setup.signed(setup.handle(request(setup.dept, X_ID)))
    assert signed["outcome"] == UNAVAILABLE
    assert "birth_date" in signed["reason"]
    assert "1949" not in signed["reason"]


def test_a_record_of_another_subject_is_not_passed_off_as_the_requested_one(
    setup: Setup,
) -> None:
    setup.source.records[X_ID] = dict(setup.source.records[PLAIN_ID])
    signed = setup.signed(setup.handle(request(setup.dept, X_ID)))
    assert signed["outcome"] == UNAVAILABLE
    assert signed["data"] == {}


def test_a_resource_this_agent_does_not_serve_is_unavailable(setup: Setup) -> None:
    signed = setup.signed(setup.handle(request(setup.dept, resource_code="101001/999999")))
    assert signed["outcome"] == UNAVAILABLE
    assert signed["reason"] == "本提供端未配置资源 101001/999999"
    assert setup.source.fetches == 0


def test_a_company_subject_for_a_person_resource_is_unavailable(setup: Setup) -> None:
    signed = setup.signed(setup.handle(request(setup.dept, subject="company:91330106MA2XXXXX0X")))
    assert signed["outcome"] == UNAVAILABLE
    assert setup.source.fetches == 0


def test_a_request_addressed_to_another_department_is_malformed(
    setup: Setup, session: Session, tmp_path: Path
) -> None:
    other: SystemKeyPair = provider(session, tmp_path)[0]
    with pytest.raises(MessageMalformed):
        setup.handle(request(other.department))


@pytest.mark.parametrize(
    "changes",
    [
        {"exchange_id": ""},
        {"items": []},
        {"attempt": "1"},
        {"subject": "110105194912310021"},
        {"objections": ["name"]},
    ],
)
def test_a_request_with_a_missing_or_wrong_field_is_malformed(
    setup: Setup, changes: dict[str, Any]
) -> None:
    with pytest.raises(MessageMalformed):
        setup.handle(request(setup.dept, **changes))
    assert setup.source.fetches == 0


def test_a_message_of_another_type_is_malformed(setup: Setup) -> None:
    with pytest.raises(MessageMalformed):
        setup.handle(Envelope(type="exchange:reply", key="k", payload={}))
