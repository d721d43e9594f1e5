"""Plain values the consent services take and return."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, kw_only=True)
class Terms:
    """What a consent (or a statutory basis) covers. Fixed once the record exists: a new
    purpose, recipient or item set is a new request."""

    subject: str  # person:<resident id> | company:<USCC>
    purpose: str  # scenario code (newborn-birth ...) or a short slug
    purpose_text: str
    items: Sequence[str]  # "<resource code>#<item key>"
    valid_until: datetime
    retention_days: int
    valid_from: datetime | None = None  # None = now
    sensitive_items: Sequence[str] = ()  # each needs its own, separate approval
    onward_transfer: bool = False  # may the recipient provide the data to another handler
    max_uses: int | None = None
    use_period: str = "day"  # day | week | month | validity
    notice_id: str | None = None
    notice_text: str | None = None
    language: str = "zh-CN"
    jurisdiction: str = "CN"
    legal_reference: str | None = None  # statutory-duty bases only


@dataclass(frozen=True)
class ConsentDecision:
    """What ``check`` answers. ``consent_leaf_index`` is the leaf of the GIVE (or RESUME, or
    statutory record) event relied on, so an auditor can prove the basis was live."""

    allowed: bool
    basis: str  # "consent" | "statutory-duty" | "none"
    consent_id: str | None
    consent_leaf_index: int | None
    legal_reference: str | None
    reason: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Use:
    """One exchange about a subject, as the subject sees it (``GET /v1/me/usage``)."""

    leaf_index: int
    time: datetime
    action: str  # exchange:request | exchange:fulfil
    outcome: str
    exchange: str | None
    requester: str | None  # department code
    system: str | None
    provider: str | None
    resource: str | None
    version: str | None
    items: tuple[str, ...]
    purpose: str | None
    basis: str | None
    consent: str | None
    consent_leaf: str | None
