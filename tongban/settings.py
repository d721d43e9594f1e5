"""Settings: one frozen object, read from ``TONGBAN_*`` environment variables by the
composition root only (``Settings.from_env()``); nothing reads it at import.

Every number the regulation leaves to implementing rules (deadlines, budgets) is a setting
with the default from ``regulation.md``, never a constant in code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from kit.errors import Invalid

PREFIX = "TONGBAN_"


@dataclass(frozen=True)
class Settings:
    # where state lives
    data_dir: Path = Path("var")
    database_url: str = ""  # empty = SQLite file under data_dir
    key_dir: Path = Path("")  # empty = data_dir/keys
    # Kafka: empty bootstrap = start the embedded broker
    kafka_bootstrap: str = ""
    topic_prefix: str = "tongban."
    # the hub's identity and signing key (generated on first start when absent)
    hub_id: str = "tongban-hub"
    hub_key_file: Path = Path("")  # empty = key_dir/hub.pem
    # the citizens' identity provider the hub trusts: a JWKS file and the issuer it uses
    idp_jwks_file: Path = Path("")  # empty = key_dir/idp.jwks.json
    idp_issuer: str = "tongban-demo-idp"
    # HTTP
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    # token lifetimes (seconds)
    max_system_token_s: int = 300
    user_token_s: int = 900
    # deadlines in working days (regulation.md); extra official schedules for new years
    review_days: int = 2
    reply_days: int = 5
    reply_publish_days: int = 10
    objection_accept_days: int = 2
    objection_verify_days: int = 10
    calendar_files: tuple[Path, ...] = ()
    # exchange
    exchange_budget_s: float = 2.0
    exchange_max_attempts: int = 5
    exchange_resend_s: float = 3.0  # re-send a request still unanswered after this
    # How long the broker may hold the reply consumer's fetch when no reply is there: on the
    # embedded broker a reply reaches the hub up to half of this after it arrives, which a
    # waiting sync call or pre-fill pays (docs/exchange.md, "Measuring"); a provider agent
    # has its own fetch_wait_ms (docs/agent.md)
    reply_fetch_wait_ms: int = 10
    # The same for the callback sender's consumer: nobody waits on a callback, so it may be
    # late by up to half of this on the embedded broker, and an idle hub asks less often
    callback_fetch_wait_ms: int = 500
    # audit
    checkpoint_interval_s: float = 2.0
    audit_origin: str = ""  # checkpoint origin and key name; empty = tongban/<hub_id>
    # relay
    relay_poll_s: float = 0.2
    # SQLite: how often the hub checkpoints the write-ahead log (kit.db.checkpoint_wal);
    # 0 leaves it to SQLite, inside the commit that takes the log past 10,000 pages
    wal_checkpoint_s: float = 0.1
    # demo: the port of the market regulation department's interface (tongban demo)
    demo_market_port: int = 8100
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'tongban.db').as_posix()}"

    @property
    def resolved_key_dir(self) -> Path:
        return self.key_dir if str(self.key_dir) not in ("", ".") else self.data_dir / "keys"

    @property
    def resolved_hub_key_file(self) -> Path:
        return self.hub_key_file if _set(self.hub_key_file) else self.resolved_key_dir / "hub.pem"

    @property
    def resolved_idp_jwks_file(self) -> Path:
        if _set(self.idp_jwks_file):
            return self.idp_jwks_file
        return self.resolved_key_dir / "idp.jwks.json"

    def topic(self, name: str) -> str:
        """The full Kafka topic name for a logical topic (``exchange.requests.X``)."""
        return f"{self.topic_prefix}{name}"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get(PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _parse(f.name, str(f.type), raw)
        return cls(**values)


def _set(path: Path) -> bool:
    return str(path) not in ("", ".")


def _parse(name: str, kind: str, raw: str) -> Any:
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
        if kind.startswith("tuple[Path"):
            return tuple(Path(p) for p in raw.split(os.pathsep) if p)
    except ValueError as exc:
        raise Invalid(f"{PREFIX}{name.upper()}={raw!r} is not a valid {kind}") from exc
    return raw
