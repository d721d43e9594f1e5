"""Plain factories for consent tests: people, principals, terms and records in any state."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from audit import subject_ref
from consent import (
    Consent,
    Terms,
    expire_due,
    give,
    pause,
    record_statutory_basis,
    refuse,
    request_consent,
    revoke,
    withdraw,
)
from kit.actors import (
    CITIZEN,
    ROLE_ADMIN,
    ROLE_CITIZEN,
    ROLE_REQUESTER,
    ROLE_REVIEWER,
    SYSTEM,
    USER,
    Principal,
)
from kit.db import utcnow
from schemas import make_resident_id, make_uscc
from tests.factories import department_code

_seq = itertools.count(1)

BIRTH = "101001/000001"  # 出生医学证明
HOUSEHOLD = "101001/000002"  # 户籍
ITEMS = (f"{BIRTH}#newborn_name", f"{BIRTH}#birth_time", f"{HOUSEHOLD}#address")
SENSITIVE = f"{BIRTH}#medical_notes"  # 敏感个人信息
NOTICE = "通办将向出生登记部门提供您和新生儿的出生医学证明信息，仅用于新生儿出生一件事办理。"


def resident_id(born: date, sex: str = "1") -> str:
    return make_resident_id("330106", born, next(_seq) % 500, sex)


def adult_id() -> str:
    return resident_id(date(1988, 4, 12))


def child_id(born: date = date(2019, 9, 3)) -> str:
    return resident_id(born, "2")


def company_id() -> str:
    return make_uscc("330106", 5_000_000 + next(_seq))


def person(ident: str) -> str:
    return subject_ref("person", ident)


def citizen(ident: str) -> Principal:
    return Principal(kind=CITIZEN, id=ident, department=None, roles=frozenset({ROLE_CITIZEN}))


def requester(dept: str | None = None) -> Principal:
    """A requester system of a department (no rows needed: consent keeps codes only)."""
    return Principal(
        kind=SYSTEM,
        id=f"counter-{next(_seq)}",
        department=dept or department_code(),
        roles=frozenset({ROLE_REQUESTER}),
    )


def reviewer() -> Principal:
    return Principal(
        kind=USER,
        id=f"rev{next(_seq)}",
        department=department_code(),
        roles=frozenset({ROLE_REVIEWER}),
    )


def admin() -> Principal:
    return Principal(
        kind=USER,
        id=f"adm{next(_seq)}",
        department=department_code(),
        roles=frozenset({ROLE_ADMIN}),
    )


def terms(subject: str, **overrides: Any) -> Terms:
    values: dict[str, Any] = {
        "subject": subject,
        "purpose": "newborn-birth",
        "purpose_text": "新生儿出生一件事：预填出生登记表",
        "items": [*ITEMS, SENSITIVE],
        "sensitive_items": [SENSITIVE],
        "valid_until": utcnow() + timedelta(days=30),
        "retention_days": 30,
        "notice_id": "notice-newborn-v1",
        "notice_text": NOTICE,
    }
    values.update(overrides)
    return Terms(**values)


def requested(
    session: Session,
    subject: str,
    who: Principal | None = None,
    *,
    at: datetime | None = None,
    **overrides: Any,
) -> Consent:
    return request_consent(
        session, actor=who or requester(), terms=terms(subject, **overrides), at=at
    )


def given(
    session: Session,
    subject: str,
    who: Principal | None = None,
    *,
    approve_sensitive: bool = True,
    at: datetime | None = None,
    **overrides: Any,
) -> Consent:
    """A request the subject (a person) gave, approving its sensitive items separately."""
    consent = requested(session, subject, who, at=at, **overrides)
    ident = subject.partition(":")[2]
    return give(
        session,
        consent_id=consent.id,
        actor=citizen(ident),
        notice_sha256=consent.notice_sha256 or "",
        sensitive_items=consent.sensitive_requested if approve_sensitive else (),
        at=at,
    )


def statutory(session: Session, subject: str, who: Principal, **overrides: Any) -> Consent:
    values = {"legal_reference": "《户口登记条例》第七条", "notice_text": None, **overrides}
    return record_statutory_basis(session, actor=who, terms=terms(subject, **values))


def in_state(session: Session, state: str, subject: str) -> Consent:
    """A record driven to ``state`` through legal steps."""
    ident = subject.partition(":")[2]
    me = citizen(ident)
    if state == "REQUESTED":
        return requested(session, subject)
    if state == "REFUSED":
        return refuse(session, consent_id=requested(session, subject).id, actor=me)
    consent = given(session, subject)
    if state == "PAUSED":
        pause(session, consent_id=consent.id, actor=me)
    elif state == "WITHDRAWN":
        withdraw(session, consent_id=consent.id, actor=me)
    elif state == "REVOKED":
        revoke(session, consent_id=consent.id, actor=reviewer(), reason="越权使用")
    elif state == "EXPIRED":
        expire_due(session, consent.valid_until + timedelta(seconds=1))
    return consent
