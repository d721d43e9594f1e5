"""Reading exchanges: one by id, and the requester's usage record (列表) with filters.

The requester's department sees its exchanges with the data; an auditor sees any exchange
but never the data (only its digest and provenance).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from exchange.runtime.errors import ExchangeForbidden, ExchangeNotFound, InvalidExchangeRequest
from exchange.runtime.models import Exchange, Status
from kit.actors import ROLE_AUDITOR, SYSTEM, Principal
from kit.crypto import b64url, b64url_decode

MAX_PAGE = 200


@dataclass(frozen=True)
class Page:
    exchanges: list[Exchange]
    next_cursor: str | None


def may_read_data(viewer: Principal, ex: Exchange) -> bool:
    return viewer.department is not None and viewer.department == ex.requester_code


def get_exchange(session: Session, exchange_id: str, *, viewer: Principal) -> Exchange:
    """The exchange, if ``viewer`` belongs to the requester's department or is an auditor."""
    ex = session.get(Exchange, exchange_id)
    if ex is None:
        raise ExchangeNotFound(f"no exchange {exchange_id}")
    if not may_read_data(viewer, ex) and not viewer.has(ROLE_AUDITOR):
        raise ExchangeForbidden(
            f"exchange {exchange_id} belongs to department {ex.requester_code}; only that "
            "department or an auditor may read it"
        )
    return ex


def list_exchanges(
    session: Session,
    *,
    viewer: Principal,
    status: str | None = None,
    grant_id: str | None = None,
    resource_code: str | None = None,
    department: str | None = None,
    system: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """Newest first. A system lists its own exchanges, a user those of their department, an
    auditor anyone's (narrowed by ``department``/``system``)."""
    if status is not None and status not in Status.__members__:
        raise InvalidExchangeRequest(f"status must be one of {', '.join(Status.__members__)}")
    limit = max(1, min(limit, MAX_PAGE))
    query = _scope(select(Exchange), viewer, department, system)
    for column, value in (
        (Exchange.status, status),
        (Exchange.grant_id, grant_id),
        (Exchange.resource_code, resource_code),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(Exchange.created_at >= _aware(since))
    if until is not None:
        query = query.where(Exchange.created_at < _aware(until))
    if cursor:
        at, last_id = _decode_cursor(cursor)
        query = query.where(
            or_(
                Exchange.created_at < at,
                and_(Exchange.created_at == at, Exchange.id < last_id),
            )
        )
    rows = list(
        session.scalars(
            query.order_by(Exchange.created_at.desc(), Exchange.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, _encode_cursor(rows[-1]) if more else None)


def _scope(
    query: Select[Exchange], viewer: Principal, department: str | None, system: str | None
) -> Select[Exchange]:
    if viewer.kind == SYSTEM:
        return query.where(Exchange.requester_system == viewer.id)
    if not viewer.has(ROLE_AUDITOR):
        query = query.where(Exchange.requester_code == (viewer.department or ""))
    if department:
        query = query.where(Exchange.requester_code == department)
    if system:
        query = query.where(Exchange.requester_system == system)
    return query


def _aware(value: datetime) -> datetime:
    """A time without a zone is read as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _encode_cursor(ex: Exchange) -> str:
    return b64url(json.dumps([ex.created_at.isoformat(), ex.id]).encode())


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, last_id = json.loads(b64url_decode(cursor))
        return datetime.fromisoformat(at), str(last_id)
    except (ValueError, TypeError) as exc:
        raise InvalidExchangeRequest("the cursor is not one this hub gave out") from exc


def signed_claims(jws: str) -> dict[str, Any]:
    """The payload of a JWS the hub already verified when it recorded it."""
    value = json.loads(b64url_decode(jws.split(".")[1]))
    return value if isinstance(value, dict) else {}
