"""Plain factory functions for tests: departments, systems with keys, users, tokens."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy.orm import Session

from catalog import add_department, add_system, add_user
from kit.actors import ROLE_ADMIN, Principal, operator
from kit.crypto import Ed25519PrivateKey, generate_key, public_jwk
from schemas import make_uscc
from tongban.auth import system_token

_serial = itertools.count(1)
ADMIN = operator("test")


def department_code(region: str = "330100") -> str:
    """A valid 统一社会信用代码 for a government organ (机构编制 1, 机关 1)."""
    return make_uscc(region, next(_serial), authority="1", entity_type="1")


def department(
    session: Session,
    *,
    name: str = "测试部门",
    region: str = "330100",
    level: str = "city",
    authority: bool = False,
    parent: str | None = None,
) -> str:
    code = department_code(region)
    add_department(
        session,
        code=code,
        name=name,
        level=level,
        region=region,
        is_authority=authority,
        parent_code=parent,
        actor=ADMIN,
    )
    return code


@dataclass(frozen=True)
class SystemKeyPair:
    id: str
    department: str
    key: Ed25519PrivateKey

    def token(self, audience: str = "tongban-hub", lifetime_s: int = 120) -> str:
        return system_token(self.id, self.key, audience=audience, lifetime_s=lifetime_s)

    def headers(self, audience: str = "tongban-hub") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(audience)}"}

    @property
    def principal(self) -> Principal:
        return Principal(kind="system", id=self.id, department=self.department)


def system(
    session: Session,
    department_code: str,
    *,
    roles: tuple[str, ...] = ("requester",),
    system_id: str | None = None,
) -> SystemKeyPair:
    key = generate_key()
    s = add_system(
        session,
        department_code=department_code,
        name="测试系统",
        roles=list(roles),
        public_jwk=public_jwk(key),
        system_id=system_id,
        actor=ADMIN,
    )
    return SystemKeyPair(id=s.id, department=department_code, key=key)


def user(
    session: Session,
    department_code: str,
    *,
    roles: tuple[str, ...] = (ROLE_ADMIN,),
    username: str | None = None,
    password: str = "correct-horse-battery",
) -> tuple[str, str]:
    """Add a user; return (username, password)."""
    name = username or f"user{next(_serial)}"
    add_user(
        session,
        username=name,
        name="测试用户",
        department_code=department_code,
        roles=list(roles),
        password=password,
        actor=ADMIN,
    )
    return name, password
