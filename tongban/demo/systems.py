"""The demo departments' systems at the hub and the provider agents' configuration.

Every provider department gets one provider system (``demo-<dept>-agent``) that its agent
runs as; four departments get a requester system for the one-thing scenario they handle.
Each key pair is generated once; the private key is kept under ``<demo>/keys/`` (0600) and
its public key registered. Seeding again finds the system and its key and changes nothing;
a key file that went missing is replaced by rotating the system's key.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import SystemNotFound, User, add_system, add_user, get_system, rotate_key
from kit.actors import ROLE_PROVIDER, ROLE_REQUESTER, ROLE_REVIEWER, USER, Principal
from kit.crypto import (
    Ed25519PrivateKey,
    generate_key,
    load_private_key,
    public_jwk,
    write_private_key,
)
from kit.files import replace_text
from tongban.demo.sources import Holding

MAPPINGS = Path(__file__).parent / "mappings"
REVIEWER = "demo-reviewer"


@dataclass(frozen=True)
class SystemSpec:
    id: str
    department: str  # key in the demo catalog
    name: str
    role: str
    scenario: str | None = None


REQUESTERS = (
    SystemSpec("demo-police-household", "police", "户政管理系统", ROLE_REQUESTER, "newborn-birth"),
    SystemSpec(
        "demo-market-licensing", "market", "登记许可系统", ROLE_REQUESTER, "open-restaurant"
    ),
    SystemSpec("demo-civil-funeral", "civil", "殡葬管理服务系统", ROLE_REQUESTER, "after-death"),
    SystemSpec("demo-hrss-retirement", "hrss", "退休审批系统", ROLE_REQUESTER, "retirement"),
)


def provider_spec(department: str) -> SystemSpec:
    return SystemSpec(f"demo-{department}-agent", department, "数据共享前置系统", ROLE_PROVIDER)


def ensure_system(
    session: Session,
    spec: SystemSpec,
    *,
    department_code: str,
    name: str,
    keys: Path,
    actor: Principal,
) -> Path:
    """The system registered with the key in ``keys/<id>.pem`` (made when missing)."""
    key_file = keys / f"{spec.id}.pem"
    key = _key(key_file)
    jwk = public_jwk(key)
    try:
        system = get_system(session, spec.id)
    except SystemNotFound:
        add_system(
            session,
            department_code=department_code,
            name=f"{name}{spec.name}",
            roles=[spec.role],
            public_jwk=jwk,
            system_id=spec.id,
            actor=actor,
        )
        return key_file
    if all(k.kid != jwk["kid"] or k.retired_at is not None for k in system.keys):
        rotate_key(session, system_id=spec.id, public_jwk=jwk, actor=actor)
    return key_file


def _key(path: Path) -> Ed25519PrivateKey:
    if path.is_file():
        return load_private_key(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = generate_key()
    write_private_key(path, key)
    return key


def ensure_reviewer(session: Session, *, authority: str, keys: Path, actor: Principal) -> Principal:
    """The competent authority's reviewer (a user); a new password goes to keys/users.json."""
    user = session.scalar(select(User).where(User.username == REVIEWER))
    if user is None:
        password = secrets.token_urlsafe(12)
        user = add_user(
            session,
            username=REVIEWER,
            name="数据资源管理局审核员",
            department_code=authority,
            roles=[ROLE_REVIEWER],
            password=password,
            actor=actor,
        )
        _write_secret(keys / "users.json", {REVIEWER: password})
    return Principal(
        kind=USER,
        id=user.id,
        department=user.department_code,
        roles=frozenset(user.roles),
        name=user.name,
    )


def _write_secret(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    current: dict[str, str] = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({**current, **values}, out, indent=2)
    os.chmod(path, 0o600)


def agent_config(
    holding: Holding, *, system_id: str, department_code: str, resources: list[str]
) -> dict[str, Any]:
    """The agent's configuration (docs/agent.md format) for the resources it serves; paths
    are relative to the agents folder."""
    served: dict[str, Any] = {}
    for code in resources:
        spec = holding.serves[code]
        served[code] = {
            "schema": spec.schema,
            "source": spec.source,
            "mapping": f"mappings/{spec.mapping}",
            **({"key": spec.key} if spec.key else {}),
        }
    return {
        "system_id": system_id,
        "department_code": department_code,
        "key_file": f"../keys/{system_id}.pem",
        "state_file": f"state/{holding.department}.db",
        # The embedded broker answers a held fetch late, by up to half the wait: 20 ms keeps
        # the first hop short for a small idle cost (docs/agent.md, "Latency and idle cost").
        "fetch_wait_ms": 20,
        "resources": served,
    }


def write_agent_files(agents: Path, holding: Holding, config: dict[str, Any]) -> Path:
    """The agent's YAML file and its mapping files, each written only when it changed."""
    (agents / "state").mkdir(parents=True, exist_ok=True)
    for spec in holding.serves.values():
        write_if_changed(
            agents / "mappings" / spec.mapping, (MAPPINGS / spec.mapping).read_text("utf-8")
        )
    path = agents / f"{holding.department}.yaml"
    header = f"# {holding.department}: the provider agent of the demo (tongban demo seed)\n"
    text = header + yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    write_if_changed(path, text)
    return path


def write_if_changed(path: Path, text: str) -> bool:
    if path.is_file() and path.read_text("utf-8") == text:
        return False
    replace_text(path, text)
    return True
