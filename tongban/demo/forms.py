"""The pre-filled form as the stories handle it: each field as a line of the trace, the
provider signatures checked against the departments' published keys, and exchanges still
open after the pre-fill's budget polled until they answer."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tongban.client import HubClient


@dataclass
class Told:
    """What a story showed: the form, and the departments whose signatures verified."""

    scenario: str
    form: dict[str, Any]
    departments: set[str] = field(default_factory=set)
    verified: int = 0
    consents: dict[str, str] = field(default_factory=dict)


def poll_pending(client: HubClient, told: Told, poll_s: float) -> list[dict[str, Any]]:
    """Exchanges still open when the pre-fill's budget ran out are polled (GET
    /v1/exchanges/{id}) for up to ``poll_s``; their answers are merged into the form. Returns
    the fields that changed."""
    open_ids = {e["id"] for e in told.form["exchanges"] if e["status"] == "PENDING"}
    deadline = time.monotonic() + poll_s
    answers: dict[str, dict[str, Any]] = {}
    while open_ids and time.monotonic() < deadline:
        for exchange_id in sorted(open_ids):
            found = client.get(f"/v1/exchanges/{exchange_id}")
            if found["status"] != "PENDING":
                answers[exchange_id] = found
                open_ids.discard(exchange_id)
        if open_ids:
            time.sleep(0.25)
    changed = []
    for f in told.form["fields"]:
        answer = answers.get(f.get("exchange_id") or "")
        if answer is not None:
            merge_answer(f, answer)
            changed.append(f)
    if answers:
        told.form["to_enter"] = [f["key"] for f in told.form["fields"] if f["status"] != "filled"]
        told.form["complete"] = not open_ids
    return changed


def labels(form: dict[str, Any]) -> list[str]:
    """The names of the fields the applicant must still enter."""
    fields = {f["key"]: f for f in form["fields"]}
    return [fields[k]["name"]["zh"] for k in form["to_enter"]]


def field_line(f: dict[str, Any], name: Callable[[str], str]) -> str:
    """One field of the form for the trace: its value and where it came from, or why not."""
    label = f"   {f['name']['zh']:<14}"
    if f["status"] == "filled":
        p = f["provenance"]
        value = f["value"]
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        marker = " ⚠ under objection" if "under_objection" in f["markers"] else ""
        return (
            f"{label} {shown}{marker}\n"
            f"{'':<18}← {name(p['department'])} {p['resource_code']} "
            f"v{p['resource_version']} #{p['item']}, signed {str(p['signed_at'])[:19]}Z "
            f"kid {str(p['kid'])[:10]}…"
        )
    if f["status"] == "entered":
        return f"{label} (申请人填写 entered by the applicant)"
    reason = f["markers"].get("unavailable", {}).get("reason", "")
    poll = f" — poll {f['exchange_url']}" if f.get("exchange_url") else ""
    return f"{label} [{f['status']}] {reason}{poll}"


def verify_form(client: HubClient, told: Told) -> None:
    """Verify every provider signature against the department's published JWKS, and that
    each value shown is the value signed; ``ValueError`` at the first that is not."""
    checked: dict[str, dict[str, Any]] = {}
    for f in told.form["fields"]:
        p = f.get("provenance")
        if not p:
            continue
        jws = p["signature"]
        if jws not in checked:
            checked[jws] = client.verify_signed(jws, p["department"])
            told.departments.add(p["department"])
        if checked[jws]["data"].get(p["item"]) != f["value"]:
            raise ValueError(f"field {f['key']} does not hold the value its provider signed")
    told.verified = len(checked)


def merge_answer(f: dict[str, Any], answer: dict[str, Any]) -> None:
    """Fill a pending field from its exchange as ``GET /v1/exchanges/{id}`` shows it."""
    result = answer.get("result") or {}
    item = str(f["source"]).partition("#")[2]
    data = result.get("data") or {}
    if answer["status"] != "FULFILLED" or item not in data:
        f["status"] = "not_found" if answer["status"] == "NOT_FOUND" else "unavailable"
        f["markers"]["unavailable"] = {"reason": answer.get("reason") or answer["status"]}
        return
    p = result["provenance"]
    f["status"], f["value"] = "filled", data[item]
    f["markers"].pop("unavailable", None)
    f["provenance"] = {
        "department": p["department"],
        "system": p["system"],
        "resource_code": p["resource_code"],
        "resource_version": p["resource_version"],
        "item": item,
        "exchange_id": answer["id"],
        "signature": result["signed_payload"],
        "kid": p["kid"],
        "signed_at": p["issued_at"],
    }
