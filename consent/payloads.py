"""The consent API's request and response bodies (Pydantic lives at the edge only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from consent.models import Consent, Delegation
from consent.values import Terms, Use

SUBJECT = r"^(person|company):[0-9A-Za-z]{18}$"
ITEM_EXAMPLE = ["101001/000123#name", "101001/000123#birth_date"]


class TermsIn(BaseModel):
    """What a consent or statutory basis covers; fixed once recorded."""

    purpose: str = Field(description="scenario code (newborn-birth ...) or slug")
    purpose_text: str = Field(min_length=1, max_length=2000)
    items: list[str] = Field(min_length=1, examples=[ITEM_EXAMPLE])
    sensitive_items: list[str] = Field(
        default_factory=list, description="items that are sensitive personal information"
    )
    onward_transfer: bool = Field(
        default=False, description="may the recipient provide the data to another handler"
    )
    valid_from: datetime | None = None
    valid_until: datetime
    retention_days: int = Field(ge=0, description="how long the recipient may keep the data")
    max_uses: int | None = Field(default=None, ge=1, description="frequency cap per period")
    use_period: str = Field(default="day", description="day | week | month | validity")
    language: str = "zh-CN"
    jurisdiction: str = "CN"

    def terms(self, subject: str, **extra: Any) -> Terms:
        """The service's value, from this body's own terms fields only."""
        return Terms(subject=subject, **self.model_dump(include=set(TermsIn.model_fields)), **extra)


class NoticeIn(BaseModel):
    notice_id: str = Field(min_length=1, max_length=128)
    notice_text: str = Field(min_length=1, description="the notice text shown to the subject")


class ConsentRequestIn(TermsIn, NoticeIn):
    """A requester system asks the subject for consent for its own department."""

    subject: str = Field(pattern=SUBJECT, description="person:<resident id> | company:<USCC>")

    def to_terms(self) -> Terms:
        return self.terms(self.subject, notice_id=self.notice_id, notice_text=self.notice_text)


class SelfConsentIn(TermsIn, NoticeIn):
    """A citizen gives consent to a recipient on their own initiative (request + give).
    ``sensitive_items`` and ``onward_transfer`` are the separate, explicit approvals."""

    recipient: str = Field(min_length=18, max_length=18, description="department code")
    on_behalf_of: str | None = Field(default=None, pattern=SUBJECT)


class StatutoryBasisIn(TermsIn):
    subject: str = Field(pattern=SUBJECT)
    legal_reference: str = Field(min_length=1, max_length=500, examples=["《户口登记条例》第七条"])


class GiveIn(BaseModel):
    notice_sha256: str = Field(
        pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the notice text acknowledged"
    )
    sensitive_items: list[str] = Field(
        default_factory=list, description="sensitive items approved separately"
    )
    onward_transfer: bool = Field(
        default=False, description="separately approve providing the data to another handler"
    )


class ReasonIn(BaseModel):
    reason: str | None = Field(default=None, max_length=1000)


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class DelegationIn(BaseModel):
    kind: str = Field(description="parent | next-of-kin | legal-representative")
    delegate: str = Field(pattern=SUBJECT, description="the person who will act")
    principal: str = Field(pattern=SUBJECT, description="the child, deceased person or company")
    evidence: str = Field(min_length=1, max_length=500, examples=["出生医学证明"])
    valid_until: datetime | None = None


class EventOut(BaseModel):
    time: datetime
    action: str
    from_state: str | None
    to_state: str
    actor_kind: str
    delegation_id: str | None
    leaf_index: int


class ConsentOut(BaseModel):
    id: str
    schema_version: str
    subject: str
    recipient: str
    recipient_system: str | None
    purpose: str
    purpose_text: str
    lawful_basis: str
    legal_reference: str | None
    items: list[str]
    sensitive_requested: list[str]
    sensitive_items: list[str]
    onward_requested: bool
    onward_transfer: bool
    valid_from: datetime
    valid_until: datetime
    retention_days: int
    max_uses: int | None
    use_period: str
    notice_id: str | None
    notice_sha256: str | None
    notice_text: str | None
    language: str
    jurisdiction: str
    withdrawal_method: str
    state: str
    requested_by: str
    created_at: datetime
    active_leaf_index: int | None
    events: list[EventOut]

    @classmethod
    def of(cls, c: Consent) -> ConsentOut:
        fields = {name: getattr(c, name) for name in cls.model_fields if name != "events"}
        events = [
            EventOut(
                time=e.time,
                action=e.action,
                from_state=e.from_state,
                to_state=e.to_state,
                actor_kind=e.actor_kind,
                delegation_id=e.delegation_id,
                leaf_index=e.leaf_index,
            )
            for e in c.events
        ]
        return cls(**fields, events=events)


class DecisionOut(BaseModel):
    """A record after the subject's decision, with its signed receipt."""

    consent: ConsentOut
    receipt: str


class ReceiptOut(BaseModel):
    receipt: str = Field(description="compact JWS (EdDSA) signed by the hub")
    kid: str


class DelegationOut(BaseModel):
    id: str
    kind: str
    delegate: str
    principal: str
    evidence: str
    valid_from: datetime
    valid_until: datetime | None
    leaf_index: int

    @classmethod
    def of(cls, d: Delegation) -> DelegationOut:
        return cls(**{name: getattr(d, name) for name in cls.model_fields})


class UseOut(BaseModel):
    leaf_index: int
    time: datetime
    action: str
    outcome: str
    exchange: str | None
    requester: str | None
    system: str | None
    provider: str | None
    resource: str | None
    version: str | None
    items: list[str]
    purpose: str | None
    basis: str | None
    consent: str | None
    consent_leaf: str | None

    @classmethod
    def of(cls, u: Use) -> UseOut:
        return cls(**{name: getattr(u, name) for name in cls.model_fields})
