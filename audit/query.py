"""Reading the log: filtered, paginated leaves for auditors, departments and citizens."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from audit.leaf import LEAF_PREFIX
from audit.log import REF_VALUE_LENGTH, commitment
from audit.models import AuditLeaf, AuditRef

# The refs that name a department a leaf concerns besides its actor's: a provider may inspect
# the records of the requesters of its data (regulation rule 8), and both see their grants.
DEPARTMENT_REFS = ("department", "requester", "provider", "recipient")


@dataclass(frozen=True)
class LeafView:
    """A stored leaf, decoded: what an auditor (or the subject) reads."""

    index: int
    time: datetime
    action: str
    actor: dict[str, Any]
    subject: str | None
    refs: dict[str, str]
    outcome: str
    reason: str | None
    digests: dict[str, str]
    leaf_hash: str

    @classmethod
    def of(cls, row: AuditLeaf) -> LeafView:
        doc = json.loads(row.leaf[len(LEAF_PREFIX) :])
        return cls(
            index=row.index,
            time=row.time,
            action=row.action,
            actor=doc["actor"],
            subject=row.subject,
            refs=doc.get("refs", {}),
            outcome=doc.get("outcome", ""),
            reason=doc.get("reason"),
            digests=doc.get("digests", {}),
            leaf_hash=row.leaf_hash.hex(),
        )


def concerning(department: str) -> ColumnElement[bool]:
    """Leaves whose actor belongs to ``department`` or whose department refs name it."""
    named = select(AuditRef.leaf_index).where(
        AuditRef.name.in_(DEPARTMENT_REFS), AuditRef.value == department
    )
    return or_(AuditLeaf.actor_department == department, AuditLeaf.index.in_(named))


def _with_filters(
    query: Select[AuditLeaf],
    *,
    actions: Sequence[str],
    actor_department: str | None,
    refs: Mapping[str, str],
    since: datetime | None,
    until: datetime | None,
) -> Select[AuditLeaf]:
    if actions:
        query = query.where(AuditLeaf.action.in_(list(actions)))
    if actor_department:
        query = query.where(AuditLeaf.actor_department == actor_department)
    for name, value in refs.items():
        match = select(AuditRef.leaf_index).where(
            AuditRef.name == name, AuditRef.value == value[:REF_VALUE_LENGTH]
        )
        query = query.where(AuditLeaf.index.in_(match))
    if since:
        query = query.where(AuditLeaf.time >= since)
    if until:
        query = query.where(AuditLeaf.time < until)
    return query


def entries(
    session: Session,
    *,
    actions: Sequence[str] = (),
    actor_department: str | None = None,
    subject: str | None = None,
    refs: Mapping[str, str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_index: int = -1,
    limit: int = 100,
    concerning_department: str | None = None,
) -> list[LeafView]:
    """Leaves matching every filter given, in index order, starting after ``after_index``.
    ``subject`` is a subject reference (``person:<id>``): it is turned into its commitment,
    so a subject whose salt was erased matches nothing. ``concerning_department`` keeps only
    the leaves that concern that department (see :func:`concerning`)."""
    query = select(AuditLeaf).where(AuditLeaf.index > after_index)
    if concerning_department is not None:
        query = query.where(concerning(concerning_department))
    if subject is not None:
        committed = commitment(session, subject, create=False)
        if committed is None:
            return []
        query = query.where(AuditLeaf.subject == committed)
    query = _with_filters(
        query,
        actions=actions,
        actor_department=actor_department,
        refs=refs or {},
        since=since,
        until=until,
    )
    rows = session.scalars(query.order_by(AuditLeaf.index).limit(limit)).all()
    return [LeafView.of(r) for r in rows]
