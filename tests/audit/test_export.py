"""Export the stored log, verify it offline, and catch a changed byte: service and CLI."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from audit import export_log
from audit.export_format import CHECKPOINTS, LEAVES, PUBLIC_KEY, VERIFIER_KEY
from audit.verify import verify_export
from kit.db import transaction
from tests.audit.appending import append
from tongban.audit_worker import checkpoint_once, checkpointer_for
from tongban.cli import app
from tongban.settings import Settings
from tongban.wiring import Hub


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TONGBAN_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(settings.data_dir))
    return settings


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _key_file(hub: Hub, tmp_path: Path) -> Path:
    """The log's verifier key as the auditor keeps it, apart from any export."""
    path = tmp_path / "hub.vkey"
    path.write_text(checkpointer_for(hub).verifier_key + "\n", encoding="ascii")
    return path


def _rewrite_leaf(directory: Path, index: int, change: bytes, to: bytes) -> None:
    """Replace ``change`` by ``to`` inside the leaf bytes of line ``index`` (re-encoded)."""
    path = directory / LEAVES
    lines = path.read_bytes().splitlines(keepends=True)
    line = json.loads(lines[index])
    data = base64.b64decode(line["leaf"])
    assert change in data
    line["leaf"] = base64.b64encode(data.replace(change, to, 1)).decode("ascii")
    lines[index] = json.dumps(line, separators=(",", ":")).encode() + b"\n"
    path.write_bytes(b"".join(lines))


def test_an_export_holds_the_signed_leaves_and_verifies_with_the_hub_key(
    hub: Hub, tmp_path: Path
) -> None:
    append(hub, 12)
    checkpoint_once(hub)
    append(hub, 3)  # not yet signed: left out
    checkpointer = checkpointer_for(hub)
    with transaction(hub.factory) as s:
        summary = export_log(
            s, tmp_path / "out", public_key=checkpointer.public_key, name=checkpointer.origin
        )
    names = {p.name for p in summary.directory.iterdir()}
    assert names == {LEAVES, CHECKPOINTS, PUBLIC_KEY, VERIFIER_KEY}
    assert (summary.leaves, summary.checkpoints) == (12, 1)
    report = verify_export(summary.directory, public_key=checkpointer.verifier_key)
    assert report.ok, report.findings
    assert (report.leaves, report.verified_size, report.root) == (12, 12, summary.root)


def test_the_cli_signs_exports_and_verifies_a_log_offline(
    env: Settings, hub: Hub, tmp_path: Path
) -> None:
    append(hub, 7)
    exported = cli("audit", "export", str(tmp_path / "export"))
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout)["leaves"] == 7
    verified = cli(
        "audit", "verify", str(tmp_path / "export"), "--key", str(_key_file(hub, tmp_path))
    )
    assert verified.exit_code == 0, verified.output
    assert "OK: every leaf and every checkpoint verifies" in verified.stdout


def test_verify_needs_no_database(
    env: Settings, hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    append(hub, 3)
    assert cli("audit", "export", str(tmp_path / "export")).exit_code == 0
    monkeypatch.setenv("TONGBAN_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("TONGBAN_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    verified = cli("audit", "verify", str(tmp_path / "export"))
    assert verified.exit_code == 0, verified.output


def test_a_changed_byte_in_the_export_fails_verification_naming_the_leaf(
    env: Settings, hub: Hub, tmp_path: Path
) -> None:
    append(hub, 6)
    out = tmp_path / "export"
    assert cli("audit", "export", str(out)).exit_code == 0
    _rewrite_leaf(out, 3, b'{"action"', b'{"Action"')
    verified = cli("audit", "verify", str(out), "--key", str(_key_file(hub, tmp_path)))
    assert verified.exit_code == 1
    assert "TAMPERED: leaf-modified at leaf index 3" in verified.stdout


def test_a_rewritten_leaf_is_located_between_the_checkpoints_around_it(
    env: Settings, hub: Hub, tmp_path: Path
) -> None:
    for _ in range(3):
        append(hub, 2)
        checkpoint_once(hub)
    out = tmp_path / "export"
    assert cli("audit", "export", str(out)).exit_code == 0
    _rewrite_leaf(out, 3, b'"outcome":"ok"', b'"outcome":"no"')
    verified = cli("audit", "verify", str(out), "--json")
    assert verified.exit_code == 1
    report = json.loads(verified.stdout)
    (finding,) = report["findings"]
    assert (finding["kind"], finding["index"], finding["end"]) == ("root-mismatch", 2, 4)
    assert report["verified_size"] == 2


def test_an_export_older_than_a_kept_checkpoint_is_caught(
    env: Settings, hub: Hub, tmp_path: Path
) -> None:
    append(hub, 4)
    assert cli("audit", "export", str(tmp_path / "old")).exit_code == 0
    append(hub, 4)
    signed = cli("audit", "checkpoint")
    assert signed.exit_code == 0, signed.output
    kept = tmp_path / "kept.note"
    kept.write_text(json.loads(signed.stdout)["note"], encoding="utf-8")
    verified = cli("audit", "verify", str(tmp_path / "old"), "--checkpoint", str(kept))
    assert verified.exit_code == 1
    assert "rollback" in verified.stdout


def test_verify_refuses_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    result = cli("audit", "verify", str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert "is not a directory" in result.output
