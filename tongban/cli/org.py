"""Departments, systems, keys, users, and tokens for trying the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from catalog import (
    add_department,
    add_system,
    add_user,
    get_system,
    list_departments,
    list_systems,
    rotate_key,
)
from kit.actors import operator
from kit.crypto import generate_key, load_private_key, public_jwk, write_private_key
from tongban.auth import system_token
from tongban.cli.common import emit, fail, hub_session, settings

department = typer.Typer(help="Departments (部门).", no_args_is_help=True)
system = typer.Typer(help="Department systems and their keys.", no_args_is_help=True)
user = typer.Typer(
    help="Human users (stewards, reviewers, auditors, admins).", no_args_is_help=True
)


@department.command("add")
def department_add(
    code: Annotated[str, typer.Option(help="统一社会信用代码 (18 characters)")],
    name: Annotated[str, typer.Option(help="Chinese name")],
    level: Annotated[str, typer.Option(help="national | province | city | county")],
    region: Annotated[str, typer.Option(help="GB/T 2260 division code")],
    authority: Annotated[bool, typer.Option(help="a competent authority (共享主管部门)")] = False,
    parent: Annotated[str | None, typer.Option(help="parent authority's code")] = None,
) -> None:
    """Register a department."""
    with hub_session() as (_, session):
        d = add_department(
            session,
            code=code,
            name=name,
            level=level,
            region=region,
            is_authority=authority,
            parent_code=parent,
            actor=operator(),
        )
        emit({"code": d.code, "name": d.name, "level": d.level, "region": d.region})


@department.command("list")
def department_list() -> None:
    """List departments."""
    with hub_session() as (_, session):
        emit(
            [
                {
                    "code": d.code,
                    "name": d.name,
                    "level": d.level,
                    "region": d.region,
                    "authority": d.is_authority,
                }
                for d in list_departments(session)
            ]
        )


@system.command("add")
def system_add(
    department: Annotated[str, typer.Option(help="owning department's code")],
    name: Annotated[str, typer.Option(help="the system's name")],
    key_out: Annotated[Path, typer.Option(help="where to write the new private key (0600)")],
    role: Annotated[list[str], typer.Option(help="requester and/or provider")],
    id: Annotated[str | None, typer.Option(help="system id (generated if absent)")] = None,
) -> None:
    """Register a system: generate its Ed25519 key pair, keep the public key, write the
    private key to KEY_OUT."""
    if key_out.exists():
        fail(f"{key_out} exists; refusing to overwrite a private key")
    key = generate_key()
    with hub_session() as (_, session):
        s = add_system(
            session,
            department_code=department,
            name=name,
            roles=role,
            public_jwk=public_jwk(key),
            system_id=id,
            actor=operator(),
        )
        write_private_key(key_out, key)
        emit(
            {
                "id": s.id,
                "department": s.department_code,
                "roles": s.roles,
                "kid": public_jwk(key)["kid"],
                "private_key": str(key_out),
            }
        )


@system.command("list")
def system_list(department: Annotated[str | None, typer.Option()] = None) -> None:
    """List systems and their keys."""
    with hub_session() as (_, session):
        emit(
            [
                {
                    "id": s.id,
                    "department": s.department_code,
                    "name": s.name,
                    "roles": s.roles,
                    "enabled": s.enabled,
                    "keys": [k.kid for k in s.keys if k.retired_at is None],
                }
                for s in list_systems(session, department_code=department)
            ]
        )


@system.command("rotate-key")
def system_rotate_key(
    id: Annotated[str, typer.Option(help="system id")],
    key_out: Annotated[Path, typer.Option(help="where to write the new private key (0600)")],
    keep_old: Annotated[bool, typer.Option(help="keep accepting the old key too")] = False,
) -> None:
    """Generate a new key for a system; the old one stops being accepted unless --keep-old."""
    if key_out.exists():
        fail(f"{key_out} exists; refusing to overwrite a private key")
    key = generate_key()
    with hub_session() as (_, session):
        get_system(session, id)
        k = rotate_key(
            session,
            system_id=id,
            public_jwk=public_jwk(key),
            retire_old=not keep_old,
            actor=operator(),
        )
        write_private_key(key_out, key)
        emit({"id": id, "kid": k.kid, "private_key": str(key_out)})


@user.command("add")
def user_add(
    username: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    department: Annotated[str, typer.Option()],
    role: Annotated[list[str], typer.Option(help="steward | reviewer | auditor | admin")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Add a human user (the password is stored only as an argon2 hash)."""
    with hub_session() as (_, session):
        u = add_user(
            session,
            username=username,
            name=name,
            department_code=department,
            roles=role,
            password=password,
            actor=operator(),
        )
        emit({"id": u.id, "username": u.username, "roles": u.roles})


def token(
    system: Annotated[str, typer.Option(help="system id")],
    key: Annotated[Path, typer.Option(help="the system's private key file")],
    lifetime: Annotated[int, typer.Option(help="seconds (at most 300)")] = 120,
) -> None:
    """Print a fresh bearer token signed with the system's key (for curl)."""
    if not key.is_file():
        fail(f"no key file at {key}")
    private = load_private_key(key)
    typer.echo(system_token(system, private, audience=settings().hub_id, lifetime_s=lifetime))


def jwk(key: Annotated[Path, typer.Argument(help="a private key file")]) -> None:
    """Print the public JWK of a private key file."""
    typer.echo(json.dumps(public_jwk(load_private_key(key))))


def register(app: typer.Typer) -> None:
    app.add_typer(department, name="department")
    app.add_typer(system, name="system")
    app.add_typer(user, name="user")
    app.command("token")(token)
    app.command("jwk")(jwk)
