"""``tongban citizen``: the demo identity provider, tokens the API accepts, offline receipt
verification, and the expiry job."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consent import issue_receipt
from kit.crypto import public_pem
from kit.db import transaction, utcnow
from tests.conftest import make_client
from tests.consent import factories as f
from tongban.cli import app
from tongban.cli.citizen import idp_key_path
from tongban.settings import Settings
from tongban.wiring import Hub


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TONGBAN_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(settings.data_dir))
    return settings


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout


def test_idp_init_writes_a_private_key_0600_and_the_jwks_the_hub_trusts(env: Settings) -> None:
    out = json.loads(run("citizen", "idp-init"))
    key = idp_key_path(env)
    assert out["private_key"] == str(key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    jwks = json.loads(env.resolved_idp_jwks_file.read_text("utf-8"))
    assert [k["kid"] for k in jwks["keys"]] == [out["kid"]]
    assert "d" not in jwks["keys"][0]


def test_idp_init_keeps_an_existing_key(env: Settings) -> None:
    first = json.loads(run("citizen", "idp-init"))
    second = json.loads(run("citizen", "idp-init"))
    assert first["kid"] == second["kid"]
    assert len(json.loads(env.resolved_idp_jwks_file.read_text("utf-8"))["keys"]) == 1


def test_a_minted_citizen_token_is_accepted_by_the_api(env: Settings, hub: Hub) -> None:
    run("citizen", "idp-init")
    ident = f.adult_id()
    token = run("citizen", "token", "--id", ident, "--name", "张伟").strip()
    with make_client(hub) as client:
        response = client.get("/v1/me/consents", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == []


def test_a_token_for_something_that_is_no_id_number_is_refused(env: Settings) -> None:
    run("citizen", "idp-init")
    run("citizen", "token", "--id", "12345", code=2)


def test_a_token_needs_the_identity_provider_first(env: Settings) -> None:
    run("citizen", "token", "--id", f.adult_id(), code=2)


@pytest.fixture
def receipt_file(env: Settings, hub: Hub, tmp_path: Path) -> Path:

    with transaction(hub.factory) as session:
        consent = f.given(session, f.person(f.adult_id()))
        token = issue_receipt(
            session, consent_id=consent.id, key=hub.hub_key.private, kid=hub.hub_key.kid
        )
    path = tmp_path / "receipt.jws"
    path.write_text(token, "utf-8")
    return path


def test_verify_receipt_accepts_the_hub_jwks(receipt_file: Path, env: Settings) -> None:
    jwks = env.resolved_hub_key_file.with_suffix(".jwks.json")
    payload = json.loads(run("citizen", "verify-receipt", str(receipt_file), "--key", str(jwks)))
    assert payload["record"]["state"] == "GIVEN"


def test_verify_receipt_accepts_the_hub_public_pem(
    receipt_file: Path, hub: Hub, tmp_path: Path
) -> None:
    pem = tmp_path / "hub.pub.pem"
    pem.write_bytes(public_pem(hub.hub_key.public))
    run("citizen", "verify-receipt", str(receipt_file), "--key", str(pem))


def test_verify_receipt_fails_when_one_byte_changes(
    receipt_file: Path, hub: Hub, tmp_path: Path
) -> None:
    pem = tmp_path / "hub.pub.pem"
    pem.write_bytes(public_pem(hub.hub_key.public))
    token = receipt_file.read_text("utf-8")
    at = len(token) // 3
    receipt_file.write_text(token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :])
    result = CliRunner().invoke(
        app, ["citizen", "verify-receipt", str(receipt_file), "--key", str(pem)]
    )
    assert result.exit_code == 1
    assert "does NOT verify" in result.stderr


def test_expire_due_marks_ended_consents(env: Settings, hub: Hub) -> None:
    earlier = utcnow() - timedelta(hours=2)
    with transaction(hub.factory) as session:
        consent = f.given(
            session, f.person(f.adult_id()), at=earlier, valid_until=earlier + timedelta(hours=1)
        )
    assert json.loads(run("citizen", "expire-due")) == {"expired": [consent.id]}
    assert json.loads(run("citizen", "expire-due")) == {"expired": []}
