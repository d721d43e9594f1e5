"""The command line round trip: add a department and a system, mint a token, call the API."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests import factories
from tests.conftest import make_client
from tongban.cli import app
from tongban.settings import Settings
from tongban.wiring import build_hub


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TONGBAN_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(settings.data_dir))
    return settings


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_system_added_by_the_cli_calls_the_api_with_a_token_it_signed(env, tmp_path) -> None:
    code = factories.department_code("330100")
    run(
        "department",
        "add",
        "--code",
        code,
        "--name",
        "杭州市公安局",
        "--level",
        "city",
        "--region",
        "330100",
    )
    key_file = tmp_path / "keys" / "household.pem"
    added = json.loads(
        run(
            "system",
            "add",
            "--department",
            code,
            "--name",
            "户籍系统",
            "--key-out",
            str(key_file),
            "--role",
            "provider",
            "--role",
            "requester",
            "--id",
            "hz-household",
        )
    )
    assert added["id"] == "hz-household"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    token = run("token", "--system", "hz-household", "--key", str(key_file)).strip()
    hub = build_hub(env)
    try:
        with make_client(hub) as client:
            me = client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["id"] == "hz-household"
        assert me.json()["roles"] == ["provider", "requester"]
    finally:
        hub.close()


def test_department_list_shows_what_was_added(env) -> None:
    code = factories.department_code("330100")
    run(
        "department",
        "add",
        "--code",
        code,
        "--name",
        "杭州市民政局",
        "--level",
        "city",
        "--region",
        "330100",
    )
    listed = json.loads(run("department", "list"))
    assert [d["name"] for d in listed if d["code"] == code] == ["杭州市民政局"]


def test_a_bad_department_code_fails_with_a_one_line_error(env) -> None:
    result = CliRunner().invoke(
        app,
        [
            "department",
            "add",
            "--code",
            "123",
            "--name",
            "x",
            "--level",
            "city",
            "--region",
            "330100",
        ],
    )
    assert result.exit_code == 2
    assert "InvalidDepartment" in result.stderr


def test_system_add_refuses_to_overwrite_an_existing_key_file(env, tmp_path: Path) -> None:
    existing = tmp_path / "k.pem"
    existing.write_text("keep me")
    result = CliRunner().invoke(
        app,
        [
            "system",
            "add",
            "--department",
            "x",
            "--name",
            "n",
            "--key-out",
            str(existing),
            "--role",
            "requester",
        ],
    )
    assert result.exit_code == 2
    assert existing.read_text() == "keep me"


def test_db_upgrade_reports_the_revision(env) -> None:
    assert "is at heads" in run("db", "upgrade")
