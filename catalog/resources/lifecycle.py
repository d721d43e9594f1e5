"""Review and publication: DRAFT → SUBMITTED → PUBLISHED | RETURNED → SUBMITTED …; revisions
and retirement. Each step is a history row, an audit leaf and an outbox event (see events.py).

Retirement is a port with the exchange layer, which the catalog may not import: the caller
(the API route wired by the composition root, or exchange code) passes ``active_grants``, the
number of active grants on the resource, or ``None`` when it cannot tell (treated as active).

- A steward of the provider asks to retire. With no active grants the entry retires at once
  (no running service depends on it). Otherwise the request waits (outcome ``requested``):
  a provider may not stop a running service on its own.
- A reviewer of the competent authority then approves (outcome ``approved``: the entry
  retires although grants are active) or declines (``declined``: the request is cleared).
- The operator at the command line retires directly.
Retiring marks every version of the code RETIRED; the code stays reserved for ever.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import Action
from catalog.resources.access import ensure_reviewer, ensure_steward, is_reviewer, is_steward
from catalog.resources.errors import (
    InvalidResource,
    NotSteward,
    Problem,
    WrongStatus,
)
from catalog.resources.events import record_transition
from catalog.resources.models import Resource, ResourceItem, Status
from catalog.resources.service import EDITABLE, china_today, latest, published_resource
from kit.actors import OPERATOR, Principal
from kit.db import new_id, utcnow


def submit(session: Session, *, code: str, actor: Principal, topic: str) -> Resource:
    """The steward hands a DRAFT (or a RETURNED entry, once edited) to the authority."""
    resource = latest(session, code)
    ensure_steward(actor, resource.provider_code, "提交审核")
    _expect(resource, EDITABLE, "提交审核")
    before = resource.status
    resource.status = Status.SUBMITTED
    resource.submitted_at = utcnow()
    record_transition(
        session,
        resource,
        action=Action.CATALOG_SUBMIT,
        actor=actor,
        topic=topic,
        from_status=before,
    )
    return resource


def publish(
    session: Session,
    *,
    code: str,
    actor: Principal,
    topic: str,
    comment: str | None = None,
    published_on: date | None = None,
) -> Resource:
    """The authority's reviewer publishes a SUBMITTED version; it is immutable from now on
    and supersedes the previously published version."""
    resource = latest(session, code)
    ensure_reviewer(session, actor, resource.provider_code, "发布目录")
    _expect(resource, (Status.SUBMITTED,), "发布")
    for older in _published(session, code):
        older.superseded = True
    resource.status = Status.PUBLISHED
    resource.published_at = utcnow()
    resource.published_on = published_on or resource.published_on or china_today()
    resource.reviewed_by = actor.id
    resource.review_comment = comment
    record_transition(
        session,
        resource,
        action=Action.CATALOG_PUBLISH,
        actor=actor,
        topic=topic,
        from_status=Status.SUBMITTED,
        reason=comment,
    )
    return resource


def return_resource(
    session: Session, *, code: str, actor: Principal, reason: str, topic: str
) -> Resource:
    """The authority's reviewer sends a SUBMITTED version back with comments (required)."""
    resource = latest(session, code)
    ensure_reviewer(session, actor, resource.provider_code, "退回目录")
    _expect(resource, (Status.SUBMITTED,), "退回")
    _require_reason(reason, "退回必须写明审核意见")
    resource.status = Status.RETURNED
    resource.reviewed_by = actor.id
    resource.review_comment = reason.strip()
    record_transition(
        session,
        resource,
        action=Action.CATALOG_RETURN,
        actor=actor,
        topic=topic,
        from_status=Status.SUBMITTED,
        reason=reason.strip(),
    )
    return resource


def revise(session: Session, *, code: str, actor: Principal, topic: str) -> Resource:
    """A new DRAFT version copied from the current published one; it is reviewed again."""
    current = latest(session, code)
    ensure_steward(actor, current.provider_code, "修订目录")
    _expect(current, (Status.PUBLISHED,), "修订")
    draft = Resource(id=new_id(), code=code, version=current.version + 1, status=Status.DRAFT)
    for column in _COPIED:
        setattr(draft, column, getattr(current, column))
    draft.related = list(current.related)
    draft.created_by = actor.id
    draft.published_on = None
    draft.items = [_copy_item(item) for item in current.items]
    session.add(draft)
    session.flush()
    record_transition(
        session,
        draft,
        action=Action.CATALOG_REVISE,
        actor=actor,
        topic=topic,
        from_status=None,
        extra={"from_version": current.version},
    )
    return draft


