"""The agent configuration file: defaults from the environment, paths from the file's folder,
inline or file mappings, and unknown or missing keys refused by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from exchange.agent import AgentConfigInvalid, KeyRule, load_config, parse_config
from tests.exchange.agent_helpers import MAPPING_YAML, RESOURCE
from tongban.agent import load_mapping


def document(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "system_id": "sys1",
        "department_code": "11330100MB0000001X",
        "key_file": "keys/sys1.pem",
        "resources": {
            RESOURCE: {
                "schema": "person.identity",
                "source": {"type": "csv", "path": "people.csv", "key_column": "SFZH"},
                "mapping": "identity.yaml",
            }
        },
    }
    data.update(changes)
    return data


def test_what_the_file_leaves_out_comes_from_the_environment_defaults(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(yaml.safe_dump(document()), encoding="utf-8")
    config = load_config(path, kafka_bootstrap="kafka:9092", topic_prefix="prod.")
    assert (config.kafka_bootstrap, config.topic_prefix) == ("kafka:9092", "prod.")
    assert config.key_file == tmp_path / "keys" / "sys1.pem"
    assert config.state_file == tmp_path / "agent-sys1.db"
    assert (config.max_attempts, config.reply_retention_days) == (3, 30)
    assert config.fetch_wait_ms is None  # the Kafka adapter's default
    resource = config.resources[RESOURCE]
    assert resource.mapping == tmp_path / "identity.yaml"
    assert (resource.schema_id, resource.schema_version, resource.version) == (
        "person.identity",
        None,
        None,
    )


def test_the_file_wins_over_the_environment(tmp_path: Path) -> None:
    data = document(kafka_bootstrap="a:1", topic_prefix="x.", state_file="/srv/agent.db")
    config = parse_config(data, base_dir=tmp_path, kafka_bootstrap="b:2", topic_prefix="y.")
    assert (config.kafka_bootstrap, config.topic_prefix) == ("a:1", "x.")
    assert config.state_file == Path("/srv/agent.db")


def test_a_fetch_wait_is_read_from_the_file(tmp_path: Path) -> None:
    for wait in (1, 20, 5000):
        config = parse_config(
            document(fetch_wait_ms=wait), base_dir=tmp_path, kafka_bootstrap="k:1"
        )
        assert config.fetch_wait_ms == wait


def test_a_schema_version_and_a_short_key_are_read(tmp_path: Path) -> None:
    data = document()
    data["resources"][RESOURCE].update(schema="person.identity@1.0.0", key="person", version=2)
    resource = parse_config(data, base_dir=tmp_path, kafka_bootstrap="k:1").resources[RESOURCE]
    assert (resource.schema_id, resource.schema_version, resource.version) == (
        "person.identity",
        "1.0.0",
        2,
    )
    assert resource.key == KeyRule(subject="person")


def test_an_inline_mapping_is_checked_like_a_file(tmp_path: Path) -> None:
    data = document()
    data["resources"][RESOURCE]["mapping"] = yaml.safe_load(MAPPING_YAML)
    resource = parse_config(data, base_dir=tmp_path, kafka_bootstrap="k:1").resources[RESOURCE]
    assert "ethnicity" in load_mapping(resource).properties


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (document(kafka="k:1"), "unknown keys ['kafka']"),
        (document(department_code=""), "department_code is missing"),
        (document(resources={}), "names no resources"),
        (document(max_attempts=0), "max_attempts must be a whole number from 1"),
        (document(fetch_wait_ms=0), "fetch_wait_ms must be a whole number of milliseconds"),
        (document(fetch_wait_ms=5001), "from 1 to 5000"),
        (document(fetch_wait_ms="20"), "fetch_wait_ms must be a whole number"),
        (document(fetch_wait_ms=True), "fetch_wait_ms must be a whole number"),
    ],
)
def test_a_wrong_configuration_is_refused_by_name(
    tmp_path: Path, data: dict[str, Any], named: str
) -> None:
    with pytest.raises(AgentConfigInvalid) as refused:
        parse_config(data, base_dir=tmp_path, kafka_bootstrap="k:1")
    assert named in refused.value.detail


def test_a_key_rule_with_an_unknown_case_is_refused(tmp_path: Path) -> None:
    data = document()
    data["resources"][RESOURCE]["key"] = {"subject": "person", "case": "title"}
    with pytest.raises(AgentConfigInvalid, match="key case"):
        parse_config(data, base_dir=tmp_path, kafka_bootstrap="k:1")


def test_without_a_kafka_bootstrap_the_agent_cannot_start(tmp_path: Path) -> None:
    with pytest.raises(AgentConfigInvalid, match="TONGBAN_KAFKA_BOOTSTRAP"):
        parse_config(document(), base_dir=tmp_path)


def test_a_mapping_for_an_unknown_schema_is_refused_naming_the_resource(tmp_path: Path) -> None:
    data = document()
    data["resources"][RESOURCE]["schema"] = "person.nothing"
    resource = parse_config(data, base_dir=tmp_path, kafka_bootstrap="k:1").resources[RESOURCE]
    with pytest.raises(AgentConfigInvalid, match=f"resource {RESOURCE}"):
        load_mapping(resource)


INSURANCE = {
    "id_number": {"from": "AAC002"},
    "name": {"from": "AAC003"},
    "insured_division": {"from": "AAB301"},
    "pension_status": {"from": "AAC008"},
    "first_insured_on": {"from": "AAC049", "steps": [{"date": "%Y%m"}]},
    "contribution_months": {"from": "JFYS", "steps": ["int"]},
}


def test_a_list_that_leaves_out_what_its_entries_require_is_refused_naming_them(
    tmp_path: Path,
) -> None:
    data = document()
    entries = {"month": {"from": "AAE002"}, "employer_uscc": {"from": "AAB998"}}
    data["resources"][RESOURCE] = {
        "schema": "social.insurance",
        "source": {"type": "csv", "path": "jfmx.csv", "key_column": "AAC002"},
        "mapping": {
            "properties": {**INSURANCE, "contributions": {"split": "|", "entries": entries}}
        },
    }
    resource = parse_config(data, base_dir=tmp_path, kafka_bootstrap="k:1").resources[RESOURCE]
    with pytest.raises(AgentConfigInvalid) as refused:
        load_mapping(resource)
    assert refused.value.detail == (
        f"resource {RESOURCE}: the mapping does not fill the required properties: "
        "contributions.amount, contributions.base"
    )
    data["resources"][RESOURCE]["mapping"]["properties"].pop("contributions")
    resource = parse_config(data, base_dir=tmp_path, kafka_bootstrap="k:1").resources[RESOURCE]
    assert "contributions.month" not in load_mapping(resource).properties  # not filled: fine
