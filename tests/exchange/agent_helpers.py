"""Test data for the provider agent: a public-security department's people, written to real
sources (an SQLite file, a CSV export), the mapping to ``person.identity``, request envelopes
and a key on disk for a provider system built with ``tests.factories``."""

from __future__ import annotations

import csv
import sqlite3
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from connectors.kafka import KafkaBus
from exchange.agent import REQUEST
from kit.crypto import Ed25519PublicKey, public_key_from_jwk, write_private_key
from kit.db import new_id
from kit.events import Envelope
from schemas import make_resident_id
from tests import factories

RESOURCE = "101001/000123"
SCHEMA = "person.identity"
X_ID = make_resident_id("110105", date(1949, 12, 31), 1, "2")  # ends in X
PLAIN_ID = make_resident_id("330106", date(1990, 3, 7), 12, "1")
UNKNOWN_ID = make_resident_id("440305", date(2001, 5, 2), 3, "1")
assert X_ID.endswith("X")

COLUMNS = ("SFZH", "XM", "XB", "MZ", "CSRQ", "ZZ", "QFJG", "YXQQ", "YXQZ")
ROWS: list[dict[str, str]] = [
    {
        "SFZH": X_ID,
        "XM": "欧阳·阿依古丽",
        "XB": "女",
        "MZ": "01",
        "CSRQ": "19491231",
        "ZZ": "北京市朝阳区建国路1号",
        "QFJG": "北京市公安局朝阳分局",
        "YXQQ": "20150601",
        "YXQZ": "",
    },
    {
        "SFZH": PLAIN_ID,
        "XM": "张伟",
        "XB": "男",
        "MZ": "03",
        "CSRQ": "19900307",
        "ZZ": "浙江省杭州市西湖区文三路100号",
        "QFJG": "杭州市公安局西湖分局",
        "YXQQ": "20160101",
        "YXQZ": "20360101",
    },
]

MAPPING_YAML = """\
resource: 101001/000123
properties:
  id_number: {from: SFZH, steps: [trim, upper]}
  name: {from: XM, steps: [trim]}
  sex:
    from: XB
    steps: [{code: {男: "1", 女: "2"}, unknown: "9"}]
  ethnicity: {from: MZ, steps: [trim]}
  birth_date: {from: CSRQ, steps: [{date: "%Y%m%d"}]}
  address: {from: ZZ}
  issuing_authority: {from: QFJG}
  valid_from: {from: YXQQ, steps: [{date: "%Y%m%d"}]}
  valid_until: {from: YXQZ, steps: [{date: "%Y%m%d"}]}
  long_term: {const: false}
"""


def write_config(
    folder: Path,
    system: factories.SystemKeyPair,
    *,
    bootstrap: str,
    prefix: str,
    source: Mapping[str, Any],
    mapping: str = MAPPING_YAML,
    **options: Any,
) -> Path:
    """An agent configuration file for ``system`` serving RESOURCE from ``source``, with
    ``options`` as further top-level keys."""
    write_private_key(folder / "keys" / "provider.pem", system.key)
    (folder / "identity.yaml").write_text(mapping, encoding="utf-8")
    config = {
        "system_id": system.id,
        "department_code": system.department,
        "key_file": "keys/provider.pem",
        "kafka_bootstrap": bootstrap,
        "topic_prefix": prefix,
        "state_file": "state/agent.db",
        "resources": {
            RESOURCE: {
                "version": 1,
                "schema": SCHEMA,
                "source": dict(source),
                "mapping": "identity.yaml",
                "key": {"subject": "person", "property": "id_number"},
            }
        },
        **options,
    }
    path = folder / "agent.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


SQL_SOURCE = {
    "type": "sql",
    "url": "sqlite:///people.db",
    "query": "SELECT * FROM rk_jbxx WHERE SFZH = :key",
}
CSV_SOURCE = {"type": "csv", "path": "people.csv", "key_column": "SFZH"}


def write_csv(path: Path, rows: list[dict[str, str]] = ROWS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_sqlite(path: Path, rows: list[dict[str, str]] = ROWS) -> Path:
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE rk_jbxx ({', '.join(f'{c} TEXT' for c in COLUMNS)})")
        marks = ", ".join("?" for _ in COLUMNS)
        db.executemany(
            f"INSERT INTO rk_jbxx VALUES ({marks})", [[r[c] for c in COLUMNS] for r in rows]
        )
    return path


def provider(session: Session, key_dir: Path) -> tuple[factories.SystemKeyPair, Path]:
    """A provider department with one provider system; its private key written to a file."""
    dept = factories.department(session, name="市公安局")
    system = factories.system(session, dept, roles=("provider",))
    key_file = key_dir / f"{system.id}.pem"
    write_private_key(key_file, system.key)
    return system, key_file


def registered_key(jwks: list[dict[str, Any]], kid: str) -> Ed25519PublicKey:
    return public_key_from_jwk(next(jwk for jwk in jwks if jwk["kid"] == kid))


def request_payload(provider_code: str, subject_id: str = X_ID, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "exchange_id": new_id(),
        "attempt": 1,
        "grant_id": new_id(),
        "resource_code": RESOURCE,
        "resource_version": 1,
        "schema_id": SCHEMA,
        "schema_version": "1.0.0",
        "subject": f"person:{subject_id}",
        "subject_commitment": "c" * 64,
        "items": ["name", "sex", "ethnicity"],
        "purpose": "newborn-birth",
        "requester_code": factories.department_code(),
        "requester_system": new_id(),
        "provider_code": provider_code,
        "reply_topic": None,
        "objections": {},
    }
    payload.update(changes)
    return payload


def request(provider_code: str, subject_id: str = X_ID, **changes: Any) -> Envelope:
    payload = request_payload(provider_code, subject_id, **changes)
    return Envelope(type=REQUEST, key=payload["exchange_id"], payload=payload)


def correction(subject_id: str, item: str, value: Any, **changes: Any) -> Envelope:
    payload = {
        "objection_id": new_id(),
        "resource_code": RESOURCE,
        "item": item,
        "subject": f"person:{subject_id}",
        "value": value,
        **changes,
    }
    return Envelope(type="objection:correct", key=payload["objection_id"], payload=payload)


class CountingSource:
    """A twin of the source port that counts fetches and can be switched off or broken."""

    def __init__(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        self.records = {key: dict(value) for key, value in records.items()}
        self.fetches = 0
        self.failure: Exception | None = None
        self.fail_on: dict[str, Exception] = {}

    def fetch(self, key: str) -> dict[str, Any] | None:
        self.fetches += 1
        failure = self.fail_on.get(key, self.failure)
        if failure is not None:
            raise failure
        record = self.records.get(key)
        return dict(record) if record is not None else None


def read_topic(bus: KafkaBus, topic: str, count: int, timeout: float = 30.0) -> list[Envelope]:
    """The envelopes on ``topic`` once there are at least ``count`` (fails after ``timeout``)."""
    consumer = bus.assigned_consumer([topic])
    found: list[Envelope] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < count:
            assert time.monotonic() < deadline, f"only {len(found)} of {count} on {topic}"
            for records in consumer.poll(timeout_ms=100).values():
                found.extend(Envelope.from_bytes(record.value) for record in records)
    finally:
        consumer.close()
    return found
