"""How an exchange reads from the outside (API, CLI): plain JSON-ready dicts."""

from __future__ import annotations

from typing import Any

from exchange.runtime.models import Exchange
from exchange.runtime.reading import signed_claims


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def summary(ex: Exchange) -> dict[str, Any]:
    """The exchange without its data: what the usage record lists."""
    kind, _, identifier = ex.subject.partition(":")
    return {
        "id": ex.id,
        "url": f"/v1/exchanges/{ex.id}",
        "status": ex.status,
        "mode": ex.mode,
        "grant_id": ex.grant_id,
        "subject": {"type": kind, "id": identifier},
        "items": list(ex.items),
        "purpose": ex.purpose,
        "requester": {"department": ex.requester_code, "system": ex.requester_system},
        "provider": ex.provider_code,
        "resource": {
            "code": ex.resource_code,
            "version": ex.resource_version,
            "schema_id": ex.schema_id,
            "schema_version": ex.schema_version,
        },
        "lawful_basis": {
            "basis": ex.basis,
            "consent_id": ex.consent_id,
            "consent_leaf": ex.consent_leaf,
            "legal_reference": ex.legal_reference,
        },
        "objections": dict(ex.objections),
        "attempt": ex.attempt,
        "created_at": _iso(ex.created_at),
        "completed_at": _iso(ex.completed_at),
        "reason": ex.reason,
        "leaves": {"request": ex.request_leaf, "result": ex.result_leaf},
        "callback": ex.callback_status,
    }


def provenance(ex: Exchange) -> dict[str, Any]:
    return {
        "department": ex.provider_code,
        "system": ex.provider_system,
        "resource_code": ex.resource_code,
        "resource_version": ex.resource_version,
        "kid": ex.kid,
        "issued_at": _iso(ex.issued_at),
    }


def detail(ex: Exchange, *, with_data: bool) -> dict[str, Any]:
    """The exchange with its result: the signed payload, the decoded data and provenance
    (``with_data``), or only the payload's digest and provenance (an auditor's view)."""
    view = summary(ex)
    if ex.jws is None:
        view["result"] = None
        return view
    result: dict[str, Any] = {
        "outcome": ex.outcome,
        "provenance": provenance(ex),
        "jws_sha256": ex.jws_sha256,
    }
    if with_data:
        claims = signed_claims(ex.jws)
        result["signed_payload"] = ex.jws
        result["data"] = claims.get("data", {})
        result["objections"] = claims.get("objections", {})
    view["result"] = result
    return view
