"""The record as ISO/IEC TS 27560-shaped JSON, and receipts: that JSON signed by the hub
(compact JWS, EdDSA) so anyone holding the hub's public key verifies it offline.

A receipt holds the record's fields, the leaf index of its latest event and of the GIVE (or
RESUME) event relied on, so it can be matched against the audit log and its proofs. The
same record state always gives the same receipt bytes (Ed25519 is deterministic and the
payload carries no issue time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from consent.errors import ConsentNotFound, IllegalTransition, ReceiptInvalid
from consent.identity import parse_subject
from consent.models import Basis, Consent, ConsentEvent, State
from kit.actors import CITIZEN
from kit.crypto import Ed25519PrivateKey, Ed25519PublicKey, jws_header, jws_sign, jws_verify
from kit.errors import Invalid

CONFORMS_TO = "ISO/IEC TS 27560:2023"
RECEIPT_TYPE = "tongban-consent-receipt/1"
RECEIPT_HEADER_TYP = "consent-receipt+jws"


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _event(event: ConsentEvent) -> dict[str, Any]:
    return {
        "event_time": _time(event.time),
        "event_type": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "event_by": event.actor_kind,
        "actor_id": event.actor_id,
        "delegation_id": event.delegation_id,
        "reason": None if event.actor_kind == CITIZEN else event.reason,
        "leaf_index": event.leaf_index,
    }


def _collection(consent: Consent) -> str:
    if consent.lawful_basis == Basis.STATUTORY_DUTY:
        return "statutory-record"
    return "self-initiated" if consent.requested_by == CITIZEN else "requested-by-recipient"


def _processing(consent: Consent) -> dict[str, Any]:
    frequency = None
    if consent.max_uses is not None:
        frequency = {"max_uses": consent.max_uses, "period": consent.use_period}
    return {
        "purposes": [{"purpose_id": consent.purpose, "purpose": consent.purpose_text}],
        "legal_basis": {"type": consent.lawful_basis, "reference": consent.legal_reference},
        "pii_items": list(consent.items),
        "sensitive": bool(consent.sensitive_requested),
        "sensitive_items_requested": list(consent.sensitive_requested),
        "sensitive_items": list(consent.sensitive_items),
        "third_party_disclosure": {
            "requested": consent.onward_requested,
            "approved": consent.onward_transfer,
        },
        "retention": f"P{consent.retention_days}D",
        "frequency": frequency,
        "validity": {"from": _time(consent.valid_from), "until": _time(consent.valid_until)},
    }


def export_record(consent: Consent) -> dict[str, Any]:
    """The record as 27560-shaped JSON: principal, controller (recipient), notice, processing
    (purpose, legal basis, items, sensitive items, third-party disclosure, retention,
    frequency, validity), withdrawal method, state and event history with leaf indexes."""
    kind, _ = parse_subject(consent.subject)
    statutory = consent.lawful_basis == Basis.STATUTORY_DUTY
    return {
        "conforms_to": CONFORMS_TO,
        "schema_version": consent.schema_version,
        "record_id": consent.id,
        "pii_principal": {
            "id": consent.subject,
            "kind": kind,
            "commitment": consent.subject_commitment,
        },
        "pii_controllers": [
            {
                "role": "recipient",
                "department": consent.recipient,
                "system": consent.recipient_system,
            }
        ],
        "notice": {
            "notice_id": consent.notice_id,
            "notice_sha256": consent.notice_sha256,
            "language": consent.language,
        },
        "language": consent.language,
        "jurisdiction": consent.jurisdiction,
        "consent_type": "not-required-statutory-duty" if statutory else "explicit",
        "collection_method": _collection(consent),
        "processing": _processing(consent),
        "withdrawal_method": consent.withdrawal_method,
        "state": consent.state,
        "active_leaf_index": consent.active_leaf_index,
        "created_at": _time(consent.created_at),
        "events": [_event(e) for e in consent.events],
    }


def receipt_payload(consent: Consent, *, issuer: str) -> dict[str, Any]:
    """What a receipt signs: the record and the leaves of its latest and its GIVE event."""
    if consent.state == State.REQUESTED or not consent.events:
        raise IllegalTransition(
            f"consent {consent.id} is still REQUESTED: a receipt follows a decision",
            **{"consent": consent.id, "from": consent.state, "to": "receipt"},
        )
    latest = consent.events[-1]
    return {
        "typ": RECEIPT_TYPE,
        "iss": issuer,
        "record": export_record(consent),
        "event": latest.action,
        "leaf_index": latest.leaf_index,
        "give_leaf_index": consent.active_leaf_index,
    }


def issue_receipt(
    session: Session,
    *,
    consent_id: str,
    key: Ed25519PrivateKey,
    kid: str,
    issuer: str = "tongban-hub",
) -> str:
    """The signed receipt (compact JWS) of a record's current state; the hub's key signs."""
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise ConsentNotFound(f"no consent {consent_id}")
    return jws_sign(receipt_payload(consent, issuer=issuer), key, kid=kid, typ=RECEIPT_HEADER_TYP)


def verify_receipt(token: str, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """Check a receipt offline with the hub's public key; return its payload. Any changed
    byte, another key, or a token that is not a consent receipt raises ``ReceiptInvalid``."""
    try:
        header = jws_header(token.strip())
        payload = jws_verify(token.strip(), public_key)
    except (Invalid, ValueError) as exc:
        raise ReceiptInvalid(f"the receipt does not verify: {exc}") from exc
    if header.get("typ") != RECEIPT_HEADER_TYP or payload.get("typ") != RECEIPT_TYPE:
        raise ReceiptInvalid("the token verifies but is not a Tongban consent receipt")
    if not isinstance(payload.get("record"), dict):
        raise ReceiptInvalid("the receipt holds no consent record")
    return payload
