"""Plain factories for the application, grant and objection tests.

``world(session)`` registers a competent authority, a requesting and a providing department
(same region), their systems and users, another region's department and authority (for the
"not yours" cases), and one PUBLISHED resource with unconditional, conditional and not-shared
items, inserted directly as rows.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import LeafView, entries
from catalog import Resource, ResourceItem
from exchange.applications import ApplicationInput, Deadlines, review, start_review, submit
from exchange.applications.models import Application
from kit.actors import USER, Principal
from kit.calendar import WorkCalendar
from kit.crypto import generate_key, load_private_key, public_jwk, write_private_key
from kit.db import new_id, transaction
from kit.events import Envelope
from kit.outbox import OutboxMessage
from schemas import make_resident_id
from tests import factories
from tests.factories import SystemKeyPair
from tongban.auth import citizen_token

CAL = WorkCalendar()
RULES = Deadlines()
TOPIC = "t.exchange.applications"
GRANT_TOPIC = "t.exchange.grants"
OBJECTION_TOPIC = "t.exchange.objections"
CST = timezone(timedelta(hours=8))
UNTIL = date(2027, 12, 31)
_codes = itertools.count(1)

CONDITIONS = ("仅用于本人办理的业务", "须经本人授权")
NOT_SHARED_BASIS = "《居民身份证法》第六条: 指纹信息不予共享"
ITEMS: tuple[dict[str, Any], ...] = (
    {"key": "name", "name": "姓名", "share_type": "unconditional", "personal": True},
    {"key": "sex", "name": "性别", "share_type": "unconditional", "personal": True},
    {"key": "birth_date", "name": "出生日期", "share_type": "conditional", "personal": True},
    {"key": "address", "name": "住址", "share_type": "conditional", "personal": True},
    {"key": "fingerprint", "name": "指纹", "share_type": "not_shared", "personal": True},
    {"key": "region", "name": "户籍地区划", "share_type": "unconditional", "personal": False},
)


def at(day: date, hour: int = 10) -> datetime:
    """An instant on ``day`` at ``hour`` o'clock Beijing time, as UTC."""
    return datetime.combine(day, time(hour), CST).astimezone(UTC)


def resident_id(seq: int = 1) -> str:
    return make_resident_id("330102", date(1990, 3, 7), seq, "1")


def user_principal(department: str, role: str) -> Principal:
    """A user as services see one (no row: services never look users up)."""
    return Principal(kind=USER, id=new_id(), department=department, roles=frozenset({role}))


def login(client: Any, hub: Any, department: str, role: str) -> dict[str, str]:
    """A real user of ``department`` with ``role``, logged in through the API."""
    with transaction(hub.factory) as session:
        username, password = factories.user(session, department, roles=(role,))
    token = client.post("/v1/auth/login", json={"username": username, "password": password})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def citizen_headers(settings: Any, number: str) -> dict[str, str]:
    """A token from the identity provider the hub trusts (its JWKS is written on first use;
    write it before the app is created)."""
    path = settings.resolved_idp_jwks_file
    key_file = path.with_suffix(".pem")
    if not key_file.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private_key(key_file, generate_key())
        jwks = {"keys": [public_jwk(load_private_key(key_file))]}
        path.write_text(json.dumps(jwks), encoding="utf-8")
    token = citizen_token(
        number,
        load_private_key(key_file),
        issuer=settings.idp_issuer,
        audience=settings.hub_id,
    )
    return {"Authorization": f"Bearer {token}"}


def add_resource(
    session: Session,
    provider: str,
    *,
    items: Sequence[dict[str, Any]] = ITEMS,
    code: str | None = None,
    version: int = 1,
    status: str = "PUBLISHED",
) -> Resource:
    """A resource row with its items, inserted directly (the catalog's workflow is not run)."""
    code = code or f"101001/{next(_codes):06d}"
    resource = Resource(
        id=new_id(),
        code=code,
        version=version,
        status=status,
        name=f"人口基本信息{code}",
        provider_code=provider,
        category="101001",
        abstract="居民身份基本信息",
        format="服务接口",
        share_type="conditional",
        share_condition="; ".join(CONDITIONS),
        share_mode="接口",
        open_type="不予开放",
        update_cycle="实时",
        grade="一般",
        related=[],
        schema_id="person.identity",
        schema_version="1.0.0",
        published_on=date(2025, 8, 1),
        created_by="test",
    )
    for position, spec in enumerate(items):
        kind = spec["share_type"]
        resource.items.append(
            ResourceItem(
                position=position,
                key=spec["key"],
                name=spec["name"],
                data_type="C",
                share_type=kind,
                conditions=list(CONDITIONS) if kind == "conditional" else [],
                legal_basis=NOT_SHARED_BASIS if kind == "not_shared" else "",
                personal=spec.get("personal", False),
                sensitive=False,
                element=f"person.identity#{spec['key']}",
            )
        )
    session.add(resource)
    session.flush()
    return resource


