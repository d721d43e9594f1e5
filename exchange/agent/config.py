"""The agent's configuration file (YAML), read into plain values; ``tongban.agent`` opens the
sources and mappings it names. See ``docs/agent.md`` for the format with an example.

Relative paths (key file, state file, source files, mapping files) are taken from the folder
of the configuration file. Unknown keys are refused, so a misspelt option never goes unseen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from exchange.agent.binding import KeyRule
from exchange.agent.errors import AgentConfigInvalid

_TOP = {
    "system_id",
    "department_code",
    "key_file",
    "kafka_bootstrap",
    "topic_prefix",
    "state_file",
    "max_attempts",
    "reply_retention_days",
    "fetch_wait_ms",
    "resources",
}
MAX_FETCH_WAIT_MS = 5000
_RESOURCE = {"version", "schema", "source", "mapping", "key"}
_KEY = {"subject", "case", "property"}


@dataclass(frozen=True)
class ResourceConfig:
    """One resource as configured: the source spec and mapping are still unopened."""

    code: str
    schema_id: str
    schema_version: str | None
    version: int | None
    source: dict[str, Any]
    mapping: dict[str, Any] | Path
    key: KeyRule = field(default_factory=KeyRule)


@dataclass(frozen=True)
class AgentConfig:
    system_id: str
    department_code: str
    key_file: Path
    kafka_bootstrap: str
    topic_prefix: str
    state_file: Path
    base_dir: Path
    resources: dict[str, ResourceConfig] = field(default_factory=dict)
    max_attempts: int = 3
    reply_retention_days: int = 30
    # How long the broker may hold the agent's fetch when no request waits; None keeps the
    # Kafka adapter's default. A message that arrives meanwhile is answered at once by
    # Apache Kafka, but by the embedded broker only some time later (up to half the wait),
    # so this trades the first hop's latency against the idle agent's CPU (docs/agent.md).
    fetch_wait_ms: int | None = None


def load_config(
    path: str | Path,
    *,
    system_id: str | None = None,
    kafka_bootstrap: str = "",
    topic_prefix: str = "tongban.",
) -> AgentConfig:
    """Read the configuration file at ``path``; the keyword values are the defaults for
    what the file leaves out (the composition root passes the environment's). A
    ``system_id`` given here must agree with the file's, which may then be left out."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise AgentConfigInvalid(f"the agent configuration {file} cannot be read: {exc}") from exc
    return parse_config(
        data,
        base_dir=file.resolve().parent,
        system_id=system_id,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
    )


def parse_config(
    data: Any,
    *,
    base_dir: Path,
    system_id: str | None = None,
    kafka_bootstrap: str = "",
    topic_prefix: str = "tongban.",
) -> AgentConfig:
    table = _table(data, "the agent configuration", _TOP)
    if system_id is None or table.get("system_id") is not None:
        named = _text(table, "system_id", "the agent configuration")
        if system_id is not None and named != system_id:
            raise AgentConfigInvalid(f"the configuration is for system {named}, not {system_id}")
        system_id = named
    resources = _table(table.get("resources"), "resources", None)
    if not resources:
        raise AgentConfigInvalid("the agent configuration names no resources")
    bootstrap = str(table.get("kafka_bootstrap") or kafka_bootstrap)
    if not bootstrap:
        raise AgentConfigInvalid("set kafka_bootstrap in the file or TONGBAN_KAFKA_BOOTSTRAP")
    state = table.get("state_file") or f"agent-{system_id}.db"
    return AgentConfig(
        system_id=system_id,
        department_code=_text(table, "department_code", "the agent configuration"),
        key_file=base_dir / _text(table, "key_file", "the agent configuration"),
        kafka_bootstrap=bootstrap,
        topic_prefix=str(table.get("topic_prefix", topic_prefix) or ""),
        state_file=base_dir / str(state),
        base_dir=base_dir,
        resources={
            str(code): _resource(str(code), spec, base_dir) for code, spec in resources.items()
        },
        max_attempts=_whole(table, "max_attempts", 3),
        reply_retention_days=_whole(table, "reply_retention_days", 30),
        fetch_wait_ms=_fetch_wait(table.get("fetch_wait_ms")),
    )


def _fetch_wait(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_FETCH_WAIT_MS:
        raise AgentConfigInvalid(
            f"fetch_wait_ms must be a whole number of milliseconds from 1 to {MAX_FETCH_WAIT_MS}"
        )
    return value


def _resource(code: str, data: Any, base_dir: Path) -> ResourceConfig:
    where = f"resource {code}"
    spec = _table(data, where, _RESOURCE)
    schema_id, _, schema_version = _text(spec, "schema", where).partition("@")
    source = _table(spec.get("source"), f"{where}: source", None)
    mapping = spec.get("mapping")
    if isinstance(mapping, str) and mapping.strip():
        mapped: dict[str, Any] | Path = base_dir / mapping
    elif isinstance(mapping, dict):
        mapped = mapping
    else:
        raise AgentConfigInvalid(f"{where}: mapping must be a file name or an inline table")
    version = spec.get("version")
    if version is not None and (not isinstance(version, int) or version < 1):
        raise AgentConfigInvalid(f"{where}: version must be a whole number from 1")
    return ResourceConfig(
        code=code,
        schema_id=schema_id,
        schema_version=schema_version or None,
        version=version,
        source=dict(source),
        mapping=mapped,
        key=_key(spec.get("key"), where),
    )


def _key(data: Any, where: str) -> KeyRule:
    if data is None:
        return KeyRule()
    if isinstance(data, str):
        return KeyRule(subject=data)
    key = _table(data, f"{where}: key", _KEY)
    values = {name: (str(key[name]) if key.get(name) is not None else None) for name in _KEY}
    return KeyRule(subject=values["subject"], case=values["case"], property=values["property"])


def _table(data: Any, where: str, allowed: set[str] | None) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise AgentConfigInvalid(f"{where} must be a table")
    unknown = sorted(str(k) for k in data if allowed is not None and k not in allowed)
    if unknown:
        raise AgentConfigInvalid(f"{where}: unknown keys {unknown}")
    return data


def _text(table: Mapping[str, Any], name: str, where: str) -> str:
    value = table.get(name)
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise AgentConfigInvalid(f"{where}: {name} is missing")
    return str(value).strip()


def _whole(table: Mapping[str, Any], name: str, default: int) -> int:
    value = table.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise AgentConfigInvalid(f"{name} must be a whole number from 1")
    return value
