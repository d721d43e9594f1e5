"""How scenarios and forms read from the outside (API, CLI, demo): plain JSON-ready dicts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from exchange.prefill.checks import CheckedScenario, shareable_hits
from exchange.prefill.form import Form, FormField
from exchange.prefill.scenario import Field, Scenario


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def scenario_summary(scenario: Scenario) -> dict[str, Any]:
    return {
        "id": scenario.id,
        "name": {"zh": scenario.name_zh, "en": scenario.name_en},
        "service": {"zh": scenario.service_zh, "en": scenario.service_en},
        "purpose": scenario.purpose,
        "subjects": [
            {
                "role": r.key,
                "kind": r.kind,
                "name": {"zh": r.name_zh, "en": r.name_en},
                "optional": r.optional,
            }
            for r in scenario.roles
        ],
        "fields": len(scenario.fields),
        "url": f"/v1/scenarios/{scenario.id}",
    }


def _field(session: Session, checked: CheckedScenario, f: Field) -> dict[str, Any]:
    view: dict[str, Any] = {"key": f.key, "name": {"zh": f.name_zh, "en": f.name_en}}
    if f.shown_to:
        view["shown_to"] = f.shown_to
    info = checked.sources.get(f.key)
    if f.source is None or info is None:
        hits = shareable_hits(session, f.element) if f.element else []
        view.update(source=None, must_type=True, why="entered by the applicant (申请人填写)")
        if hits:
            view["obtainable_by_sharing"] = [f"{h.resource_code}#{h.item_key}" for h in hits]
            view["why"] = "entered by the applicant, although sharing could provide it"
        return view
    view["source"] = {
        "item": f.source.named,
        "about": f.source.role,
        "resource_name": info.resource_name,
        "resource_version": info.resource_version,
        "provider": info.provider_code,
        "item_name": info.item_name,
        "share_type": info.share_type,
        "conditions": list(info.conditions),
        "personal": info.personal,
        "sensitive": info.sensitive,
    }
    view["must_type"] = False
    view["why"] = f"obtainable by sharing ({info.share_type}) from {info.provider_code}"
    return view


def scenario_detail(session: Session, checked: CheckedScenario) -> dict[str, Any]:
    """The scenario with, per field, its source and whether the applicant must still type it;
    plus the grants (per resource) and the consents (per subject) it needs."""
    scenario = checked.scenario
    view = scenario_summary(scenario)
    view["notice"] = scenario.notice
    view["fields"] = [_field(session, checked, f) for f in scenario.fields]
    view["needs"] = {
        "grants": [
            {
                "resource": code,
                "provider": next(
                    i.provider_code for i in checked.sources.values() if i.resource_code == code
                ),
                "items": list(items),
                "purpose": scenario.purpose,
            }
            for code, items in scenario.grants_needed().items()
        ],
        "consents": [
            {"subject": role, "items": list(items), "purpose": scenario.purpose}
            for role, items in scenario.items_about().items()
        ],
    }
    return view


def _form_field(f: FormField) -> dict[str, Any]:
    view: dict[str, Any] = {
        "key": f.key,
        "name": {"zh": f.name_zh, "en": f.name_en},
        "status": f.status,
        "value": f.value,
        "source": f.source,
        "about": f.about,
        "exchange_id": f.exchange_id,
        "markers": f.markers,
        "provenance": None,
    }
    if f.exchange_id:
        view["exchange_url"] = f"/v1/exchanges/{f.exchange_id}"
    p = f.provenance
    if p is not None:
        view["provenance"] = {
            "department": p.department,
            "system": p.system,
            "resource_code": p.resource_code,
            "resource_version": p.resource_version,
            "item": p.item,
            "exchange_id": p.exchange_id,
            "signature": p.signature,
            "kid": p.kid,
            "signed_at": _iso(p.signed_at),
        }
    return view


def form_view(form: Form) -> dict[str, Any]:
    return {
        "id": form.id,
        "scenario": {
            "id": form.scenario.id,
            "name": {"zh": form.scenario.name_zh, "en": form.scenario.name_en},
        },
        "complete": form.complete,
        "fields": [_form_field(f) for f in form.fields],
        "to_enter": form.to_enter,
        "exchanges": [
            {
                "id": e.id,
                "url": f"/v1/exchanges/{e.id}",
                "resource_code": e.resource_code,
                "about": e.role,
                "grant_id": e.grant_id,
                "provider": e.provider_code,
                "status": e.status,
            }
            for e in form.exchanges
        ],
        "leaf_index": form.leaf_index,
    }
