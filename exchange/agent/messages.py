"""The exchange messages the agent reads and writes, as fixed by the Kafka contract.

Requests (``exchange:request``) and corrections (``objection:correct``) arrive in
:class:`kit.events.Envelope` form; replies (``exchange:reply``) and dead letters
(``exchange:dead-letter``) leave in it. Parsing is strict: a request missing a field or with a
field of the wrong type is malformed, and goes to the dead-letter topic.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from exchange.agent.errors import MessageMalformed
from kit.events import Envelope

REQUEST = "exchange:request"
REPLY = "exchange:reply"
DEAD_LETTER = "exchange:dead-letter"
CORRECTION = "objection:correct"

FOUND = "found"
NOT_FOUND = "not_found"
UNAVAILABLE = "unavailable"

SUBJECT_KINDS = ("person", "company")

_TEXT = (
    "exchange_id",
    "grant_id",
    "resource_code",
    "schema_id",
    "schema_version",
    "subject",
    "subject_commitment",
    "purpose",
    "requester_code",
    "requester_system",
    "provider_code",
)


@dataclass(frozen=True)
class Request:
    """One exchange request for one subject's record (the ``exchange:request`` payload)."""

    exchange_id: str
    attempt: int
    grant_id: str
    resource_code: str
    resource_version: int
    schema_id: str
    schema_version: str
    subject: str
    subject_commitment: str
    items: tuple[str, ...]
    purpose: str
    requester_code: str
    requester_system: str
    provider_code: str
    reply_topic: str | None
    objections: dict[str, Any]

    @property
    def subject_kind(self) -> str:
        return self.subject.partition(":")[0]

    @property
    def identifier(self) -> str:
        return self.subject.partition(":")[2]


@dataclass(frozen=True)
class Correction:
    """A correction of one item of one subject's record after an objection (校核纠错)."""

    objection_id: str
    resource_code: str
    item: str
    subject: str
    value: Any


def parse_request(payload: dict[str, Any]) -> Request:
    """The request in an ``exchange:request`` payload; raises :class:`MessageMalformed`."""
    text = {name: _text(payload, name) for name in _TEXT}
    items = payload.get("items")
    if not isinstance(items, list) or not items or not all(_is_text(i) for i in items):
        raise MessageMalformed("request field 'items' must be a non-empty list of item keys")
    objections = payload.get("objections") or {}
    if not isinstance(objections, dict):
        raise MessageMalformed("request field 'objections' must be an object")
    reply_topic = payload.get("reply_topic")
    if reply_topic is not None and not _is_text(reply_topic):
        raise MessageMalformed("request field 'reply_topic' must be a topic name")
    _check_subject(text["subject"])
    return Request(
        exchange_id=text["exchange_id"],
        attempt=_whole(payload, "attempt"),
        grant_id=text["grant_id"],
        resource_code=text["resource_code"],
        resource_version=_whole(payload, "resource_version"),
        schema_id=text["schema_id"],
        schema_version=text["schema_version"],
        subject=text["subject"],
        subject_commitment=text["subject_commitment"],
        items=tuple(dict.fromkeys(items)),
        purpose=text["purpose"],
        requester_code=text["requester_code"],
        requester_system=text["requester_system"],
        provider_code=text["provider_code"],
        reply_topic=reply_topic,
        objections=dict(objections),
    )


def parse_correction(payload: dict[str, Any]) -> Correction:
    """The correction in an ``objection:correct`` payload; raises :class:`MessageMalformed`."""
    if "value" not in payload:
        raise MessageMalformed("correction field 'value' is missing")
    subject = _text(payload, "subject")
    _check_subject(subject)
    return Correction(
        objection_id=_text(payload, "objection_id"),
        resource_code=_text(payload, "resource_code"),
        item=_text(payload, "item"),
        subject=subject,
        value=payload["value"],
    )


def reply_envelope(request: Request, *, provider_system: str, outcome: str, jws: str) -> Envelope:
    return Envelope(
        type=REPLY,
        key=request.exchange_id,
        payload={
            "exchange_id": request.exchange_id,
            "attempt": request.attempt,
            "provider_system": provider_system,
            "outcome": outcome,
            "jws": jws,
        },
    )


def dead_letter_envelope(
    *, source_topic: str, error: str, attempts: int, exchange_id: str | None, original: bytes
) -> Envelope:
    """A message the agent gives up on, with the original bytes for the hub to inspect."""
    return Envelope(
        type=DEAD_LETTER,
        key=exchange_id or "unknown",
        payload={
            "source_topic": source_topic,
            "error": error,
            "attempts": attempts,
            "exchange_id": exchange_id,
            "original_b64": base64.b64encode(original).decode("ascii"),
        },
    )


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not _is_text(value):
        raise MessageMalformed(f"field {name!r} must be a non-empty text")
    return str(value)


def _whole(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise MessageMalformed(f"field {name!r} must be a whole number from 1")
    return value


def _check_subject(subject: str) -> None:
    kind, separator, identifier = subject.partition(":")
    if kind not in SUBJECT_KINDS or not separator or not identifier:
        raise MessageMalformed("field 'subject' must read 'person:<id>' or 'company:<uscc>'")
