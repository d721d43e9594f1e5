"""Who a subject is: resident ID numbers (GB 11643), USCCs (GB 32100), subject references and
ages, computed here because consent depends on nothing but audit and kit.

Subject id convention (身份约定): the identity provider's token carries ``sub`` = the
holder's 18-character 公民身份号码 (a person) or 统一社会信用代码 (a company's own account).
A citizen principal maps to ``subject_ref("person", sub)`` when ``sub`` is a valid resident
ID number and to ``subject_ref("company", sub)`` when it is a valid USCC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

from audit import subject_ref
from consent.errors import InvalidSubject, NotTheSubject
from kit.actors import CITIZEN, Principal

PERSON, COMPANY = "person", "company"
KINDS = (PERSON, COMPANY)
ADULT_AGE = 18
CHINA = timezone(timedelta(hours=8), "CST")  # 北京时间; dates of birth and periods use it

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def birth_date(resident_id: str) -> date | None:
    """The birth date of a valid resident ID number (公民身份号码), else ``None``."""
    value = resident_id.strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        return None
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        return None
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def is_uscc(code: str) -> bool:
    """True for a 统一社会信用代码 whose MOD 31 check character is right."""
    value = code.strip().upper()
    if len(value) != 18 or any(c not in USCC_CHARS for c in value):
        return False
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(value[:17], _USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31] == value[17]


def adulthood(resident_id: str) -> datetime | None:
    """When the holder turns 18 (00:00 Beijing time on the birthday; 29 Feb → 1 Mar)."""
    born = birth_date(resident_id)
    if born is None:
        return None
    year = born.year + ADULT_AGE
    try:
        day = born.replace(year=year)
    except ValueError:
        day = date(year, 3, 1)
    return datetime.combine(day, time(), CHINA).astimezone(UTC)


def is_minor(resident_id: str, at: datetime) -> bool:
    """True if the holder of a valid resident ID is born and not yet 18 at ``at``."""
    born, adult = birth_date(resident_id), adulthood(resident_id)
    if born is None or adult is None:
        return False
    return born <= at.astimezone(CHINA).date() and at < adult


def parse_subject(ref: str) -> tuple[str, str]:
    """Split and check ``person:<resident id>`` / ``company:<USCC>``; return (kind, id)."""
    kind, sep, ident = ref.strip().partition(":")
    ident = ident.strip().upper()
    if not sep or kind not in KINDS:
        raise InvalidSubject(
            f"a subject is 'person:<resident id>' or 'company:<USCC>', not {_masked(ref)!r}"
        )
    if kind == PERSON and birth_date(ident) is None:
        raise InvalidSubject(f"{_masked(ref)} is not a valid resident ID number (GB 11643)")
    if kind == COMPANY and not is_uscc(ident):
        raise InvalidSubject(f"{_masked(ref)} is not a valid 统一社会信用代码 (GB 32100)")
    return kind, ident


def normal_subject(ref: str) -> str:
    """The one spelling of a checked subject reference (see ``audit.subject_ref``)."""
    kind, ident = parse_subject(ref)
    return subject_ref(kind, ident)


def citizen_subject(who: Principal) -> str:
    """The subject a citizen principal is: person for a resident ID, company for a USCC."""
    if who.kind != CITIZEN:
        raise NotTheSubject("only a citizen (the data subject) acts here")
    ident = who.id.strip().upper()
    if birth_date(ident) is not None:
        return subject_ref(PERSON, ident)
    if is_uscc(ident):
        return subject_ref(COMPANY, ident)
    raise NotTheSubject("the identity token's subject is neither a resident ID nor a USCC")


def _masked(ref: str) -> str:
    """A subject reference with the middle of its number hidden, for messages."""
    kind, sep, ident = ref.partition(":")
    body = ident if len(ident) < 8 else f"{ident[:4]}…{ident[-2:]}"
    return f"{kind}{sep}{body}"
