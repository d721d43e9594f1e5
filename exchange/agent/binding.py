"""What the agent serves: per resource, the source, its mapping and how a subject is keyed;
and who signs: the provider system with its registered key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exchange.agent.errors import AgentConfigInvalid
from exchange.agent.messages import SUBJECT_KINDS
from exchange.agent.ports import RecordMapping, RecordSource
from kit.crypto import Ed25519PrivateKey, jws_sign, public_jwk

_CASES = ("upper", "lower")


@dataclass(frozen=True)
class KeyRule:
    """How the subject identifier becomes the source's key.

    ``subject`` limits the resource to one kind of subject (``person`` or ``company``);
    ``case`` writes the identifier's letters as the source stores them (a resident ID ending in
    ``x`` or ``X``); ``property`` names the mapped property that must hold the same identifier,
    a check that the source answered with the subject's own record.
    """

    subject: str | None = None
    case: str | None = None
    property: str | None = None

    def __post_init__(self) -> None:
        if self.subject is not None and self.subject not in SUBJECT_KINDS:
            raise AgentConfigInvalid(f"key subject must be one of {list(SUBJECT_KINDS)}")
        if self.case is not None and self.case not in _CASES:
            raise AgentConfigInvalid(f"key case must be one of {list(_CASES)}")

    def source_key(self, identifier: str) -> str:
        if self.case == "upper":
            return identifier.upper()
        if self.case == "lower":
            return identifier.lower()
        return identifier

    def matches(self, record: dict[str, Any], identifier: str) -> bool:
        """Whether the mapped record belongs to ``identifier`` (always, without ``property``)."""
        if self.property is None:
            return True
        value = record.get(self.property)
        return isinstance(value, str) and value.strip().upper() == identifier.strip().upper()


@dataclass(frozen=True)
class ResourceBinding:
    """One resource the agent answers for. ``version`` None serves every catalog version."""

    source: RecordSource
    mapping: RecordMapping
    schema_id: str
    version: int | None = None
    key: KeyRule = KeyRule()


@dataclass(frozen=True)
class Signer:
    """The provider system that signs replies; ``kid`` is its registered key's thumbprint."""

    system_id: str
    department_code: str
    private_key: Ed25519PrivateKey = field(repr=False)
    kid: str

    @classmethod
    def of(cls, system_id: str, department_code: str, key: Ed25519PrivateKey) -> Signer:
        return cls(system_id, department_code, key, public_jwk(key)["kid"])

    def sign(self, payload: dict[str, Any]) -> str:
        return jws_sign(payload, self.private_key, kid=self.kid)
