"""The citizens' side for trying the hub: the demo identity provider (its key pair and
tokens), offline verification of consent receipts, and the consent expiry job.

Subject id convention: the identity provider's token carries ``sub`` = the holder's
18-character resident ID number (a person) or USCC (a company's own account); the hub maps
it to ``person:<sub>`` / ``company:<sub>`` (see ``consent.citizen_subject``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from consent import ReceiptInvalid, expire_due, verify_receipt
from kit.crypto import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
    generate_key,
    jws_header,
    load_private_key,
    private_key_from_pem,
    public_jwk,
    public_key_from_jwk,
    public_key_from_pem,
    write_private_key,
)
from kit.errors import Invalid
from schemas import is_resident_id, is_uscc
from tongban.auth import citizen_token
from tongban.cli.common import emit, fail, hub_session, settings
from tongban.settings import Settings

citizen = typer.Typer(
    help="Citizens: the demo identity provider, tokens, consent receipts.", no_args_is_help=True
)
IDP_KEY_FILE = "idp.pem"


def idp_key_path(s: Settings) -> Path:
    return s.resolved_key_dir / IDP_KEY_FILE


def ensure_idp(s: Settings) -> Ed25519PrivateKey:
    """The demo identity provider's key: generated (mode 0600, under the key dir) if absent,
    its public key added to the JWKS the hub trusts (``resolved_idp_jwks_file``)."""
    path = idp_key_path(s)
    if not path.is_file():
        write_private_key(path, generate_key())
    key = load_private_key(path)
    jwks_path = s.resolved_idp_jwks_file
    jwks: dict[str, Any] = {"keys": []}
    if jwks_path.is_file():
        jwks = json.loads(jwks_path.read_text("utf-8"))
    jwk = public_jwk(key)
    if all(k.get("kid") != jwk["kid"] for k in jwks.get("keys", [])):
        jwks["keys"] = [*jwks.get("keys", []), jwk]
        jwks_path.parent.mkdir(parents=True, exist_ok=True)
        jwks_path.write_text(json.dumps(jwks, indent=2), "utf-8")
    return key


@citizen.command("idp-init")
def idp_init() -> None:
    """Create the demo identity provider's key pair if absent and publish its JWKS."""
    s = settings()
    key = ensure_idp(s)
    emit(
        {
            "issuer": s.idp_issuer,
            "kid": public_jwk(key)["kid"],
            "private_key": str(idp_key_path(s)),
            "jwks": str(s.resolved_idp_jwks_file),
        }
    )


@citizen.command("token")
def token(
    id: Annotated[str, typer.Option(help="resident ID number (or a company's USCC)")],
    name: Annotated[str, typer.Option(help="the holder's name")] = "",
    lifetime: Annotated[int, typer.Option(help="seconds")] = 900,
) -> None:
    """Mint a citizen token with the demo identity provider's key (for curl)."""
    s = settings()
    ident = id.strip().upper()
    if not (is_resident_id(ident) or is_uscc(ident)):
        fail("--id must be a valid resident ID number or USCC")
    path = idp_key_path(s)
    if not path.is_file():
        fail(f"no identity provider key at {path}; run `tongban citizen idp-init` first")
    key = load_private_key(path)
    typer.echo(
        citizen_token(
            ident, key, issuer=s.idp_issuer, audience=s.hub_id, lifetime_s=lifetime, name=name
        )
    )


def _public_key(path: Path, receipt: str) -> Ed25519PublicKey:
    """The hub's public key from a JWKS (picked by the receipt's kid), a JWK or a PEM."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"{"):
        doc = json.loads(data)
        keys = doc.get("keys", [doc])
        kid = jws_header(receipt).get("kid")
        for jwk in keys:
            if jwk.get("kid") == kid:
                return public_key_from_jwk(jwk)
        raise Invalid(f"no key with kid {kid} in {path}")
    if b"PRIVATE KEY" in data:
        return private_key_from_pem(data).public_key()
    return public_key_from_pem(data)


@citizen.command("verify-receipt")
def verify(
    file: Annotated[Path, typer.Argument(help="a file holding the receipt (compact JWS)")],
    key: Annotated[Path, typer.Option(help="hub.jwks.json, or the hub's public key PEM")],
) -> None:
    """Verify a consent receipt offline with the hub's public key; print what it holds."""
    receipt = file.read_text("utf-8").strip()
    try:
        payload = verify_receipt(receipt, _public_key(key, receipt))
    except (ReceiptInvalid, Invalid, ValueError) as exc:
        typer.echo(f"receipt does NOT verify: {exc}", err=True)
        raise typer.Exit(1) from exc
    emit(payload)
    typer.echo("receipt verifies with the hub's key", err=True)


@citizen.command("expire-due")
def expire() -> None:
    """Mark consents whose validity ended as EXPIRED (idempotent; run it periodically)."""
    with hub_session() as (_, session):
        emit({"expired": expire_due(session)})


def register(app: typer.Typer) -> None:
    app.add_typer(citizen, name="citizen")
