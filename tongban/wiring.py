"""The composition root's container: build the engine, keys and bus once, pass them down."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from connectors.kafka import KafkaBus
from kit.crypto import create_private_key_file, load_private_key, public_jwk
from kit.db import make_engine, session_factory
from kit.files import replace_text
from kit.outbox import Wakeup
from tongban.auth import Authenticator, HubKey, load_jwks
from tongban.settings import Settings


@dataclass
class Hub:
    """Everything a process of the hub shares: one engine, one session factory, one key."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    hub_key: HubKey
    wakeup: Wakeup
    bus: KafkaBus | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def authenticator(self) -> Authenticator:
        s = self.settings
        return Authenticator(
            self.factory,
            engine=self.engine,
            hub_id=s.hub_id,
            hub_key=self.hub_key,
            citizen_keys=load_jwks(s.resolved_idp_jwks_file),
            citizen_issuer=s.idp_issuer,
            max_system_token_s=s.max_system_token_s,
        )

    def close(self) -> None:
        if self.bus is not None:
            self.bus.close()
        self.engine.dispose()


def load_or_create_hub_key(settings: Settings) -> HubKey:
    """The hub's Ed25519 signing key; generated (mode 0600) on first start if absent."""
    path = settings.resolved_hub_key_file
    if not path.is_file():
        create_private_key_file(path)  # processes starting together agree on one key
    key = load_private_key(path)
    jwks_path = path.with_suffix(".jwks.json")
    replace_text(jwks_path, json.dumps({"keys": [public_jwk(key)]}, indent=2))
    return HubKey.of(key)


def build_hub(settings: Settings, *, bus: KafkaBus | None = None, connect_bus: bool = True) -> Hub:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    factory = session_factory(engine)
    wakeup = Wakeup()
    wakeup.install(factory)
    if bus is None and connect_bus and settings.kafka_bootstrap:
        bus = KafkaBus(settings.kafka_bootstrap, client_id=settings.hub_id)
    return Hub(
        settings=settings,
        engine=engine,
        factory=factory,
        hub_key=load_or_create_hub_key(settings),
        wakeup=wakeup,
        bus=bus,
    )
