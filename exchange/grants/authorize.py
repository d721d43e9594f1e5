"""The one question the exchange broker asks: may system S read items I of the grant's
resource for purpose P now? Checks in the contract's order; the first failure raises."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exchange.grants.clock import end_of_day, local_date
from exchange.grants.errors import (
    GrantFrequencyExceeded,
    GrantNotActive,
    GrantNotFound,
    GrantNotHeld,
    ItemsNotGranted,
    PurposeMismatch,
)
from exchange.grants.models import Grant, GrantStatus, GrantUsage
from kit.db import table_of

# The decision's statements are built once, on the tables (building and keying a statement
# cost about as much as running it, and one of the mapped class's attributes takes the
# ORM's slower path: a pre-fill's nine decisions took 15 % longer): the grant's columns the
# checks read, and the usage rows locked, counted and added to.
_GRANTS = table_of(Grant)
_GRANT_COLUMNS = (
    _GRANTS.c.id,
    _GRANTS.c.status,
    _GRANTS.c.expires_at,
    _GRANTS.c.valid_until,
    _GRANTS.c.requester_code,
    _GRANTS.c.systems,
    _GRANTS.c["items"],  # not .items: a method of the collection
    _GRANTS.c.purpose,
    _GRANTS.c.frequency_per_day,
    _GRANTS.c.resource_code,
    _GRANTS.c.resource_version,
    _GRANTS.c.provider_code,
    _GRANTS.c.scenario,
    _GRANTS.c.lawful_basis,
    _GRANTS.c.legal_reference,
)
_GRANT = select(*_GRANT_COLUMNS).where(_GRANTS.c.id == bindparam("grant_ref"))
_GRANTS_OF = select(*_GRANT_COLUMNS).where(
    _GRANTS.c.id.in_(bindparam("grant_refs", expanding=True))
)
_USAGE = table_of(GrantUsage)
# hold_usage's: which of a batch's grants have the day's row, and all of them locked, with
# the day's count so far.
_USAGE_ROWS = select(_USAGE.c.grant_id).where(
    _USAGE.c.grant_id.in_(bindparam("grant_refs", expanding=True)),
    _USAGE.c.day == bindparam("day_ref"),
)
_LOCK_USAGE_ROWS = (
    select(_USAGE.c.grant_id, _USAGE.c.count)
    .where(
        _USAGE.c.grant_id.in_(bindparam("grant_refs", expanding=True)),
        _USAGE.c.day == bindparam("day_ref"),
    )
    .order_by(_USAGE.c.grant_id)
    .with_for_update()
)
_LOCK_USAGE_ROW = (
    select(_USAGE.c.count)
    .where(_USAGE.c.grant_id == bindparam("grant_ref"), _USAGE.c.day == bindparam("day_ref"))
    .with_for_update()
)
_ADD = (
    update(_USAGE)
    .where(_USAGE.c.grant_id == bindparam("grant_ref"), _USAGE.c.day == bindparam("day_ref"))
    .values(count=_USAGE.c.count + bindparam("added"))
)


@dataclass(frozen=True)
class GrantDecision:
    """What a passing :func:`authorize` tells the broker about the grant relied on."""

    grant_id: str
    resource_code: str
    resource_version: int
    provider_code: str
    requester_code: str
    items: tuple[str, ...]
    purpose: str
    scenario: str
    lawful_basis: str  # "consent" | "statutory-duty"
    legal_reference: str | None
    expires_at: datetime


@dataclass
class GrantBatch:
    """Uses of grants counted together in one transaction (the exchanges a hub decides at
    once), at one instant.

    :meth:`hold` locks the day's usage rows of the batch's grants and reads their counts.
    Each grant's row is read once for the batch. A passing :func:`authorize` makes sure the
    day's cap leaves room for one more use, counting the uses the batch has counted already,
    but does not count it: the caller counts it with :meth:`count` once the exchange is
    made, and :meth:`write` writes the counts before the transaction commits. A refused
    decision, or an exchange not made after all, counts nothing, with no savepoint to roll
    back."""

    at: datetime
    _grants: dict[str, Any] = field(default_factory=dict)
    _used: dict[str, int] = field(default_factory=dict)  # the day's count, by grant id
    _counted: dict[str, int] = field(default_factory=dict)

    def hold(self, session: Session, grant_ids: Sequence[str]) -> None:
        """:func:`hold_usage` for the batch's grants, their counts kept, and the grants read
        (one query)."""
        self._used.update(hold_usage(session, grant_ids, self.at))
        wanted = sorted(set(grant_ids) - set(self._grants))
        if wanted:
            self._grants.update(dict.fromkeys(wanted))  # an unknown grant: None
            rows = session.execute(_GRANTS_OF, {"grant_refs": wanted})
            self._grants.update((row.id, row) for row in rows)

    def held(self) -> list[Any]:
        """The batch's grants that exist, as read."""
        return [row for row in self._grants.values() if row is not None]

    def grant(self, session: Session, grant_id: str) -> Any:
        if grant_id not in self._grants:
            self._grants[grant_id] = _read(session, grant_id)
        return self._grants[grant_id]

    def make_room(self, grant: Any) -> None:
        used = self._used.get(grant.id)
        if used is None:  # not reached: the batch's decisions are of the grants it holds
            raise RuntimeError(f"grant {grant.id} was not held for this batch")
        if used + self._counted.get(grant.id, 0) >= grant.frequency_per_day:
            raise _cap_reached(grant, self.at)

    def count(self, grant_id: str) -> None:
        """Count one use of a grant a passing :func:`authorize` of this batch relied on."""
        self._counted[grant_id] = self._counted.get(grant_id, 0) + 1

    def write(self, session: Session) -> None:
        """Write the counted uses (one statement)."""
        day = local_date(self.at)
        added = [
            {"grant_ref": grant_id, "day_ref": day, "added": n}
            for grant_id, n in sorted(self._counted.items())
            if n
        ]
        if added:
            session.execute(_ADD, added)
        for grant_id, n in self._counted.items():
            self._used[grant_id] += n
        self._counted.clear()