_COPIED = [
    "name",
    "provider_code",
    "category",
    "abstract",
    "format",
    "share_type",
    "share_condition",
    "share_mode",
    "open_type",
    "update_cycle",
    "grade",
    "schema_id",
    "schema_version",
    "search_text",
]


def _copy_item(item: ResourceItem) -> ResourceItem:
    return ResourceItem(
        position=item.position,
        key=item.key,
        name=item.name,
        data_type=item.data_type,
        length=item.length,
        share_type=item.share_type,
        conditions=list(item.conditions),
        legal_basis=item.legal_basis,
        personal=item.personal,
        sensitive=item.sensitive,
        element=item.element,
    )


def retire(
    session: Session,
    *,
    code: str,
    actor: Principal,
    reason: str,
    active_grants: int | None,
    topic: str,
    approve: bool = True,
) -> Resource:
    """Ask for, approve or decline retirement (see the module docstring for the rules)."""
    current = published_resource(session, code)
    _require_reason(reason, "退役必须写明理由")
    if actor.kind == OPERATOR:
        return _retire_now(session, current, actor, reason, active_grants, topic, "ok")
    if current.retire_requested_at is not None and is_reviewer(
        session, actor, current.provider_code
    ):
        return _decide(session, current, actor, reason, active_grants, topic, approve)
    if not is_steward(actor, current.provider_code):
        if is_reviewer(session, actor, current.provider_code):
            raise WrongStatus(f"提供方尚未申请退役 {code}, 无需审核")
        raise NotSteward(f"只有提供方 {current.provider_code} 的数据管理员可以申请退役")
    if current.retire_requested_at is not None:
        raise WrongStatus(f"{code} 已申请退役, 等待共享主管部门审核")
    if active_grants == 0:
        return _retire_now(session, current, actor, reason, 0, topic, "ok")
    current.retire_requested_at = utcnow()
    current.retire_requested_by = actor.id
    current.retire_reason = reason.strip()
    record_transition(
        session,
        current,
        action=Action.CATALOG_RETIRE,
        actor=actor,
        topic=topic,
        from_status=current.status,
        reason=reason.strip(),
        outcome="requested",
        extra=_grants(active_grants),
    )
    return current


def _decide(
    session: Session,
    current: Resource,
    actor: Principal,
    reason: str,
    active_grants: int | None,
    topic: str,
    approve: bool,
) -> Resource:
    ensure_reviewer(session, actor, current.provider_code, "审核退役申请")
    if approve:
        return _retire_now(session, current, actor, reason, active_grants, topic, "approved")
    current.retire_requested_at = None
    current.retire_requested_by = None
    current.retire_reason = None
    record_transition(
        session,
        current,
        action=Action.CATALOG_RETIRE,
        actor=actor,
        topic=topic,
        from_status=current.status,
        reason=reason.strip(),
        outcome="declined",
        extra=_grants(active_grants),
    )
    return current


def _retire_now(
    session: Session,
    current: Resource,
    actor: Principal,
    reason: str,
    active_grants: int | None,
    topic: str,
    outcome: str,
) -> Resource:
    now = utcnow()
    for version in session.scalars(select(Resource).where(Resource.code == current.code)):
        if version.status != Status.RETIRED:
            version.status = Status.RETIRED
            version.retired_at = now
    record_transition(
        session,
        current,
        action=Action.CATALOG_RETIRE,
        actor=actor,
        topic=topic,
        from_status=Status.PUBLISHED,
        reason=reason.strip(),
        outcome=outcome,
        extra=_grants(active_grants),
    )
    return current


def _grants(active_grants: int | None) -> dict[str, object]:
    return {"active_grants": "unknown" if active_grants is None else active_grants}


def _published(session: Session, code: str) -> list[Resource]:
    query = select(Resource).where(Resource.code == code, Resource.status == Status.PUBLISHED)
    return list(session.scalars(query))


def _expect(resource: Resource, allowed: tuple[Status, ...], doing: str) -> None:
    if resource.status not in allowed:
        wanted = "/".join(allowed)
        raise WrongStatus(
            f"{resource.code} 第 {resource.version} 版状态为 {resource.status}, "
            f"只有 {wanted} 状态可以{doing}",
            current_status=str(resource.status),
        )


def _require_reason(reason: str, message: str) -> None:
    if not reason.strip():
        raise InvalidResource([Problem("reason", message)])
