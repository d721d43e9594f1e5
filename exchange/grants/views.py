"""The API shapes of grants and change requests (Pydantic, at the edge only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from exchange.grants.models import Grant, GrantChange


class GrantOut(BaseModel):
    id: str
    application_id: str
    status: str
    expired: bool
    requester_code: str
    systems: list[str]
    provider_code: str
    authority_code: str
    resource_code: str
    resource_version: int
    items: list[str]
    purpose: str
    scenario: str
    duty_basis: str
    lawful_basis: str
    legal_reference: str | None
    conditions: list[str]
    share_mode: str
    frequency_per_day: int
    valid_until: date
    expires_at: datetime
    status_reason: str | None
    created_at: datetime


class GrantChangeOut(BaseModel):
    id: str
    grant_id: str
    kind: str
    reason: str
    changes: dict[str, Any]
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None


def grant_out(grant: Grant, *, at: datetime) -> GrantOut:
    return GrantOut(
        id=grant.id,
        application_id=grant.application_id,
        status=grant.status,
        expired=at >= grant.expires_at,
        requester_code=grant.requester_code,
        systems=list(grant.systems),
        provider_code=grant.provider_code,
        authority_code=grant.authority_code,
        resource_code=grant.resource_code,
        resource_version=grant.resource_version,
        items=list(grant.items),
        purpose=grant.purpose,
        scenario=grant.scenario,
        duty_basis=grant.duty_basis,
        lawful_basis=grant.lawful_basis,
        legal_reference=grant.legal_reference,
        conditions=list(grant.conditions),
        share_mode=grant.share_mode,
        frequency_per_day=grant.frequency_per_day,
        valid_until=grant.valid_until,
        expires_at=grant.expires_at,
        status_reason=grant.status_reason,
        created_at=grant.created_at,
    )


def change_out(change: GrantChange) -> GrantChangeOut:
    return GrantChangeOut(
        id=change.id,
        grant_id=change.grant_id,
        kind=change.kind,
        reason=change.reason,
        changes=dict(change.changes),
        status=change.status,
        requested_by=change.requested_by,
        requested_at=change.requested_at,
        decided_by=change.decided_by,
        decided_at=change.decided_at,
        decision_reason=change.decision_reason,
    )
