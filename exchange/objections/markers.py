"""``under_objection``: what the exchange puts beside an item whose value is being verified."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.objections.models import OPEN, Objection


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
    rows = session.scalars(
        select(Objection)
        .where(
            Objection.resource_code == resource_code,
            Objection.subject == subject,
            Objection.item.in_(list(items)),
            Objection.status.in_([str(s) for s in OPEN]),
        )
        .order_by(Objection.raised_at, Objection.id)
    ).all()
    markers: dict[str, ObjectionMarker] = {}
    for row in rows:
        markers.setdefault(
            row.item,
            ObjectionMarker(objection_id=row.id, status=row.status, raised_at=row.raised_at),
        )
    return markers
