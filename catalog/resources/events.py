"""Every transition of an entry: a history row, an audit leaf and an outbox event, together.

Services do not read settings, so each transition takes the full topic name from its caller;
the composition root passes ``settings.topic(TOPIC)`` (the logical name with the deployment's
prefix). Event ``type`` is the audit action (``catalog:publish``), ``key`` the resource code.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy.orm import Session

from audit import Action, record
from catalog.resources.index import touch
from catalog.resources.models import Resource, ResourceTransition
from kit.actors import Principal
from kit.events import Envelope
from kit.outbox import enqueue

TOPIC: Final = "catalog.events"


def record_transition(
    session: Session,
    resource: Resource,
    *,
    action: Action,
    actor: Principal,
    topic: str,
    from_status: str | None,
    reason: str | None = None,
    outcome: str = "ok",
    extra: dict[str, Any] | None = None,
) -> ResourceTransition:
    """Log one step of ``resource`` (already changed) in the caller's transaction."""
    refs: dict[str, Any] = {
        "resource": resource.code,
        "version": resource.version,
        "provider": resource.provider_code,
        "status": resource.status,
        **(extra or {}),
    }
    entry = record(session, action=action, actor=actor, refs=refs, outcome=outcome, reason=reason)
    who = actor.as_actor()
    row = ResourceTransition(
        code=resource.code,
        version=resource.version,
        action=str(action),
        outcome=outcome,
        from_status=from_status,
        to_status=resource.status,
        actor_kind=who["kind"],
        actor_id=str(who["id"]),
        actor_department=who["department"],
        reason=reason,
        leaf_index=entry.index,
    )
    session.add(row)
    touch(session)
    payload = {
        "code": resource.code,
        "version": resource.version,
        "name": resource.name,
        "provider": resource.provider_code,
        "share_type": resource.share_type,
        "from_status": from_status,
        "status": resource.status,
        "outcome": outcome,
        "actor": who,
        "reason": reason,
        "leaf": entry.index,
        **(extra or {}),
    }
    enqueue(
        session, topic=topic, event=Envelope(type=str(action), key=resource.code, payload=payload)
    )
    return row