def _read(session: Session, grant_id: str) -> Any:
    return session.execute(_GRANT, {"grant_ref": grant_id}).one_or_none()


def authorize(
    session: Session,
    *,
    grant_id: str,
    system_id: str,
    department_code: str,
    items: Sequence[str],
    purpose: str,
    at: datetime,
    count_use: bool = True,
    batch: GrantBatch | None = None,
) -> GrantDecision:
    """Pass (counting one use against today's cap unless ``count_use`` is False) or raise
    GrantNotFound, GrantNotActive, GrantNotHeld, ItemsNotGranted, PurposeMismatch or
    GrantFrequencyExceeded, in that order. With ``batch`` (whose instant ``at`` must be),
    the grant is read once for the batch and a passing decision counts no use itself: see
    :class:`GrantBatch`."""
    grant = _read(session, grant_id) if batch is None else batch.grant(session, grant_id)
    if grant is None:
        raise GrantNotFound(f"no grant with id {grant_id}")
    if grant.status != GrantStatus.ACTIVE:
        raise GrantNotActive(f"grant {grant_id} is {grant.status}", status=grant.status)
    if at >= grant.expires_at:
        raise GrantNotActive(
            f"grant {grant_id} ended with its period on {grant.valid_until.isoformat()}",
            status="EXPIRED",
        )
    if department_code != grant.requester_code or system_id not in grant.systems:
        raise GrantNotHeld(
            f"grant {grant_id} is held by systems of department {grant.requester_code}; "
            f"system {system_id} of {department_code} is not one of them"
        )
    missing = [i for i in dict.fromkeys(items) if i not in grant.items]
    if missing or not items:
        raise ItemsNotGranted(
            f"grant {grant_id} does not cover the items {', '.join(missing) or '(none asked)'}",
            items=missing,
        )
    if purpose != grant.purpose:
        raise PurposeMismatch(
            f"grant {grant_id} was given for the purpose {grant.purpose!r}, not {purpose!r}"
        )
    if batch is not None:
        batch.make_room(grant)
    elif count_use:
        _count_use(session, grant, at)
    return _decision(grant, tuple(dict.fromkeys(items)))


def _decision(grant: Any, items: tuple[str, ...]) -> GrantDecision:
    """The decision from the grant's row (:data:`_GRANT`)."""
    return GrantDecision(
        grant_id=grant.id,
        resource_code=grant.resource_code,
        resource_version=grant.resource_version,
        provider_code=grant.provider_code,
        requester_code=grant.requester_code,
        items=items,
        purpose=grant.purpose,
        scenario=grant.scenario,
        lawful_basis=grant.lawful_basis,
        legal_reference=grant.legal_reference,
        expires_at=grant.expires_at,
    )


def hold_usage(session: Session, grant_ids: Sequence[str], at: datetime) -> dict[str, int]:
    """Lock the day's usage rows of ``grant_ids`` in grant id order, creating a missing row
    at zero uses, for a transaction about to decide several exchanges (a pre-fill); return
    the day's count so far of each (an unknown grant is left out).

    Deciding one exchange locks its grant's usage row, then the subject's consent records,
    then the audit sequencer. A transaction deciding several would otherwise hold one
    subject's consent while waiting for the next grant's row, which a single exchange may
    hold while it waits for that consent: taking every grant's row first, in one order, keeps
    the locks of all deciders in the same order."""
    day = local_date(at)
    ids = sorted(set(grant_ids))
    keys = {"grant_refs": ids, "day_ref": day}
    existing = set(session.scalars(_USAGE_ROWS, keys))
    if existing.issuperset(ids):  # the usual case: every row there, all locked at once
        return {row[0]: int(row[1]) for row in session.execute(_LOCK_USAGE_ROWS, keys)}
    # A row to create (the day's first use of a grant) must be created in its place in the
    # order: locking the rows already there first and creating the others after would take
    # the locks out of order, and two transactions doing so deadlock on PostgreSQL.
    counts: dict[str, int] = {}
    for grant_id in ids:
        one = {"grant_ref": grant_id, "day_ref": day}
        count = session.scalar(_LOCK_USAGE_ROW, one)
        if count is None:
            if session.get(Grant, grant_id) is None:
                continue  # authorize refuses an unknown grant by name
            try:
                with session.begin_nested():
                    session.add(GrantUsage(grant_id=grant_id, day=day, count=0))
                count = 0
            except IntegrityError:  # another transaction created it first: wait for its lock
                count = session.scalar(_LOCK_USAGE_ROW, one)
        counts[grant_id] = int(count or 0)
    return counts


def _count_use(session: Session, grant: Any, at: datetime) -> None:
    """One use counted at once, as a batch of one: its row locked (made at zero on the day's
    first use), the cap checked, the use written."""
    alone = GrantBatch(at, _grants={grant.id: grant})
    alone.hold(session, [grant.id])
    alone.make_room(grant)
    alone.count(grant.id)
    alone.write(session)


def _cap_reached(grant: Any, at: datetime) -> GrantFrequencyExceeded:
    retry = max(1, math.ceil((end_of_day(local_date(at)) - at).total_seconds()))
    return GrantFrequencyExceeded(
        f"grant {grant.id} allows {grant.frequency_per_day} uses a day; today's are spent",
        retry_after=retry,
    )
