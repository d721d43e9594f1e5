"""Use cases for departments, systems, keys and users. Services never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from audit import record
from catalog.departments.errors import (
    DepartmentExists,
    DepartmentNotFound,
    InvalidDepartment,
    InvalidSystem,
    LoginFailed,
    SystemExists,
    SystemNotFound,
    UserExists,
    UserNotFound,
)
from catalog.departments.models import LEVELS, Department, System, SystemKey, UsedTokenId, User
from kit.actors import SYSTEM_ROLES, USER_ROLES, Principal
from kit.crypto import jwk_thumbprint, public_key_from_jwk
from kit.db import insert_if_absent, new_id, table_of, utcnow
from schemas import is_division_code, is_uscc

_hasher = PasswordHasher()


def add_department(
    session: Session,
    *,
    code: str,
    name: str,
    level: str,
    region: str,
    is_authority: bool = False,
    parent_code: str | None = None,
    actor: Principal,
) -> Department:
    code = code.strip().upper()
    if not is_uscc(code):
        raise InvalidDepartment(
            f"department code {code!r} is not a valid 统一社会信用代码 (GB 32100)"
        )
    if level not in LEVELS:
        raise InvalidDepartment(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if not is_division_code(region):
        raise InvalidDepartment(f"region {region!r} is not a known GB/T 2260 division code")
    if not name.strip():
        raise InvalidDepartment("name must not be empty")
    if session.get(Department, code) is not None:
        raise DepartmentExists(f"department {code} is already registered")
    if parent_code is not None:
        get_department(session, parent_code)
    department = Department(
        code=code,
        name=name.strip(),
        level=level,
        region=region,
        is_authority=is_authority,
        parent_code=parent_code,
    )
    session.add(department)
    session.flush()
    record(session, action="department:add", actor=actor, refs={"department": code})
    return department


def get_department(session: Session, code: str) -> Department:
    department = session.get(Department, code)
    if department is None:
        raise DepartmentNotFound(f"no department with code {code}")
    return department


def list_departments(session: Session) -> Sequence[Department]:
    return session.scalars(select(Department).order_by(Department.code)).all()


def authority_for(session: Session, department_code: str) -> Department | None:
    """The same-level competent authority (共享主管部门) for a department: the department
    itself if it is one, else the nearest authority among its parents, else any authority
    of the same region."""
    department: Department | None = get_department(session, department_code)
    while department is not None:
        if department.is_authority:
            return department
        department = session.get(Department, department.parent_code or "")
    region = get_department(session, department_code).region
    return session.scalar(
        select(Department).where(Department.is_authority, Department.region == region).limit(1)
    )


def _check_jwk(jwk: dict[str, Any]) -> dict[str, Any]:
    public_key_from_jwk(jwk)
    clean = {k: jwk[k] for k in ("kty", "crv", "x")}
    return {**clean, "kid": jwk_thumbprint(clean), "alg": "EdDSA", "use": "sig"}


def add_system(
    session: Session,
    *,
    department_code: str,
    name: str,
    roles: Sequence[str],
    public_jwk: dict[str, Any],
    actor: Principal,
    system_id: str | None = None,
    callback_url: str | None = None,
) -> System:
    get_department(session, department_code)
    bad = set(roles) - SYSTEM_ROLES
    if not roles or bad:
        raise InvalidSystem(f"system roles must be among {sorted(SYSTEM_ROLES)}; got {list(roles)}")
    system_id = system_id or f"sys-{new_id()[:12]}"
    if session.get(System, system_id) is not None:
        raise SystemExists(f"system {system_id} is already registered")
    jwk = _check_jwk(public_jwk)
    if session.get(SystemKey, jwk["kid"]) is not None:
        raise InvalidSystem(f"key {jwk['kid']} is already registered to a system")
    system = System(
        id=system_id,
        department_code=department_code,
        name=name,
        roles=sorted(set(roles)),
        callback_url=callback_url,
    )
    session.add(system)
    session.add(SystemKey(kid=jwk["kid"], system_id=system_id, jwk=jwk))
    session.flush()
    refs = {"system": system_id, "department": department_code, "kid": jwk["kid"]}
    record(session, action="system:add", actor=actor, refs=refs)
    return system


def get_system(session: Session, system_id: str) -> System:
    system = session.get(System, system_id)
    if system is None:
        raise SystemNotFound(f"no system with id {system_id}")
    return system


def list_systems(session: Session, *, department_code: str | None = None) -> Sequence[System]:
    query = select(System).order_by(System.id)
    if department_code:
        query = query.where(System.department_code == department_code)
    return session.scalars(query).all()


def rotate_key(
    session: Session,
    *,
    system_id: str,
    public_jwk: dict[str, Any],
    actor: Principal,
    retire_old: bool = True,
) -> SystemKey:
    """Register a new key for a system; by default the old keys stop being accepted."""
    system = get_system(session, system_id)
    jwk = _check_jwk(public_jwk)
    if session.get(SystemKey, jwk["kid"]) is not None:
        raise InvalidSystem(f"key {jwk['kid']} is already registered")
    now = utcnow()
    retired = []
    if retire_old:
        for key in system.keys:
            if key.retired_at is None:
                key.retired_at = now
                retired.append(key.kid)
    key = SystemKey(kid=jwk["kid"], system_id=system_id, jwk=jwk)
    session.add(key)
    session.flush()
    refs = {"system": system_id, "kid": jwk["kid"], "retired": ",".join(retired)}
    record(session, action="system:rotate-key", actor=actor, refs=refs)
    return key


def set_system_enabled(
    session: Session, *, system_id: str, enabled: bool, actor: Principal
) -> System:
    system = get_system(session, system_id)
    system.enabled = enabled
    action = "system:enable" if enabled else "system:disable"
    record(session, action=action, actor=actor, refs={"system": system_id})
    return system


def active_key(session: Session, kid: str) -> SystemKey | None:
    key = session.get(SystemKey, kid)
    if key is None or key.retired_at is not None:
        return None
    return key


def department_jwks(session: Session, department_code: str) -> list[dict[str, Any]]:
    """The active public keys of a department's systems (to verify provider signatures)."""
    get_department(session, department_code)
    rows = session.scalars(
        select(SystemKey)
        .join(System)
        .where(System.department_code == department_code, SystemKey.retired_at.is_(None))
        .order_by(SystemKey.created_at)
    ).all()
    return [{**k.jwk, "system": k.system_id} for k in rows]


