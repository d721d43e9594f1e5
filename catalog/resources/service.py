"""Drafting entries and reading them back. Services never commit.

A resource is one row per version. Reads: :func:`latest` (any status, for stewards),
:func:`published_resource` (what requesters may apply for), :func:`versions`, :func:`history`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit import Action
from catalog.departments.models import Department
from catalog.resources.access import ensure_steward
from catalog.resources.errors import (
    CodeTaken,
    InvalidResource,
    NameTaken,
    Problem,
    ResourceImmutable,
    ResourceNotFound,
    ResourceNotPublished,
)
from catalog.resources.events import record_transition
from catalog.resources.index import touch
from catalog.resources.inputs import ResourceInput
from catalog.resources.models import (
    Resource,
    ResourceCode,
    ResourceItem,
    ResourceTransition,
    Status,
)
from catalog.resources.rules import check, entry_share_condition, entry_share_type
from kit.actors import Principal
from kit.db import new_id

EDITABLE = (Status.DRAFT, Status.RETURNED)


def create_resource(
    session: Session, *, entry: ResourceInput, actor: Principal, topic: str
) -> Resource:
    """Register a new entry as a DRAFT, version 1, reserving its code forever."""
    clean = check(entry)
    ensure_steward(actor, clean.provider_code, "登记目录")
    provider = _provider(session, clean.provider_code)
    code = clean.code or next_code(session, clean.category)
    if session.get(ResourceCode, code) is not None:
        raise CodeTaken(f"信息资源代码 {code} 已被使用, 代码不得重复或复用", field="code")
    _ensure_name_free(session, clean.provider_code, clean.name, code)
    resource = Resource(id=new_id(), code=code, version=1, status=Status.DRAFT, created_by=actor.id)
    _fill(resource, replace(clean, code=code), provider)
    session.add(ResourceCode(code=code, provider_code=clean.provider_code))
    session.add(resource)
    session.flush()
    record_transition(
        session, resource, action=Action.CATALOG_CREATE, actor=actor, topic=topic, from_status=None
    )
    return resource


def update_draft(
    session: Session, *, code: str, entry: ResourceInput, actor: Principal, topic: str
) -> Resource:
    """Replace the content of the latest version while it is DRAFT or RETURNED."""
    resource = latest(session, code)
    ensure_steward(actor, resource.provider_code, "修改目录")
    if resource.status not in EDITABLE:
        raise ResourceImmutable(
            f"{code} 第 {resource.version} 版状态为 {resource.status}, 不能修改; "
            "已发布的版本不可变更, 请先创建修订版本"
        )
    clean = check(replace(entry, code=entry.code or code))
    if clean.code != code:
        raise InvalidResource([Problem("code", "信息资源代码不能修改")])
    if clean.provider_code != resource.provider_code:
        raise InvalidResource([Problem("provider_code", "提供方不能修改")])
    _ensure_name_free(session, clean.provider_code, clean.name, code)
    resource.items.clear()
    session.flush()
    _fill(resource, clean, _provider(session, clean.provider_code))
    session.flush()
    record_transition(
        session,
        resource,
        action=Action.CATALOG_UPDATE,
        actor=actor,
        topic=topic,
        from_status=resource.status,
    )
    return resource


def next_code(session: Session, category: str) -> str:
    """The next free 顺序码 under ``category`` (codes ever reserved count as used)."""
    used = session.scalar(
        select(func.max(ResourceCode.code)).where(ResourceCode.code.startswith(f"{category}/"))
    )
    serial = int(used.rpartition("/")[2]) + 1 if used else 1
    return f"{category}/{serial:06d}"


def _provider(session: Session, code: str) -> Department:
    provider = session.get(Department, code)
    if provider is None:
        raise InvalidResource([Problem("provider_code", f"提供方 {code} 不是已登记的部门")])
    return provider


def _ensure_name_free(session: Session, provider_code: str, name: str, code: str) -> None:
    other = session.scalar(
        select(Resource.code)
        .where(
            Resource.provider_code == provider_code,
            Resource.name == name,
            Resource.code != code,
            Resource.status != Status.RETIRED,
        )
        .limit(1)
    )
    if other is not None:
        raise NameTaken(f"提供方已有名为「{name}」的信息资源 ({other})", field="name")


def _fill(resource: Resource, clean: ResourceInput, provider: Department) -> None:
    """Copy a checked entry onto ``resource`` (whose items are empty)."""
    resource.name = clean.name
    resource.provider_code = clean.provider_code
    resource.category = clean.category
    resource.abstract = clean.abstract
    resource.format = clean.format
    resource.share_type = entry_share_type(i.share_type for i in clean.items)
    resource.share_condition = entry_share_condition(clean.items)
    resource.share_mode = clean.share_mode
    resource.open_type = clean.open_type
    resource.update_cycle = clean.update_cycle
    resource.grade = clean.grade
    resource.related = list(clean.related)
    resource.schema_id = clean.schema_id
    resource.schema_version = clean.schema_version
    resource.published_on = clean.published_on
    for position, item in enumerate(clean.items):
        resource.items.append(
            ResourceItem(
                position=position,
                key=item.key,
                name=item.name,
                data_type=item.data_type,
                length=item.length,
                share_type=item.share_type,
                conditions=list(item.conditions),
                legal_basis=item.legal_basis,
                personal=bool(item.personal),
                sensitive=bool(item.sensitive),
                element=f"{clean.schema_id}#{item.key}",
            )
        )
    resource.search_text = search_text(resource, provider.name)


def search_text(resource: Resource, provider_name: str) -> str:
    """What search matches: name, code, abstract, item names and keys, provider name."""
    parts = [resource.name, resource.code, resource.abstract, provider_name]
    parts += [f"{i.name} {i.key}" for i in resource.items]
    return "\n".join(parts).lower()


def reindex(session: Session, *, provider: str | None = None) -> int:
    """Recompute ``search_text`` of every version (of one provider's entries, if given), e.g.
    after a department is renamed or rows were loaded in bulk; returns how many changed."""
    names = {row[0]: row[1] for row in session.execute(select(Department.code, Department.name))}
    query = select(Resource)
    if provider:
        query = query.where(Resource.provider_code == provider)
    changed = 0
    for resource in session.scalars(query):
        text = search_text(resource, names.get(resource.provider_code, ""))
        if resource.search_text != text:
            resource.search_text = text
            changed += 1
    session.flush()
    touch(session)
    return changed


def latest(session: Session, code: str) -> Resource:
    """The newest version of ``code``, whatever its status."""
    resource = session.scalar(
        select(Resource).where(Resource.code == code).order_by(Resource.version.desc()).limit(1)
    )
    if resource is None:
        raise ResourceNotFound(f"没有代码为 {code} 的信息资源")
    return resource


def get_version(session: Session, code: str, version: int) -> Resource:
    resource = session.scalar(
        select(Resource).where(Resource.code == code, Resource.version == version)
    )
    if resource is None:
        raise ResourceNotFound(f"信息资源 {code} 没有第 {version} 版")
    return resource


def published_resource(session: Session, code: str, version: int | None = None) -> Resource:
    """The current PUBLISHED version (or the given one, if it was published and not retired).

    Raises :class:`ResourceNotFound` or :class:`ResourceNotPublished`."""
    if version is not None:
        resource = get_version(session, code, version)
        if resource.status != Status.PUBLISHED:
            raise ResourceNotPublished(f"{code} 第 {version} 版未发布 (状态 {resource.status})")
        return resource
    current = session.scalar(
        select(Resource).where(
            Resource.code == code,
            Resource.status == Status.PUBLISHED,
            Resource.superseded.is_(False),
        )
    )
    if current is None:
        latest(session, code)  # 404 when the code is unknown
        raise ResourceNotPublished(f"信息资源 {code} 没有已发布的版本")
    return current


def versions(session: Session, code: str) -> Sequence[Resource]:
    found = session.scalars(
        select(Resource).where(Resource.code == code).order_by(Resource.version)
    ).all()
    if not found:
        raise ResourceNotFound(f"没有代码为 {code} 的信息资源")
    return found


def history(session: Session, code: str) -> Sequence[ResourceTransition]:
    """Every transition of every version, oldest first (who, which department, when, why)."""
    latest(session, code)
    return session.scalars(
        select(ResourceTransition)
        .where(ResourceTransition.code == code)
        .order_by(ResourceTransition.id)
    ).all()


def china_today() -> date:
    """The calendar date in China (发布日期 is a Beijing-time date)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()
