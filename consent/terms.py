"""Checking the terms of a request or a statutory basis before a record is written."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from consent.errors import InvalidConsent
from consent.identity import is_uscc, normal_subject
from consent.values import Terms

PERIODS = ("day", "week", "month", "validity")
MAX_RETENTION_DAYS = 36_500
_ITEM = re.compile(r"[^#\s]{1,80}#[^#\s]{1,80}")
_PURPOSE = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
_SHORT = re.compile(r"[A-Za-z0-9-]{2,16}")


@dataclass(frozen=True)
class Checked:
    """Terms that passed every rule, normalised (sorted items, hashed notice)."""

    subject: str
    items: list[str]
    sensitive: list[str]
    valid_from: datetime
    notice_sha256: str | None


def item_names(values: Iterable[str], *, field: str = "items") -> list[str]:
    """Sorted, de-duplicated ``<code>#<key>`` names; 422 naming the first bad one."""
    names = sorted({v.strip() for v in values})
    for name in names:
        if not _ITEM.fullmatch(name):
            raise InvalidConsent(f"{field}: {name!r} is not an item name '<resource code>#<key>'")
    return names


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_recipient(code: str) -> str:
    value = code.strip().upper()
    if not is_uscc(value):
        raise InvalidConsent(f"recipient {code!r} is not a department code (统一社会信用代码)")
    return value


def check_terms(terms: Terms, *, at: datetime, needs_notice: bool) -> Checked:
    """Every rule a record's terms must meet, with a 422 naming the field that breaks it."""
    subject = normal_subject(terms.subject)
    if not _PURPOSE.fullmatch(terms.purpose):
        raise InvalidConsent("purpose must be a scenario code or slug (a-z, 0-9, '-')")
    if not terms.purpose_text.strip():
        raise InvalidConsent("purpose_text must say what the data is used for")
    items = item_names(terms.items)
    if not items:
        raise InvalidConsent("items must name at least one item")
    sensitive = item_names(terms.sensitive_items, field="sensitive_items")
    if outside := sorted(set(sensitive) - set(items)):
        raise InvalidConsent(f"sensitive_items not among items: {', '.join(outside)}")
    valid_from = terms.valid_from or at
    _check_window(valid_from, terms.valid_until, at)
    _check_limits(terms)
    return Checked(
        subject=subject,
        items=items,
        sensitive=sensitive,
        valid_from=valid_from,
        notice_sha256=_notice(terms, needs_notice),
    )


def _check_window(valid_from: datetime, valid_until: datetime, at: datetime) -> None:
    if valid_from.utcoffset() is None or valid_until.utcoffset() is None:
        raise InvalidConsent("valid_from and valid_until need a time zone")
    if valid_until <= valid_from or valid_until <= at:
        raise InvalidConsent("valid_until must be after valid_from and in the future")


def _check_limits(terms: Terms) -> None:
    if not 0 <= terms.retention_days <= MAX_RETENTION_DAYS:
        raise InvalidConsent(f"retention_days must be 0..{MAX_RETENTION_DAYS}")
    if terms.max_uses is not None and terms.max_uses < 1:
        raise InvalidConsent("max_uses must be at least 1 (or absent for no cap)")
    if terms.use_period not in PERIODS:
        raise InvalidConsent(f"use_period must be one of {', '.join(PERIODS)}")
    if not _SHORT.fullmatch(terms.language) or not _SHORT.fullmatch(terms.jurisdiction):
        raise InvalidConsent("language and jurisdiction are short codes (zh-CN, CN-33)")


def _notice(terms: Terms, needed: bool) -> str | None:
    if terms.notice_text is None or not terms.notice_text.strip():
        if needed:
            raise InvalidConsent("a consent request needs notice_id and the notice_text shown")
        return None
    if not terms.notice_id or not terms.notice_id.strip():
        raise InvalidConsent("notice_id must name the notice whose text is given")
    return sha256_text(terms.notice_text)