@dataclass(frozen=True)
class KeyHolder:
    """An active key and the system holding it: what checking a system's token needs."""

    kid: str
    jwk: dict[str, Any]
    system_id: str
    department_code: str
    name: str
    roles: frozenset[str]
    enabled: bool


# Read for every system token and every signed reply, so built once, on the tables (a
# statement of the mapped classes' attributes takes the ORM's slower path).
_KEYS, _SYSTEMS = table_of(SystemKey), table_of(System)
_HOLDER_COLUMNS = (
    _KEYS.c.kid,
    _KEYS.c.jwk,
    _SYSTEMS.c.id,
    _SYSTEMS.c.department_code,
    _SYSTEMS.c.name,
    _SYSTEMS.c.roles,
    _SYSTEMS.c.enabled,
)
_ACTIVE_KEYS = select(*_HOLDER_COLUMNS).join(_SYSTEMS, _SYSTEMS.c.id == _KEYS.c.system_id)
_KEY_HOLDER = _ACTIVE_KEYS.where(_KEYS.c.kid == bindparam("kid_ref"), _KEYS.c.retired_at.is_(None))
# Several at once (the signers of a batch of replies): an expanding IN costs a little more to
# run than the equality, so one key is still read with the statement above.
_KEY_HOLDERS = _ACTIVE_KEYS.where(
    _KEYS.c.kid.in_(bindparam("kid_refs", expanding=True)), _KEYS.c.retired_at.is_(None)
)


def key_holder(session: Session | Connection, kid: str) -> KeyHolder | None:
    """The active (not retired) key ``kid`` and its system, read in one query; None if there
    is no such key or it was retired. ``session`` may be a plain connection (see
    :func:`kit.db.reading_rows`)."""
    row = session.execute(_KEY_HOLDER, {"kid_ref": kid}).one_or_none()
    return None if row is None else _holder(*row)


def key_holders(session: Session | Connection, kids: Iterable[str]) -> dict[str, KeyHolder]:
    """:func:`key_holder` for several keys in one query: the active ones among ``kids``, by
    kid (a kid that is unknown or retired is absent)."""
    wanted = sorted(set(kids))
    if len(wanted) <= 1:
        found = key_holder(session, wanted[0]) if wanted else None
        return {} if found is None else {found.kid: found}
    rows = session.execute(_KEY_HOLDERS, {"kid_refs": wanted})
    return {row[0]: _holder(*row) for row in rows}


def _holder(
    kid: str,
    jwk: dict[str, Any],
    system_id: str,
    department_code: str,
    name: str,
    roles: list[str] | None,
    enabled: bool,
) -> KeyHolder:
    return KeyHolder(
        kid=kid,
        jwk=dict(jwk),
        system_id=system_id,
        department_code=department_code,
        name=name,
        roles=frozenset(roles or ()),
        enabled=bool(enabled),
    )


def remember_token_id(
    session: Session, *, jti: str, system_id: str, expires_at: datetime, prune: bool = True
) -> bool:
    """Record a token id; False if it was seen before (a replay). With ``prune``, the ids of
    expired tokens are deleted too (a caller may do that only now and then: an expired id
    left a while longer still refuses its token, which is refused as expired anyway)."""
    if prune:
        session.execute(delete(UsedTokenId).where(UsedTokenId.expires_at < utcnow()))
    return insert_if_absent(
        session, UsedTokenId, {"jti": jti, "system_id": system_id, "expires_at": expires_at}
    )


def add_user(
    session: Session,
    *,
    username: str,
    name: str,
    department_code: str,
    roles: Sequence[str],
    password: str,
    actor: Principal,
) -> User:
    get_department(session, department_code)
    bad = set(roles) - USER_ROLES
    if not roles or bad:
        raise InvalidDepartment(f"user roles must be among {sorted(USER_ROLES)}; got {list(roles)}")
    if len(password) < 8:
        raise InvalidDepartment("the password must have at least 8 characters")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise UserExists(f"user {username!r} already exists")
    user = User(
        id=new_id(),
        username=username,
        name=name,
        department_code=department_code,
        roles=sorted(set(roles)),
        password_hash=_hasher.hash(password),
    )
    session.add(user)
    session.flush()
    refs = {"user": user.id, "department": department_code}
    record(session, action="user:add", actor=actor, refs=refs)
    return user


def check_login(session: Session, *, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    try:
        if user is None or not _hasher.verify(user.password_hash, password):
            raise LoginFailed("unknown user or wrong password")
    except (VerificationError, InvalidHashError) as exc:
        raise LoginFailed("unknown user or wrong password") from exc
    if not user.enabled:
        raise LoginFailed("this user is disabled")
    return user


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"no user with id {user_id}")
    return user
