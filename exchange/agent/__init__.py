"""The provider agent (提供端前置): answers exchange requests from a department's own data.

It runs at a provider department, reads the department's request topic, fetches the subject's
record through a :class:`RecordSource`, maps it with a :class:`RecordMapping` to the unified
schema, checks and trims it to the requested items, and signs the reply with the provider
system's key. Kafka, the real sources and the configuration file are wired by
``tongban.agent``; everything here is plain values and one :func:`handle` function.
"""

from exchange.agent.binding import KeyRule, ResourceBinding, Signer
from exchange.agent.config import AgentConfig, ResourceConfig, load_config, parse_config
from exchange.agent.errors import AgentConfigInvalid, MessageMalformed, SourceDown
from exchange.agent.handler import Answer, answer_request, handle, signed_payload
from exchange.agent.messages import (
    CORRECTION,
    DEAD_LETTER,
    FOUND,
    NOT_FOUND,
    REPLY,
    REQUEST,
    UNAVAILABLE,
    Correction,
    Request,
    dead_letter_envelope,
    parse_correction,
    parse_request,
    reply_envelope,
)
from exchange.agent.ports import RecordMapping, RecordSource
from exchange.agent.records import nested, pick
from exchange.agent.state import AgentState, CachedReply

__all__ = [
    "CORRECTION",
    "DEAD_LETTER",
    "FOUND",
    "NOT_FOUND",
    "REPLY",
    "REQUEST",
    "UNAVAILABLE",
    "AgentConfig",
    "AgentConfigInvalid",
    "AgentState",
    "Answer",
    "CachedReply",
    "Correction",
    "KeyRule",
    "MessageMalformed",
    "RecordMapping",
    "RecordSource",
    "Request",
    "ResourceBinding",
    "ResourceConfig",
    "Signer",
    "SourceDown",
    "answer_request",
    "dead_letter_envelope",
    "handle",
    "load_config",
    "nested",
    "parse_config",
    "parse_correction",
    "parse_request",
    "pick",
    "reply_envelope",
    "signed_payload",
]
