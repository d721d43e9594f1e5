"""``under_objection``: what the exchange puts beside an item whose value is being verified."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from exchange.objections.models import OPEN, Objection

# Asked at every exchange decision, so built once (building and keying a statement cost
# about as much as running it).
_OPEN_ON_ITEMS = (
    select(Objection.id, Objection.item, Objection.status, Objection.raised_at)
    .where(
        Objection.resource_code == bindparam("resource_ref"),
        Objection.subject == bindparam("subject_ref"),
        Objection.item.in_(bindparam("item_keys", expanding=True)),
        Objection.status.in_([str(s) for s in OPEN]),
    )
    .order_by(Objection.raised_at, Objection.id)
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