@dataclass
class World:
    authority: str
    requester: str
    provider: str
    other: str
    other_authority: str
    asking: SystemKeyPair  # requester system
    asking_too: SystemKeyPair  # a second requester system of the same department
    answering: SystemKeyPair  # provider system
    stranger: SystemKeyPair  # a requester system of another region's department
    stranger_provider: SystemKeyPair
    reviewer: Principal
    other_reviewer: Principal
    resource: Resource
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def requester_system(self) -> Principal:
        return _system_principal(self.asking, "requester")

    @property
    def provider_system(self) -> Principal:
        return _system_principal(self.answering, "provider")

    @property
    def stranger_system(self) -> Principal:
        return _system_principal(self.stranger, "requester")

    @property
    def stranger_provider_system(self) -> Principal:
        return _system_principal(self.stranger_provider, "provider")


def _system_principal(pair: SystemKeyPair, role: str) -> Principal:
    return Principal(kind="system", id=pair.id, department=pair.department, roles=frozenset({role}))


def world(session: Session) -> World:
    authority = factories.department(session, name="市数据管理局", authority=True)
    requester = factories.department(session, name="市卫生健康委员会", parent=authority)
    provider = factories.department(session, name="市公安局", parent=authority)
    other_authority = factories.department(
        session, name="宁波市大数据发展管理局", region="330200", authority=True
    )
    other = factories.department(
        session, name="宁波市民政局", region="330200", parent=other_authority
    )
    return World(
        authority=authority,
        requester=requester,
        provider=provider,
        other=other,
        other_authority=other_authority,
        asking=factories.system(session, requester, roles=("requester",)),
        asking_too=factories.system(session, requester, roles=("requester",)),
        answering=factories.system(session, provider, roles=("provider",)),
        stranger=factories.system(session, other, roles=("requester",)),
        stranger_provider=factories.system(session, other, roles=("provider",)),
        reviewer=user_principal(authority, "reviewer"),
        other_reviewer=user_principal(other_authority, "reviewer"),
        resource=add_resource(session, provider),
    )


def application_input(
    w: World, items: Sequence[str] = ("name", "sex"), **changes: Any
) -> ApplicationInput:
    values: dict[str, Any] = {
        "resource_code": w.resource.code,
        "items": tuple(items),
        "duty_basis": "《母婴保健法》第二十三条: 出生医学证明签发",
        "scenario": "新生儿出生一件事: 核验父母身份",
        "purpose": "newborn-birth",
        "share_mode": "接口",
        "valid_until": UNTIL,
        "expected_volume": 1000,
        "frequency_per_day": 3,
        "statutory_duty": False,
    }
    values.update(changes)
    return ApplicationInput(**values)


def submitted(
    session: Session,
    w: World,
    items: Sequence[str] = ("name", "sex"),
    *,
    when: datetime,
    **changes: Any,
) -> Application:
    return submit(
        session,
        actor=w.requester_system,
        application=application_input(w, items, **changes),
        deadlines=RULES,
        calendar=CAL,
        topic=TOPIC,
        at=when,
    )


def passed(
    session: Session,
    w: World,
    items: Sequence[str] = ("name", "sex"),
    *,
    when: datetime,
    **changes: Any,
) -> Application:
    """Submitted, taken up and passed by the authority on ``when``."""
    app = submitted(session, w, items, when=when, **changes)
    start_review(session, application_id=app.id, actor=w.reviewer, topic=TOPIC, at=when)
    return review(
        session,
        application_id=app.id,
        actor=w.reviewer,
        decision="pass",
        deadlines=RULES,
        calendar=CAL,
        topic=TOPIC,
        at=when,
    )


def leaves(session: Session, action: str, **refs: str) -> list[LeafView]:
    return list(entries(session, actions=[action], refs=refs or None, limit=1000))


def outbox(session: Session, topic: str, *, key: str | None = None) -> list[Envelope]:
    query = select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
    if key:
        query = query.where(OutboxMessage.key == key)
    return [Envelope.from_bytes(m.body) for m in session.scalars(query).all()]
