"""Receipts verify offline with the hub's public key and fail when one byte changes; the
record exports in the 27560 shape."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from consent import (
    IllegalTransition,
    ReceiptInvalid,
    export_record,
    issue_receipt,
    verify_receipt,
    withdraw,
)
from kit.crypto import generate_key, jws_header, jws_sign, public_jwk
from tests.consent import factories as f
from tongban.wiring import Hub


def signed(session: Session, hub: Hub, consent_id: str) -> str:
    return issue_receipt(
        session, consent_id=consent_id, key=hub.hub_key.private, kid=hub.hub_key.kid
    )


def test_a_receipt_verifies_offline_with_the_hubs_public_key(session: Session, hub: Hub) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    payload = verify_receipt(signed(session, hub, consent.id), hub.hub_key.public)
    assert payload["typ"] == "tongban-consent-receipt/1"
    assert payload["event"] == "consent:give"
    assert payload["leaf_index"] == payload["give_leaf_index"] == consent.active_leaf_index
    assert payload["record"] == export_record(consent)


@pytest.mark.parametrize("part", [0, 1, 2])
def test_changing_one_byte_of_any_part_fails_verification(
    session: Session, hub: Hub, part: int
) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    pieces = signed(session, hub, consent.id).split(".")
    middle = len(pieces[part]) // 2
    char = pieces[part][middle]
    pieces[part] = (
        pieces[part][:middle] + ("A" if char != "A" else "B") + pieces[part][middle + 1 :]
    )
    with pytest.raises(ReceiptInvalid):
        verify_receipt(".".join(pieces), hub.hub_key.public)


def test_a_receipt_does_not_verify_with_another_key(session: Session, hub: Hub) -> None:
    consent = f.given(session, f.person(f.adult_id()))
    with pytest.raises(ReceiptInvalid):
        verify_receipt(signed(session, hub, consent.id), generate_key().public_key())


def test_another_hub_signed_token_is_not_a_receipt(hub: Hub) -> None:

    token = jws_sign({"typ": "something-else"}, hub.hub_key.private, kid=hub.hub_key.kid)
    with pytest.raises(ReceiptInvalid, match="not a Tongban consent receipt"):
        verify_receipt(token, hub.hub_key.public)


def test_the_same_state_gives_the_same_receipt_and_a_withdrawal_a_new_one(
    session: Session, hub: Hub
) -> None:
    ident = f.adult_id()
    consent = f.given(session, f.person(ident))
    first = signed(session, hub, consent.id)
    assert signed(session, hub, consent.id) == first
    withdraw(session, consent_id=consent.id, actor=f.citizen(ident))
    payload = verify_receipt(signed(session, hub, consent.id), hub.hub_key.public)
    assert payload["event"] == "consent:withdraw"
    assert payload["record"]["state"] == "WITHDRAWN"


def test_a_request_still_awaiting_the_subject_has_no_receipt(session: Session, hub: Hub) -> None:
    consent = f.requested(session, f.person(f.adult_id()))
    with pytest.raises(IllegalTransition):
        signed(session, hub, consent.id)


def test_the_export_carries_the_27560_elements(session: Session) -> None:
    consent = f.given(session, f.person(f.adult_id()), max_uses=3, onward_transfer=True)
    doc = export_record(consent)
    assert doc["conforms_to"] == "ISO/IEC TS 27560:2023"
    assert doc["schema_version"] == "tongban-consent/1"
    assert doc["pii_principal"]["commitment"] == consent.subject_commitment
    assert doc["pii_controllers"] == [
        {"role": "recipient", "department": consent.recipient, "system": consent.recipient_system}
    ]
    assert doc["notice"]["notice_sha256"] == consent.notice_sha256
    processing = doc["processing"]
    assert processing["purposes"] == [
        {"purpose_id": "newborn-birth", "purpose": consent.purpose_text}
    ]
    assert processing["legal_basis"] == {"type": "consent", "reference": None}
    assert processing["sensitive_items"] == [f.SENSITIVE]
    assert processing["third_party_disclosure"] == {"requested": True, "approved": False}
    assert processing["retention"] == "P30D"
    assert processing["frequency"] == {"max_uses": 3, "period": "day"}
    assert doc["consent_type"] == "explicit"
    assert doc["collection_method"] == "requested-by-recipient"
    assert [e["event_type"] for e in doc["events"]] == ["consent:request", "consent:give"]
    assert "withdraw" in doc["withdrawal_method"]


def test_a_jwk_of_the_hub_key_names_the_kid_the_receipt_carries(session: Session, hub: Hub) -> None:

    consent = f.given(session, f.person(f.adult_id()))
    header = jws_header(signed(session, hub, consent.id))
    assert header["kid"] == public_jwk(hub.hub_key.private)["kid"]
    assert header["alg"] == "EdDSA"
