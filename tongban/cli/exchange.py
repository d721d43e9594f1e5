"""Exchanges at the command line: verify a stored signed payload; show and list exchanges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from exchange import get_exchange, list_exchanges
from exchange.runtime import detail, summary
from kit.actors import OPERATOR, ROLE_AUDITOR, Principal
from kit.crypto import b64url_decode
from tongban.cli.common import emit, fail, hub_session
from tongban.client import (
    HubClient,
    HubError,
    VerificationFailed,
    check_answer,
    signed_payload_of,
    verify_with_keys,
)

exchange = typer.Typer(help="Exchanges (数据调用).", no_args_is_help=True)

# The operator reads exchanges as an auditor does: everything but the data itself.
READER = Principal(kind=OPERATOR, id="cli", department=None, roles=frozenset({ROLE_AUDITOR}))


def _read(file: Path) -> tuple[str, dict[str, Any] | None]:
    """The compact JWS in FILE, and the exchange answer around it when FILE holds one."""
    text = file.read_text(encoding="utf-8").strip()
    if not text.startswith("{"):
        return text, None
    answer = json.loads(text)
    return signed_payload_of(answer), answer


def _unverified_claims(token: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(token.split(".")[1]))
    except (IndexError, ValueError) as exc:
        raise VerificationFailed("not a compact JWS") from exc
    return value if isinstance(value, dict) else {}


@exchange.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="a signed payload, or an exchange answer (JSON)")],
    jwks: Annotated[Path | None, typer.Option(help="a JWKS file to verify against")] = None,
    hub: Annotated[str | None, typer.Option(help="a hub's URL: use its published keys")] = None,
) -> None:
    """Verify a provider's signed payload offline (--jwks) or against the hub's published
    keys of the provider department (--hub). Exit status 1 when it does not verify."""
    if (jwks is None) == (hub is None):
        fail("give exactly one of --jwks FILE or --hub URL")
    if not file.is_file():
        fail(f"no file at {file}")
    try:
        token, answer = _read(file)
        if jwks is not None:
            keys = json.loads(jwks.read_text(encoding="utf-8")).get("keys", [])
        else:
            department = str(_unverified_claims(token).get("provider_code"))
            keys = HubClient(str(hub)).department_jwks(department)
        claims = verify_with_keys(token, keys)
        if answer is not None:
            check_answer(answer, claims)
    except (VerificationFailed, HubError, ValueError, OSError) as exc:
        typer.echo(f"NOT VERIFIED: {exc}", err=True)
        raise typer.Exit(1) from exc
    emit({"verified": True, "claims": claims})


@exchange.command("show")
def show(exchange_id: Annotated[str, typer.Argument(help="exchange id")]) -> None:
    """One exchange with its provenance (the data itself stays with the requester)."""
    with hub_session() as (_, session):
        emit(detail(get_exchange(session, exchange_id, viewer=READER), with_data=False))


@exchange.command("list")
def list_(
    department: Annotated[str | None, typer.Option(help="requester department code")] = None,
    system: Annotated[str | None, typer.Option(help="requester system id")] = None,
    status: Annotated[str | None, typer.Option(help="PENDING, FULFILLED, FAILED, ...")] = None,
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 50,
) -> None:
    """Exchanges, newest first."""
    with hub_session() as (_, session):
        page = list_exchanges(
            session,
            viewer=READER,
            department=department,
            system=system,
            status=status,
            limit=limit,
        )
        emit([summary(e) for e in page.exchanges])


def register(app: typer.Typer) -> None:
    app.add_typer(exchange, name="exchange")
