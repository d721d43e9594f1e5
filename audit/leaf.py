"""The audit leaf: one logged decision, as the exact bytes the Merkle tree hashes.

A leaf is ``LEAF_PREFIX`` followed by the canonical JSON (``kit.canonical.canonical_json``) of

``index``    its position in the log (0-based);
``time``     when it was recorded, RFC 3339 UTC with microseconds (``2025-08-01T09:30:00.000000Z``);
``action``   a ``"noun:verb"`` tag (see :class:`Action`);
``actor``    ``{"kind", "id", "department"}``: who acted (a system, a user, the operator; a
             citizen appears by kind only, with ``id`` null);
``subject``  the salted commitment (:func:`subject_commitment`) of the person or company the
             data is about, or null;
``refs``     object ids and codes the decision touches (resource code, grant id, ...);
``outcome``  what came of it (``"ok"``, ``"granted"``, ``"refused"``, ...);
``reason``   the stated reason, or null;
``digests``  name → hex SHA-256 of payloads (the data itself never enters the log).

A leaf never contains personal data: no names, identity numbers, addresses or payload values.
Subjects appear only as salted commitments, so erasing a subject's salt makes every leaf about
them unlinkable while the log stays verifiable. Free text (``reason``) must be written with
that in mind by the caller.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from kit.canonical import canonical_json
from kit.errors import Invalid

__all__ = ["LEAF_PREFIX", "Action", "Leaf", "LeafInvalid", "leaf_index", "subject_commitment"]

LEAF_PREFIX = b"tongban-audit-leaf/1\n"
MIN_SALT_BYTES = 16
_FIELDS = frozenset(
    {"index", "time", "action", "actor", "subject", "refs", "outcome", "reason", "digests"}
)
_ACTOR_FIELDS = frozenset({"kind", "id", "department"})
_ACTION = re.compile(r"[a-z][a-z0-9-]*:[a-z][a-z0-9-]*")
_HEX256 = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")  # keys of refs and digests
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class LeafInvalid(Invalid):
    """Bytes or values that are not a canonical audit leaf."""


class Action(StrEnum):
    """Every audited action, as a ``"noun:verb"`` tag. Domains add members here."""

    CATALOG_CREATE = "catalog:create"
    CATALOG_UPDATE = "catalog:update"
    CATALOG_SUBMIT = "catalog:submit"
    CATALOG_PUBLISH = "catalog:publish"
    CATALOG_RETURN = "catalog:return"
    CATALOG_RETIRE = "catalog:retire"
    CATALOG_REVISE = "catalog:revise"
    DEPARTMENT_ADD = "department:add"
    SYSTEM_ADD = "system:add"
    SYSTEM_ROTATE_KEY = "system:rotate-key"
    SYSTEM_DISABLE = "system:disable"
    USER_ADD = "user:add"
    AUTH_LOGIN = "auth:login"
    APPLICATION_SUBMIT = "application:submit"
    APPLICATION_REVIEW = "application:review"
    APPLICATION_RETURN = "application:return"
    APPLICATION_GRANT = "application:grant"
    APPLICATION_REFUSE = "application:refuse"
    APPLICATION_OVERDUE = "application:overdue"
    APPLICATION_DISPUTE = "application:dispute"
    APPLICATION_COORDINATE = "application:coordinate"
    GRANT_SUSPEND = "grant:suspend"
    GRANT_RESUME = "grant:resume"
    GRANT_REVOKE = "grant:revoke"
    GRANT_CLOSE = "grant:close"
    GRANT_CHANGE_REQUEST = "grant:change-request"
    CONSENT_REQUEST = "consent:request"
    CONSENT_GIVE = "consent:give"
    CONSENT_REFUSE = "consent:refuse"
    CONSENT_PAUSE = "consent:pause"
    CONSENT_RESUME = "consent:resume"
    CONSENT_WITHDRAW = "consent:withdraw"
    CONSENT_REVOKE = "consent:revoke"
    CONSENT_EXPIRE = "consent:expire"
    DELEGATION_ADD = "delegation:add"
    STATUTORY_RECORD = "statutory:record"
    EXCHANGE_REQUEST = "exchange:request"
    EXCHANGE_FULFIL = "exchange:fulfil"
    EXCHANGE_FAIL = "exchange:fail"
    EXCHANGE_DEAD_LETTER = "exchange:dead-letter"
    PREFILL_RUN = "prefill:run"
    OBJECTION_RAISE = "objection:raise"
    OBJECTION_ACCEPT = "objection:accept"
    OBJECTION_REJECT = "objection:reject"
    OBJECTION_FORWARD = "objection:forward"
    OBJECTION_CORRECT = "objection:correct"
    OBJECTION_CONFIRM = "objection:confirm"
    OBJECTION_CLOSE = "objection:close"
    OBJECTION_OVERDUE = "objection:overdue"
    KEY_ROTATE = "key:rotate"
    AUDIT_CHECKPOINT = "audit:checkpoint"


def subject_commitment(salt: bytes, subject_id: str) -> str:
    """Hex SHA-256(salt || subject id as UTF-8): names a subject without revealing it."""
    if len(salt) < MIN_SALT_BYTES:
        raise LeafInvalid(f"a subject salt needs at least {MIN_SALT_BYTES} bytes")
    return hashlib.sha256(salt + subject_id.encode("utf-8")).hexdigest()


def _fail(detail: str) -> LeafInvalid:
    return LeafInvalid(f"not a canonical audit leaf: {detail}")


_STR = frozenset({str})
_STR_OR_NULL = frozenset({str, type(None)})


def _is_str_map(value: object) -> bool:
    """A plain dict from names to plain strings (C-level maps: this runs for every leaf)."""
    return (
        type(value) is dict
        and set(map(type, value)) <= _STR
        and all(map(_NAME.fullmatch, value))
        and set(map(type, value.values())) <= _STR
    )


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise _fail(f"time {text!r} is not a date") from exc


def _check_head(doc: Mapping[str, Any]) -> None:
    index, time, action, actor = doc["index"], doc["time"], doc["action"], doc["actor"]
    if type(index) is not int or index < 0:
        raise _fail("index must be a non-negative integer")
    if not isinstance(time, str) or not _TIME.fullmatch(time):
        raise _fail("time must be RFC 3339 UTC with microseconds")
    _parse_time(time)
    if not isinstance(action, str) or not _ACTION.fullmatch(action):
        raise _fail("action must be a 'noun:verb' tag")
    if (
        type(actor) is not dict
        or actor.keys() != _ACTOR_FIELDS
        or not set(map(type, actor.values())) <= _STR_OR_NULL
        or not actor["kind"]
    ):
        raise _fail("actor must be kind (a non-empty string), id and department (or null)")


def _check_document(doc: Mapping[str, Any]) -> None:
    """Raise unless ``doc`` has exactly the leaf fields with well-formed values."""
    if doc.keys() != _FIELDS:
        raise _fail(f"the fields must be exactly {sorted(_FIELDS)}")
    _check_head(doc)
    subject, digests = doc["subject"], doc["digests"]
    if subject is not None and not (isinstance(subject, str) and _HEX256.fullmatch(subject)):
        raise _fail("subject must be a hex SHA-256 commitment or null")
    if not _is_str_map(doc["refs"]):
        raise _fail("refs must map names (letters, digits, _ . -) to strings")
    if not _is_str_map(digests) or not all(map(_HEX256.fullmatch, digests.values())):
        raise _fail("digests must map names to hex SHA-256 values")
    if not isinstance(doc["outcome"], str) or not doc["outcome"]:
        raise _fail("outcome must be a non-empty string")
    if doc["reason"] is not None and not isinstance(doc["reason"], str):
        raise _fail("reason must be a string or null")


def _decode(data: bytes) -> dict[str, Any]:
    """The JSON document of canonical leaf bytes; raise unless they are exactly canonical."""
    if not data.startswith(LEAF_PREFIX):
        raise _fail("unknown type or version prefix")
    body = data[len(LEAF_PREFIX) :]
    try:
        doc = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise _fail(f"bad JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise _fail("the body is not a JSON object")
    _check_document(doc)
    try:
        canonical = canonical_json(doc)
    except ValueError as exc:  # a lone surrogate from a \\u escape
        raise _fail(f"a string cannot be encoded ({exc})") from exc
    if canonical != body:
        raise _fail("the bytes are not the canonical encoding of their content")
    return doc


# The canonical body as one pattern, for the verifier's hot loop. Strings are escaped exactly
# as ``json.dumps(ensure_ascii=False)`` escapes them; object keys appear in sorted order.
_CHAR = r'[^"\\\x00-\x1f]'
_ESCAPE = r"\\(?:[\"\\bfnrt]|u00(?:0[0-7bef]|1[0-9a-f]))"
_S = rf'"{_CHAR}*(?:{_ESCAPE}{_CHAR}*)*"'
_S1 = rf'"(?:{_CHAR}|{_ESCAPE}){_CHAR}*(?:{_ESCAPE}{_CHAR}*)*"'
_OR_NULL = rf"(?:{_S}|null)"
_KEY = r'"[A-Za-z][A-Za-z0-9_.-]*"'
_HEX = r'"[0-9a-f]{64}"'
_CANONICAL = re.compile(
    r'\{"action":"[a-z][a-z0-9-]*:[a-z][a-z0-9-]*"'
    rf',"actor":\{{"department":{_OR_NULL},"id":{_OR_NULL},"kind":{_S1}\}}'
    rf',"digests":\{{(?P<digests>(?:{_KEY}:{_HEX}(?:,{_KEY}:{_HEX})*)?)\}}'
    r',"index":(?P<index>0|[1-9][0-9]*)'
    rf',"outcome":{_S1},"reason":{_OR_NULL}'
    rf',"refs":\{{(?P<refs>(?:{_KEY}:{_S}(?:,{_KEY}:{_S})*)?)\}}'
    rf',"subject":(?:{_HEX}|null)'
    rf',"time":"(?P<time>{_TIME.pattern})"\}}'
)
_KEYS = re.compile(r'"([A-Za-z][A-Za-z0-9_.-]*)":')  # in a matched map: exactly its keys


def _sorted_keys(pairs: str) -> bool:
    if pairs.count('":') < 2:  # every key is followed by '":', so there is at most one key
        return True
    keys = _KEYS.findall(pairs)
    return keys == sorted(set(keys))


def _fast_index(data: bytes) -> int | None:
    """The index of a leaf that matches the canonical pattern, or None to take the slow path."""
    try:
        text = data[len(LEAF_PREFIX) :].decode("utf-8")
    except UnicodeDecodeError:
        return None
    match = _CANONICAL.fullmatch(text)
    if match is None or not data.startswith(LEAF_PREFIX):
        return None
    if not (_sorted_keys(match["refs"]) and _sorted_keys(match["digests"])):
        return None
    _parse_time(match["time"])
    return int(match["index"])


def leaf_index(data: bytes) -> int:
    """Check that ``data`` is a canonical leaf and return its embedded index: the verifier's
    fast path. It accepts only what :meth:`Leaf.from_bytes` accepts; anything the pattern
    does not match is decided (and explained) by the full parse."""
    fast = _fast_index(data)
    if fast is not None:
        return fast
    index: int = _decode(data)["index"]
    return index


@dataclass(frozen=True)
class Leaf:
    """One logged decision. Build it with values; ``to_bytes`` gives what is hashed."""

    index: int
    time: datetime
    action: str
    actor: Mapping[str, str | None]
    subject: str | None
    refs: Mapping[str, str]
    outcome: str
    reason: str | None
    digests: Mapping[str, str]

    def __post_init__(self) -> None:
        if not isinstance(self.time, datetime) or self.time.utcoffset() is None:
            raise LeafInvalid("a leaf's time must be a timezone-aware datetime")
        object.__setattr__(self, "time", self.time.astimezone(UTC))
        object.__setattr__(self, "action", str(self.action))
        for name in ("actor", "refs", "digests"):
            value = getattr(self, name)
            if not isinstance(value, Mapping):
                raise _fail(f"{name} must be a mapping")
            object.__setattr__(self, name, MappingProxyType(dict(value)))
        _check_document(self.to_document())

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    def to_document(self) -> dict[str, Any]:
        """The leaf as plain JSON values (the body of :meth:`to_bytes`)."""
        return {
            "index": self.index,
            "time": self.time.strftime(_TIME_FORMAT),
            "action": self.action,
            "actor": dict(self.actor),
            "subject": self.subject,
            "refs": dict(self.refs),
            "outcome": self.outcome,
            "reason": self.reason,
            "digests": dict(self.digests),
        }

    def to_bytes(self) -> bytes:
        return LEAF_PREFIX + canonical_json(self.to_document())

    @classmethod
    def from_bytes(cls, data: bytes) -> Leaf:
        """Parse canonical leaf bytes; refuse anything that is not exactly canonical."""
        doc = _decode(data)
        leaf = cls(**{**doc, "time": _parse_time(doc["time"])})
        if leaf.to_bytes() != data:
            raise _fail("the bytes do not round-trip")
        return leaf
