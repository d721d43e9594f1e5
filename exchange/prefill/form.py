"""The pre-filled form: every field of the scenario in order, each with its value and where it
came from, or why the applicant must still enter it.

A filled field carries its provenance: the department and system that signed it, the
resource code and version, the item, the provider's compact JWS (which the requester can
verify against the department's published keys) with its key id, and the time it was
signed. Markers tell what the value is worth: ``under_objection`` when a verification
request (校核申请) is open on that item, ``unavailable`` with the reason when there is none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from exchange.prefill.scenario import Field, Scenario
from exchange.runtime import Exchange, Status
from kit.crypto import b64url_decode

FILLED = "filled"  # the value came back signed
ENTERED = "entered"  # the scenario leaves it to the applicant
PENDING = "pending"  # the exchange is still open: poll it
UNAVAILABLE = "unavailable"  # the provider could not answer, or its answer was refused
NOT_FOUND = "not_found"  # the provider holds no record (or no value) for the subject

_STATUS_OF = {
    Status.PENDING: PENDING,
    Status.NOT_FOUND: NOT_FOUND,
    Status.UNAVAILABLE: UNAVAILABLE,
    Status.FAILED: UNAVAILABLE,
    Status.DEAD: UNAVAILABLE,
}


@dataclass(frozen=True)
class Provenance:
    department: str
    system: str | None
    resource_code: str
    resource_version: int
    item: str
    exchange_id: str
    signature: str  # the provider's compact JWS over the whole answer
    kid: str | None
    signed_at: datetime | None


@dataclass(frozen=True)
class FormField:
    key: str
    name_zh: str
    name_en: str
    status: str  # filled | entered | pending | unavailable | not_found | refused | withheld ...
    value: Any = None
    source: str | None = None  # <resource code>#<item key>
    about: str | None = None  # the role of the subject
    provenance: Provenance | None = None
    exchange_id: str | None = None
    markers: dict[str, Any] = field(default_factory=dict)

    @property
    def to_enter(self) -> bool:
        return self.status != FILLED


@dataclass(frozen=True)
class ExchangeRef:
    id: str
    resource_code: str
    role: str
    grant_id: str
    provider_code: str
    status: str


@dataclass(frozen=True)
class Form:
    id: str
    scenario: Scenario
    fields: tuple[FormField, ...]
    exchanges: tuple[ExchangeRef, ...]
    leaf_index: int | None

    @property
    def to_enter(self) -> list[str]:
        """The fields the applicant must still enter, in form order."""
        return [f.key for f in self.fields if f.to_enter]

    @property
    def complete(self) -> bool:
        """True when no exchange is still open."""
        return all(e.status != Status.PENDING for e in self.exchanges)


def _base(f: Field, status: str, **values: Any) -> FormField:
    source = f.source.named if f.source is not None else None
    about = f.source.role if f.source is not None else None
    return FormField(f.key, f.name_zh, f.name_en, status, source=source, about=about, **values)


def entered(f: Field) -> FormField:
    return _base(f, ENTERED)


def set_aside(f: Field, status: str, reason: str, error: str | None) -> FormField:
    marker: dict[str, Any] = {"reason": reason}
    if error:
        marker["error"] = error
    return _base(f, status, markers={"unavailable": marker})


def from_exchange(f: Field, ex: Exchange) -> FormField:
    """The field as the exchange answered it (or has not yet)."""
    assert f.source is not None
    item = f.source.item
    markers: dict[str, Any] = {}
    objection = ex.objections.get(item)
    if objection:
        markers["under_objection"] = dict(objection)
    if ex.state is not Status.FULFILLED or ex.jws is None:
        reason = ex.reason or _default_reason(ex.state)
        markers["unavailable"] = {"reason": reason, "exchange_status": ex.status}
        return _base(f, _STATUS_OF.get(ex.state, UNAVAILABLE), exchange_id=ex.id, markers=markers)
    data = _signed_data(ex.jws)
    if item not in data:
        markers["unavailable"] = {"reason": "the provider's record holds no value for it"}
        return _base(f, NOT_FOUND, exchange_id=ex.id, markers=markers)
    provenance = Provenance(
        department=ex.provider_code,
        system=ex.provider_system,
        resource_code=ex.resource_code,
        resource_version=ex.resource_version,
        item=item,
        exchange_id=ex.id,
        signature=ex.jws,
        kid=ex.kid,
        signed_at=ex.issued_at,
    )
    return _base(
        f, FILLED, value=data[item], provenance=provenance, exchange_id=ex.id, markers=markers
    )


def _signed_data(jws: str) -> dict[str, Any]:
    """The data of a JWS the hub verified when it recorded the reply."""
    claims = json.loads(b64url_decode(jws.split(".")[1]))
    data = claims.get("data") if isinstance(claims, dict) else None
    return data if isinstance(data, dict) else {}


def _default_reason(state: Status) -> str:
    if state is Status.PENDING:
        return "no answer yet within the pre-fill's time budget; poll the exchange"
    if state is Status.NOT_FOUND:
        return "the provider holds no record of this subject"
    return "the provider could not answer"
