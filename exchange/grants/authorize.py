"""The one question the exchange broker asks: may system S read items I of the grant's
resource for purpose P now? Checks in the contract's order; the first failure raises."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, select, update
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
# checks read, and the day's use counted in one conditional UPDATE.
_GRANTS = table_of(Grant)
_GRANT = select(
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
).where(_GRANTS.c.id == bindparam("grant_ref"))
_USAGE = table_of(GrantUsage)
_COUNT = (
    update(_USAGE)
    .where(
        _USAGE.c.grant_id == bindparam("grant_ref"),
        _USAGE.c.day == bindparam("day_ref"),
        _USAGE.c.count < bindparam("cap"),
    )
    .values(count=_USAGE.c.count + 1)
)
# hold_usage's: which of a batch's grants have the day's row, and all of them locked.
_USAGE_ROWS = select(_USAGE.c.grant_id).where(
    _USAGE.c.grant_id.in_(bindparam("grant_refs", expanding=True)),
    _USAGE.c.day == bindparam("day_ref"),
)
_LOCK_USAGE_ROWS = _USAGE_ROWS.order_by(_USAGE.c.grant_id).with_for_update()
_USED = select(GrantUsage.count).where(
    GrantUsage.grant_id == bindparam("grant_ref"), GrantUsage.day == bindparam("day_ref")
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
) -> GrantDecision:
    """Pass (counting one use against today's cap unless ``count_use`` is False) or raise
    GrantNotFound, GrantNotActive, GrantNotHeld, ItemsNotGranted, PurposeMismatch or
    GrantFrequencyExceeded, in that order."""
    grant = session.execute(_GRANT, {"grant_ref": grant_id}).one_or_none()
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
    if count_use:
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


def hold_usage(session: Session, grant_ids: Sequence[str], at: datetime) -> None:
    """Lock the day's usage rows of ``grant_ids`` in grant id order, creating a missing row
    at zero uses, for a transaction about to decide several exchanges (a pre-fill).

    Deciding one exchange locks its grant's usage row, then the subject's consent records,
    then the audit sequencer. A transaction deciding several would otherwise hold one
    subject's consent while waiting for the next grant's row, which a single exchange may
    hold while it waits for that consent: taking every grant's row first, in one order, keeps
    the locks of all deciders in the same order. Counting still happens in :func:`authorize`."""
    day = local_date(at)
    ids = sorted(set(grant_ids))
    keys = {"grant_refs": ids, "day_ref": day}
    existing = set(session.scalars(_USAGE_ROWS, keys))
    if existing.issuperset(ids):  # the usual case: every row there, all locked at once
        session.execute(_LOCK_USAGE_ROWS, keys)
        return
    of_day = GrantUsage.day == day
    # A row to create (the day's first use of a grant) must be created in its place in the
    # order: locking the rows already there first and creating the others after would take
    # the locks out of order, and two transactions doing so deadlock on PostgreSQL.
    for grant_id in ids:
        lock = select(GrantUsage.grant_id).where(GrantUsage.grant_id == grant_id, of_day)
        if session.scalar(lock.with_for_update()) is not None:
            continue
        if session.get(Grant, grant_id) is None:
            continue  # authorize refuses an unknown grant by name
        try:
            with session.begin_nested():
                session.add(GrantUsage(grant_id=grant_id, day=day, count=0))
        except IntegrityError:  # another transaction created it first: wait for its lock
            session.execute(lock.with_for_update())


def _count_use(session: Session, grant: Any, at: datetime) -> None:
    day = local_date(at)
    keys = {"grant_ref": grant.id, "day_ref": day}

    def bump() -> bool:
        counted = session.execute(_COUNT, {**keys, "cap": grant.frequency_per_day})
        return cast(CursorResult[Any], counted).rowcount == 1

    if bump():
        return
    used = session.scalar(_USED, keys)
    if used is None:
        try:
            with session.begin_nested():
                session.add(GrantUsage(grant_id=grant.id, day=day, count=1))
            return
        except IntegrityError:  # another transaction counted the day's first use
            if bump():
                return
    retry = max(1, math.ceil((end_of_day(day) - at).total_seconds()))
    raise GrantFrequencyExceeded(
        f"grant {grant.id} allows {grant.frequency_per_day} uses a day; today's are spent",
        retry_after=retry,
    )
