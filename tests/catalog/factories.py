"""Factories for catalog tests: a city with its authority and providers, principals, entries."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import ItemInput, ResourceInput, create_resource, publish_resource, submit_resource
from catalog.resources import Resource
from kit.actors import ROLE_REVIEWER, ROLE_STEWARD, USER, Principal
from kit.outbox import OutboxMessage
from tests import factories

TOPIC = "test.catalog.events"
_codes = itertools.count(1)


@dataclass(frozen=True)
class City:
    authority: str
    health: str
    police: str
    region: str = "330100"

    def steward(self, department: str | None = None) -> Principal:
        return user_principal(department or self.health, ROLE_STEWARD)

    def reviewer(self, department: str | None = None) -> Principal:
        return user_principal(department or self.authority, ROLE_REVIEWER)


def user_principal(department: str, *roles: str) -> Principal:
    return Principal(
        kind=USER, id=f"u-{next(_codes)}", department=department, roles=frozenset(roles)
    )


def city(session: Session, region: str = "330100") -> City:
    """A competent authority and two providers under it."""
    authority = factories.department(session, name="杭州市数据资源管理局", authority=True)
    health = factories.department(session, name="杭州市卫生健康委员会", parent=authority)
    police = factories.department(session, name="杭州市公安局", parent=authority)
    return City(authority=authority, health=health, police=police, region=region)


def birth_entry(provider: str, **changes: Any) -> ResourceInput:
    """出生医学证明信息: ids unconditional, the address conditional, Chinese labels."""
    items = (
        ItemInput(key="certificate_number"),
        ItemInput(key="newborn_name", share_type="无条件共享"),
        ItemInput(key="birth_time"),
        ItemInput(
            key="birth_place.address",
            share_type="有条件共享",
            conditions=("仅用于户籍登记业务办理",),
        ),
        ItemInput(key="mother.name"),
        ItemInput(key="mother.id_number"),
    )
    entry = ResourceInput(
        name="出生医学证明信息",
        category="105001",
        provider_code=provider,
        abstract="医疗机构签发的出生医学证明登记信息, 用于新生儿出生一件事联办",
        format="数据库",
        share_mode="接口",
        open_type="不予开放",
        update_cycle="实时",
        grade="重要",
        schema_id="health.birth_certificate",
        items=items,
    )
    return replace(entry, **changes)


def identity_entry(provider: str, **changes: Any) -> ResourceInput:
    """居民身份信息: name and id unconditional, address conditional."""
    entry = ResourceInput(
        name="居民身份信息",
        category="101001",
        provider_code=provider,
        abstract="常住人口居民身份证登记信息",
        format="database",
        share_mode="api",
        open_type="not_open",
        update_cycle="daily",
        grade="important",
        schema_id="person.identity",
        items=(
            ItemInput(key="name"),
            ItemInput(key="id_number"),
            ItemInput(
                key="address", share_type="conditional", conditions=("仅用于户籍登记业务办理",)
            ),
        ),
    )
    return replace(entry, **changes)


def published(session: Session, entry: ResourceInput, c: City) -> Resource:
    """Create, submit and publish ``entry`` as its provider's steward and the authority."""
    steward = c.steward(entry.provider_code)
    resource = create_resource(session, entry=entry, actor=steward, topic=TOPIC)
    submit_resource(session, code=resource.code, actor=steward, topic=TOPIC)
    return publish_resource(session, code=resource.code, actor=c.reviewer(), topic=TOPIC)


def outbox_types(session: Session, code: str, topic: str = TOPIC) -> list[str]:
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.topic == topic, OutboxMessage.key == code)
        .order_by(OutboxMessage.id)
    ).all()
    return [row.type for row in rows]
