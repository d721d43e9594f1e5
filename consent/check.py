"""``check``: may this department receive these items about this subject for this purpose?

The answer names the record relied on and the leaf of its GIVE (or RESUME, or statutory
record) event. Nothing is cached across transactions: every call reads the records (a
:class:`CheckBatch` reads them once for the checks it makes together). With ``record_use`` the
records are read under a row lock (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite runs every
transaction with its writer lock), so a check either commits before a withdrawal or pause
takes its lock on the record, or waits for it and then sees the record no longer GIVEN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.orm import Session

from audit import subject_ref
from consent.errors import ConsentFrequencyExceeded
from consent.identity import CHINA
from consent.models import Basis, Consent, ConsentUse, State
from consent.values import ConsentDecision
from kit.db import table_of

NONE = "none"


@dataclass(frozen=True)
class Terms:
    """What a check reads of a consent record (its columns of the same names)."""

    id: str
    lawful_basis: str
    legal_reference: str | None
    items: list[Any]
    sensitive_requested: list[Any]
    sensitive_items: list[Any]
    onward_transfer: bool
    valid_from: datetime
    valid_until: datetime
    max_uses: int | None
    use_period: str
    state: str
    active_leaf_index: int | None


def _terms_query(*, by_id: bool, lock: bool) -> Select[Any]:
    table = table_of(Consent)
    query = select(*(table.c[f.name] for f in fields(Terms))).where(
        table.c.subject == bindparam("subject_ref"),
        table.c.recipient == bindparam("recipient_code"),
        table.c.purpose == bindparam("purpose_ref"),
    )
    if by_id:
        query = query.where(table.c.id == bindparam("consent_ref"))
    query = query.order_by(table.c.id)
    return query.with_for_update() if lock else query


# Built once on the table, as are the use counter's statements (building and keying a
# statement cost about as much as running it, and a statement of the mapped class's
# attributes takes the ORM's slower path): by (one record named, locked).
_TERMS = {
    (by_id, lock): _terms_query(by_id=by_id, lock=lock)
    for by_id in (False, True)
    for lock in (False, True)
}
_USES = table_of(ConsentUse)
_USED = select(_USES.c.uses).where(
    _USES.c.consent_id == bindparam("consent_ref"), _USES.c.period == bindparam("period_ref")
)
# A batch's counts, written together (see CheckBatch).
_ADD = (
    update(_USES)
    .where(
        _USES.c.consent_id == bindparam("consent_ref"), _USES.c.period == bindparam("period_ref")
    )
    .values(uses=_USES.c.uses + bindparam("added"), last_used_at=bindparam("used_at"))
)
_FIRST = insert(_USES)


@dataclass
class _Period:
    """One record's uses in one period during a batch: those recorded before it (None: the
    period has no row yet) and those the batch counted."""

    recorded: int | None
    counted: int = 0
    last_used_at: datetime | None = None


@dataclass
class CheckBatch:
    """Checks made together in one transaction (the exchanges a hub decides at once).

    Each subject's records for a recipient and purpose are read, and locked, once for the
    batch (the row lock serialises the counters of one record, so the period's count read
    after it stays true until the commit). A passing check makes sure its record's cap leaves
    room for one more use, counting the uses the batch has counted already, but does not
    count it: the caller counts it with
    :meth:`count` once what it checked for is made, and :meth:`write` writes the batch's
    counts before the transaction commits. A check that is refused, or whose exchange is not
    made after all, counts nothing, with no savepoint to roll back."""

    _records: dict[tuple[str, str, str, str | None, bool], list[Terms]] = field(
        default_factory=dict
    )
    _terms: dict[str, Terms] = field(default_factory=dict)  # the records relied on, by id
    _periods: dict[tuple[str, str], _Period] = field(default_factory=dict)

    def records(
        self,
        session: Session,
        subject: str,
        recipient: str,
        purpose: str,
        consent_id: str | None,
        lock: bool,
    ) -> list[Terms]:
        """The terms of the subject's records for this recipient and purpose, read (and
        locked, with ``lock``) from the database the first time, the session's pending
        changes flushed first; never from objects it holds."""
        key = (subject, recipient, purpose, consent_id, lock)
        found = self._records.get(key)
        if found is None:
            keys = {"subject_ref": subject, "recipient_code": recipient, "purpose_ref": purpose}
            if consent_id is not None:
                keys["consent_ref"] = consent_id
            session.flush()  # a Core statement does not flush the session by itself
            rows = session.execute(_TERMS[consent_id is not None, lock], keys)
            found = self._records[key] = [Terms(*row) for row in rows]
        return found

    def make_room(self, session: Session, consent: Terms, at: datetime) -> None:
        """Refuse past the cap, with the batch's uses counted (see :func:`check`)."""
        self._terms[consent.id] = consent
        period, ends = period_of(consent, at)
        held = self._periods.get((consent.id, period))
        if held is None:
            keys = {"consent_ref": consent.id, "period_ref": period}
            recorded = session.scalar(_USED, keys)
            held = self._periods[consent.id, period] = _Period(recorded)
        used = (held.recorded or 0) + held.counted
        if consent.max_uses is not None and used >= consent.max_uses:
            raise _cap_reached(consent, at, ends)

    def count(self, consent_id: str, at: datetime) -> None:
        """Count one use of the record a passing check of this batch relied on at ``at``."""
        consent = self._terms[consent_id]
        held = self._periods[consent_id, period_of(consent, at)[0]]
        held.counted += 1
        held.last_used_at = max(at, held.last_used_at or at)

    def write(self, session: Session) -> None:
        """Write the counted uses: one statement for the periods with a row, one for the rest."""
        bumps, firsts = [], []
        for (consent_id, period), held in self._periods.items():
            if not held.counted:
                continue
            if held.recorded is None:
                firsts.append(
                    {
                        "consent_id": consent_id,
                        "period": period,
                        "uses": held.counted,
                        "last_used_at": held.last_used_at,
                    }
                )
            else:
                bumps.append(
                    {
                        "consent_ref": consent_id,
                        "period_ref": period,
                        "added": held.counted,
                        "used_at": held.last_used_at,
                    }
                )
            held.recorded, held.counted = (held.recorded or 0) + held.counted, 0
        if bumps:
            session.execute(_ADD, bumps)
        if firsts:
            session.execute(_FIRST, firsts)


