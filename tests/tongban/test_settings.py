"""Settings come from TONGBAN_* variables only when the composition root asks."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.errors import Invalid
from tongban.settings import Settings


def test_defaults_are_the_embedded_sqlite_file_and_regulation_deadlines() -> None:
    s = Settings.from_env({})
    assert s.resolved_database_url == "sqlite:///var/tongban.db"
    assert s.kafka_bootstrap == ""
    assert (s.review_days, s.reply_days, s.reply_publish_days) == (2, 5, 10)
    assert (s.objection_accept_days, s.objection_verify_days) == (2, 10)
    assert s.resolved_hub_key_file == Path("var/keys/hub.pem")


def test_environment_variables_override_each_typed_field() -> None:
    s = Settings.from_env(
        {
            "TONGBAN_DATABASE_URL": "postgresql+psycopg://db/x",
            "TONGBAN_PORT": "9001",
            "TONGBAN_EXCHANGE_BUDGET_S": "0.5",
            "TONGBAN_KEY_DIR": "/etc/tongban",
            "TONGBAN_CALENDAR_FILES": "/a/2027.yaml:/b/2028.yaml",
        }
    )
    assert s.resolved_database_url == "postgresql+psycopg://db/x"
    assert s.port == 9001
    assert s.exchange_budget_s == 0.5
    assert s.resolved_hub_key_file == Path("/etc/tongban/hub.pem")
    assert s.calendar_files == (Path("/a/2027.yaml"), Path("/b/2028.yaml"))


def test_a_malformed_number_is_refused_naming_the_variable() -> None:
    with pytest.raises(Invalid, match="TONGBAN_PORT='eighty'"):
        Settings.from_env({"TONGBAN_PORT": "eighty"})


def test_settings_are_frozen() -> None:
    s = Settings()
    with pytest.raises(AttributeError):
        s.port = 1  # type: ignore[misc]


def test_topics_carry_the_configured_prefix() -> None:
    assert Settings(topic_prefix="prod.").topic("exchange.requests") == "prod.exchange.requests"
