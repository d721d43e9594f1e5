"""``tongban agent --system ID --config FILE``: serves until SIGTERM or SIGINT and then stops
cleanly; refuses to start, naming the resource and properties, when a mapping falls short."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from exchange.agent import FOUND
from exchange.runtime import Topics
from tests import factories
from tests.exchange.agent_helpers import (
    CSV_SOURCE,
    MAPPING_YAML,
    X_ID,
    read_topic,
    request,
    write_config,
    write_csv,
)
from tongban.cli import app
from tongban.wiring import Hub

pytestmark = pytest.mark.kafka


@pytest.fixture
def system(session: Session) -> factories.SystemKeyPair:
    return factories.system(session, factories.department(session), roles=("provider",))


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_agent_answers_then_stops_cleanly_on_a_signal(
    hub: Hub, system: factories.SystemKeyPair, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    write_csv(tmp_path / "people.csv")
    prefix = hub.settings.topic_prefix
    config = write_config(tmp_path, system, bootstrap="", prefix=prefix, source=CSV_SOURCE)
    env = {**os.environ, "TONGBAN_KAFKA_BOOTSTRAP": hub.settings.kafka_bootstrap}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tongban", "agent", "--system", system.id, "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        topics = Topics(prefix)
        assert hub.bus is not None
        hub.bus.publish(
            topics.requests(system.department), b"k", request(system.department, X_ID).to_bytes()
        )
        hub.bus.flush()
        [reply] = read_topic(hub.bus, topics.replies, 1, timeout=60)
        proc.send_signal(stop_signal)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert reply.payload["outcome"] == FOUND
    assert proc.returncode == 0, output
    assert "agent stopped." in output


def test_the_agent_command_refuses_a_mapping_that_misses_a_required_property(
    system: factories.SystemKeyPair, tmp_path: Path
) -> None:
    write_csv(tmp_path / "people.csv")
    without = MAPPING_YAML.replace('  valid_from: {from: YXQQ, steps: [{date: "%Y%m%d"}]}\n', "")
    assert without != MAPPING_YAML
    config = write_config(
        tmp_path, system, bootstrap="127.0.0.1:1", prefix="t.", source=CSV_SOURCE, mapping=without
    )
    result = CliRunner().invoke(app, ["agent", "--system", system.id, "--config", str(config)])
    assert result.exit_code == 2
    assert "AgentConfigInvalid" in result.output
    assert "101001/000123" in result.output
    assert "valid_from" in result.output


def test_the_agent_command_refuses_a_configuration_of_another_system(
    system: factories.SystemKeyPair, tmp_path: Path
) -> None:
    write_csv(tmp_path / "people.csv")
    config = write_config(tmp_path, system, bootstrap="127.0.0.1:1", prefix="t.", source=CSV_SOURCE)
    result = CliRunner().invoke(app, ["agent", "--system", "other", "--config", str(config)])
    assert result.exit_code == 2
    assert f"the configuration is for system {system.id}, not other" in result.output


def test_the_agent_command_reports_an_unreachable_kafka(
    system: factories.SystemKeyPair, tmp_path: Path
) -> None:
    write_csv(tmp_path / "people.csv")
    config = write_config(tmp_path, system, bootstrap="127.0.0.1:1", prefix="t.", source=CSV_SOURCE)
    result = CliRunner().invoke(app, ["agent", "--system", system.id, "--config", str(config)])
    assert result.exit_code == 2
    assert "Unavailable: Kafka at 127.0.0.1:1 is unreachable" in result.output