def check(
    session: Session,
    *,
    subject: str,
    recipient: str,
    purpose: str,
    items: Sequence[str],
    at: datetime,
    sensitive: Sequence[str] = (),
    consent_id: str | None = None,
    record_use: bool = True,
    onward_transfer: bool = False,
    batch: CheckBatch | None = None,
) -> ConsentDecision:
    """Decide on one flow. A refusal is an answer (``allowed=False`` with the reason and
    the items lacking a basis), never an exception; the one exception is
    :class:`ConsentFrequencyExceeded` when the record's cap for the period is reached.

    ``sensitive`` names the requested items the catalog marks sensitive: each must be in the
    record's separately approved ``sensitive_items``. ``onward_transfer`` asks whether the
    recipient may provide the data to another handler. A statutory-duty basis is preferred
    over a consent when both cover the flow; one record must cover every item.

    With ``batch``, the records are read once for the batch and a passing check counts no
    use itself: see :class:`CheckBatch`. Without, the check is a batch of one, its use (with
    ``record_use``) written before it returns."""
    wanted = sorted({i.strip() for i in items} | {s.strip() for s in sensitive})
    flagged = {s.strip() for s in sensitive}
    checks = CheckBatch() if batch is None else batch  # a check of its own: a batch of one
    records = checks.records(
        session, _spelled(subject), recipient.strip().upper(), purpose, consent_id, record_use
    )
    best: tuple[int, str, tuple[str, ...]] | None = None
    for consent in _preferred(records):
        problem, missing = _fit(consent, wanted, flagged, at, onward_transfer)
        if problem is None:
            checks.make_room(session, consent, at)  # a dry run, too, is refused at the cap
            if batch is None and record_use:
                checks.count(consent.id, at)
                checks.write(session)
            return _allowed(consent)
        rank = len(missing) + (0 if consent.state == State.GIVEN else len(wanted) + 1)
        if best is None or rank < best[0]:
            best = (rank, problem, missing)
    if best is None:
        return _refused(f"no consent or statutory basis for {purpose} to {recipient}", wanted)
    return _refused(best[1], list(best[2]))


