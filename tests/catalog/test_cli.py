"""``tongban catalog``: seed, export and import over the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tongban.cli import app
from tongban.settings import Settings


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TONGBAN_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TONGBAN_TOPIC_PREFIX", settings.topic_prefix)
    return settings


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_seed_then_search_and_lookup_from_the_command_line(env: Settings) -> None:
    seeded = json.loads(run("catalog", "seed"))
    assert len(seeded["resources"]) == 20
    found = json.loads(run("catalog", "search", "出生医学证明"))
    assert found["resources"][0]["code"] == "105001/000001"
    hits = json.loads(run("catalog", "lookup", "person.identity#name"))
    assert hits[0]["resource_code"] == "101001/000001"


def test_an_exported_catalog_cannot_be_imported_twice_and_nothing_is_stored(
    env: Settings, tmp_path: Path
) -> None:
    run("catalog", "seed")
    out = tmp_path / "catalog.xlsx"
    run("catalog", "export", str(out))
    output = run("catalog", "import", str(out), code=2)
    assert "工作表「信息资源」第 2 行「信息资源代码」" in output
    assert "已被使用" in output


def test_import_with_publish_publishes_as_the_operator(env: Settings, tmp_path: Path) -> None:
    seeded = json.loads(run("catalog", "seed"))
    police = seeded["departments"]["police"]
    doc = tmp_path / "more.json"
    entry = {
        "code": "101001/000099",
        "name": "居民身份证有效期信息",
        "category": "101001",
        "provider_code": police,
        "abstract": "证件有效期",
        "format": "数据库",
        "share_mode": "接口",
        "open_type": "不予开放",
        "update_cycle": "每日",
        "grade": "一般",
        "schema_id": "person.identity",
        "items": ["id_number", "valid_from", "valid_until"],
    }
    doc.write_text(json.dumps([entry], ensure_ascii=False), "utf-8")
    assert json.loads(run("catalog", "import", str(doc), "--publish"))["published"] is True
    shown = json.loads(run("catalog", "show", "101001/000099"))
    assert [i["key"] for i in shown["items"]] == ["id_number", "valid_from", "valid_until"]
