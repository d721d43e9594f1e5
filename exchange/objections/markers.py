"""``under_objection``: what the exchange puts beside an item whose value is being verified."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.orm import Session

from exchange.objections.models import OPEN, Objection
from kit.db import table_of

# Asked at every exchange decision, so built once and on the table (building and keying a
# statement cost about as much as running it; one of the mapped class's attributes takes the
# ORM's slower path).
_OBJECTIONS = table_of(Objection)
_OPEN_ON_ITEMS = (
    select(_OBJECTIONS.c.id, _OBJECTIONS.c.item, _OBJECTIONS.c.status, _OBJECTIONS.c.raised_at)
    .where(
        _OBJECTIONS.c.resource_code == bindparam("resource_ref"),
        _OBJECTIONS.c.subject == bindparam("subject_ref"),
        _OBJECTIONS.c.item.in_(bindparam("item_keys", expanding=True)),
        _OBJECTIONS.c.status.in_([str(s) for s in OPEN]),
    )
    .order_by(_OBJECTIONS.c.raised_at, _OBJECTIONS.c.id)
)
# Every item of several subjects' records at once (a batch of decisions).
_OPEN_ON_RECORDS = (
    select(
        _OBJECTIONS.c.resource_code,
        _OBJECTIONS.c.subject,
        _OBJECTIONS.c.id,
        _OBJECTIONS.c.item,
        _OBJECTIONS.c.status,
        _OBJECTIONS.c.raised_at,
    )
    .where(
        tuple_(_OBJECTIONS.c.resource_code, _OBJECTIONS.c.subject).in_(
            bindparam("records", expanding=True)
        ),
        _OBJECTIONS.c.status.in_([str(s) for s in OPEN]),
    )
    .order_by(_OBJECTIONS.c.raised_at, _OBJECTIONS.c.id)
)


@dataclass(frozen=True)
class ObjectionMarker:
    """An open objection on one item of one subject's record (规则 9: while verification is
    pending the value is marked, and a case with valid proof must still be processed)."""

    objection_id: str
    status: str
    raised_at: datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "objection_id": self.objection_id,
            "status": self.status,
            "raised_at": self.raised_at.isoformat(),
        }


def under_objection(
    session: Session, *, resource_code: str, subject: str, items: Sequence[str]
) -> dict[str, ObjectionMarker]:
    """Item key → the oldest open (RAISED, ACCEPTED, FORWARDED) objection on that subject's
    item; items without one are absent. Corrected, confirmed, rejected or closed: none."""
    if not items:
        return {}
    keys = {"resource_ref": resource_code, "subject_ref": subject, "item_keys": list(items)}
    rows = session.execute(_OPEN_ON_ITEMS, keys).all()
    markers: dict[str, ObjectionMarker] = {}
    for row in rows:
        markers.setdefault(
            row.item,
            ObjectionMarker(objection_id=row.id, status=row.status, raised_at=row.raised_at),
        )
    return markers


def objections_on(
    session: Session, records: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, ObjectionMarker]]:
    """:func:`under_objection` for every item of several records (resource code, subject)
    in one query: by record, item key → the oldest open objection. A record without any open
    objection is absent."""
    pairs = sorted(set(records))
    if not pairs:
        return {}
    found: dict[tuple[str, str], dict[str, ObjectionMarker]] = {}
    for row in session.execute(_OPEN_ON_RECORDS, {"records": pairs}):
        found.setdefault((row.resource_code, row.subject), {}).setdefault(
            row.item,
            ObjectionMarker(objection_id=row.id, status=row.status, raised_at=row.raised_at),
        )
    return found