def _spelled(subject: str) -> str:
    kind, sep, ident = subject.partition(":")
    return subject_ref(kind.strip(), ident) if sep else subject


def _preferred(records: list[Terms]) -> list[Terms]:
    """Statutory duties first, then consents, the most recently given first."""
    return sorted(
        records,
        key=lambda c: (c.lawful_basis != Basis.STATUTORY_DUTY, -(c.active_leaf_index or -1)),
    )


def _fit(
    consent: Terms, wanted: list[str], flagged: set[str], at: datetime, onward: bool
) -> tuple[str | None, tuple[str, ...]]:
    """(why ``consent`` does not cover the flow or None, the items it leaves uncovered)."""
    everything = tuple(wanted)
    if consent.state != State.GIVEN:
        return f"consent {consent.id} is {consent.state}", everything
    if at < consent.valid_from:
        return f"consent {consent.id} is valid only from {consent.valid_from}", everything
    if at >= consent.valid_until:
        return f"consent {consent.id} expired at {consent.valid_until}", everything
    approved = set(consent.sensitive_items)
    covered = set(consent.items) - (set(consent.sensitive_requested) - approved)
    missing = tuple(i for i in wanted if i not in covered or (i in flagged and i not in approved))
    if outside := [i for i in missing if i not in consent.items]:
        return f"consent {consent.id} does not cover {', '.join(outside)}", missing
    if missing:
        return f"sensitive items need their own, separate consent: {', '.join(missing)}", missing
    if onward and not consent.onward_transfer:
        return f"consent {consent.id} does not allow providing the data to another handler", ()
    return None, ()


def _refused(reason: str, missing: list[str]) -> ConsentDecision:
    return ConsentDecision(
        allowed=False,
        basis=NONE,
        consent_id=None,
        consent_leaf_index=None,
        legal_reference=None,
        reason=reason,
        missing=tuple(missing),
    )


def _allowed(consent: Terms) -> ConsentDecision:
    statutory = consent.lawful_basis == Basis.STATUTORY_DUTY
    reason = (
        f"statutory duty: {consent.legal_reference}"
        if statutory
        else f"consent {consent.id} given (leaf {consent.active_leaf_index})"
    )
    return ConsentDecision(
        allowed=True,
        basis=consent.lawful_basis,
        consent_id=consent.id,
        consent_leaf_index=consent.active_leaf_index,
        legal_reference=consent.legal_reference,
        reason=reason,
        missing=(),
    )


def _cap_reached(consent: Terms, at: datetime, ends: datetime) -> ConsentFrequencyExceeded:
    return ConsentFrequencyExceeded(
        f"consent {consent.id} allows {consent.max_uses} uses per {consent.use_period}; "
        "the cap is reached",
        retry_after=max(1, math.ceil((ends - at).total_seconds())),
        consent=consent.id,
    )


def period_of(consent: Terms, at: datetime) -> tuple[str, datetime]:
    """The use period ``at`` falls in (Beijing time) and when it ends."""
    local = at.astimezone(CHINA)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if consent.use_period == "day":
        return local.strftime("%Y-%m-%d"), midnight + timedelta(days=1)
    if consent.use_period == "week":
        year, week, weekday = local.isocalendar()
        return f"{year}-W{week:02d}", midnight + timedelta(days=8 - weekday)
    if consent.use_period == "month":
        first = midnight.replace(day=1)
        return local.strftime("%Y-%m"), (first + timedelta(days=32)).replace(day=1)
    return "validity", consent.valid_until
