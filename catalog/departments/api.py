"""HTTP routes for departments, systems, keys and users."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from catalog.departments import service
from catalog.departments.models import LEVELS, Department, System
from kit.actors import ROLE_ADMIN, Principal
from kit.web import DbSession, require

router = APIRouter(tags=["departments"])
Admin = Annotated[Principal, require(ROLE_ADMIN)]
Anyone = Annotated[Principal, require()]


class DepartmentIn(BaseModel):
    code: str = Field(description="统一社会信用代码, 18 characters", min_length=18, max_length=18)
    name: str = Field(min_length=1, max_length=200)
    level: str = Field(description=f"one of {', '.join(LEVELS)}")
    region: str = Field(description="GB/T 2260 division code", pattern=r"^\d{6}$")
    is_authority: bool = False
    parent_code: str | None = None


class DepartmentOut(BaseModel):
    code: str
    name: str
    level: str
    region: str
    is_authority: bool
    parent_code: str | None

    @classmethod
    def of(cls, d: Department) -> DepartmentOut:
        return cls(
            code=d.code,
            name=d.name,
            level=d.level,
            region=d.region,
            is_authority=d.is_authority,
            parent_code=d.parent_code,
        )


class SystemIn(BaseModel):
    department_code: str
    name: str = Field(min_length=1, max_length=200)
    roles: list[str] = Field(description="requester and/or provider")
    public_jwk: dict[str, Any] = Field(description="Ed25519 public key as an OKP JWK")
    id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")
    callback_url: str | None = None


class KeyOut(BaseModel):
    kid: str
    created_at: datetime
    retired_at: datetime | None


class SystemOut(BaseModel):
    id: str
    department_code: str
    name: str
    roles: list[str]
    enabled: bool
    keys: list[KeyOut]

    @classmethod
    def of(cls, s: System) -> SystemOut:
        keys = [KeyOut(kid=k.kid, created_at=k.created_at, retired_at=k.retired_at) for k in s.keys]
        return cls(
            id=s.id,
            department_code=s.department_code,
            name=s.name,
            roles=list(s.roles),
            enabled=s.enabled,
            keys=keys,
        )


class KeyIn(BaseModel):
    public_jwk: dict[str, Any]
    retire_old: bool = True


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=100)
    name: str = Field(min_length=1, max_length=100)
    department_code: str
    roles: list[str]
    password: str = Field(min_length=8)


class UserOut(BaseModel):
    id: str
    username: str
    name: str
    department_code: str
    roles: list[str]


class WhoAmI(BaseModel):
    kind: str
    id: str
    department: str | None
    roles: list[str]
    name: str


@router.get("/v1/whoami", response_model=WhoAmI)
def whoami(who: Anyone) -> WhoAmI:
    """The authenticated caller, as the hub sees it."""
    return WhoAmI(
        kind=who.kind, id=who.id, department=who.department, roles=sorted(who.roles), name=who.name
    )


@router.get("/v1/departments", response_model=list[DepartmentOut])
def list_departments(session: DbSession, _: Anyone) -> list[DepartmentOut]:
    return [DepartmentOut.of(d) for d in service.list_departments(session)]


@router.post("/v1/departments", response_model=DepartmentOut, status_code=201)
def add_department(body: DepartmentIn, session: DbSession, who: Admin) -> DepartmentOut:
    return DepartmentOut.of(service.add_department(session, actor=who, **body.model_dump()))


@router.get("/v1/departments/{code}", response_model=DepartmentOut)
def get_department(code: str, session: DbSession, _: Anyone) -> DepartmentOut:
    return DepartmentOut.of(service.get_department(session, code))


@router.get("/v1/departments/{code}/jwks")
def department_jwks(code: str, session: DbSession) -> dict[str, list[dict[str, Any]]]:
    """The active public keys of the department's systems: anyone may verify its signatures."""
    return {"keys": service.department_jwks(session, code)}


@router.get("/v1/systems", response_model=list[SystemOut])
def list_systems(
    session: DbSession, _: Admin, department: Annotated[str | None, Query()] = None
) -> list[SystemOut]:
    return [SystemOut.of(s) for s in service.list_systems(session, department_code=department)]


@router.post("/v1/systems", response_model=SystemOut, status_code=201)
def add_system(body: SystemIn, session: DbSession, who: Admin) -> SystemOut:
    system = service.add_system(
        session,
        department_code=body.department_code,
        name=body.name,
        roles=body.roles,
        public_jwk=body.public_jwk,
        system_id=body.id,
        callback_url=body.callback_url,
        actor=who,
    )
    return SystemOut.of(system)


@router.get("/v1/systems/{system_id}", response_model=SystemOut)
def get_system(system_id: str, session: DbSession, _: Admin) -> SystemOut:
    return SystemOut.of(service.get_system(session, system_id))


@router.post("/v1/systems/{system_id}/keys", response_model=KeyOut, status_code=201)
def rotate_key(system_id: str, body: KeyIn, session: DbSession, who: Admin) -> KeyOut:
    key = service.rotate_key(
        session,
        system_id=system_id,
        public_jwk=body.public_jwk,
        retire_old=body.retire_old,
        actor=who,
    )
    return KeyOut(kid=key.kid, created_at=key.created_at, retired_at=key.retired_at)


@router.post("/v1/systems/{system_id}/disable", response_model=SystemOut)
def disable_system(system_id: str, session: DbSession, who: Admin) -> SystemOut:
    system = service.set_system_enabled(session, system_id=system_id, enabled=False, actor=who)
    return SystemOut.of(system)


@router.post("/v1/systems/{system_id}/enable", response_model=SystemOut)
def enable_system(system_id: str, session: DbSession, who: Admin) -> SystemOut:
    system = service.set_system_enabled(session, system_id=system_id, enabled=True, actor=who)
    return SystemOut.of(system)


@router.post("/v1/users", response_model=UserOut, status_code=201)
def add_user(body: UserIn, session: DbSession, who: Admin) -> UserOut:
    user = service.add_user(session, actor=who, **body.model_dump())
    return UserOut(
        id=user.id,
        username=user.username,
        name=user.name,
        department_code=user.department_code,
        roles=list(user.roles),
    )
