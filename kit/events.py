"""The event envelope every message on the bus travels in."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kit.db import new_id, utcnow


@dataclass(frozen=True)
class Envelope:
    """``id`` deduplicates, ``type`` routes (``"noun:verb"``), ``key`` orders within a topic."""

    type: str
    key: str
    payload: dict[str, Any]
    id: str = field(default_factory=new_id)
    time: datetime = field(default_factory=utcnow)

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "id": self.id,
                "type": self.type,
                "time": self.time.isoformat(),
                "key": self.key,
                "payload": self.payload,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        raw = json.loads(data)
        return cls(
            id=str(raw["id"]),
            type=str(raw["type"]),
            time=datetime.fromisoformat(raw["time"]),
            key=str(raw["key"]),
            payload=dict(raw["payload"]),
        )
