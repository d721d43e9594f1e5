"""The provider agent's one decision: turn a request into a signed reply, or apply a correction.

``handle`` is pure of Kafka: the runner hands it an envelope and publishes what it returns.
The answer for an exchange is worked out once — fetch the subject's record from the source,
map it to the unified schema, lay the corrections over it, check it against the schema for the
requested items, keep only those items — signed by the provider system and remembered, so a
redelivered request gets the same reply without a second fetch. Only an "unavailable" answer
is worked out again, and only for a new attempt: the hub retries those on purpose.

Reasons in an "unavailable" reply name the cause (the source's error, a schema rule) and
never the subject's identifier or a value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import schemas
from exchange.agent.binding import ResourceBinding, Signer
from exchange.agent.errors import MessageMalformed
from exchange.agent.messages import (
    CORRECTION,
    FOUND,
    NOT_FOUND,
    REQUEST,
    UNAVAILABLE,
    Request,
    parse_correction,
    parse_request,
    reply_envelope,
)
from exchange.agent.records import pick
from exchange.agent.state import AgentState
from kit.db import utcnow
from kit.errors import TongbanError, Unavailable, UpstreamFailed
from kit.events import Envelope

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Answer:
    outcome: str
    data: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


def handle(
    envelope: Envelope,
    *,
    resources: Mapping[str, ResourceBinding],
    signer: Signer,
    state: AgentState,
    clock: Clock = utcnow,
) -> Envelope | None:
    """The reply to an ``exchange:request``, or None after applying an ``objection:correct``.

    Raises :class:`MessageMalformed` for a message that is neither, is incomplete, or is
    addressed to another department. Anything else raised is unexpected (the runner retries
    a few times, then gives the message up to the dead-letter topic).
    """
    if envelope.type == CORRECTION:
        _correct(envelope, state)
        return None
    if envelope.type != REQUEST:
        raise MessageMalformed(f"message type {envelope.type!r} is not {REQUEST!r}")
    request = parse_request(envelope.payload)
    if request.provider_code != signer.department_code:
        raise MessageMalformed(f"the request is addressed to department {request.provider_code}")
    cached = state.cached_reply(request.exchange_id)
    if cached is not None and (cached.outcome != UNAVAILABLE or cached.attempt == request.attempt):
        return Envelope.from_bytes(cached.reply)
    answer = answer_request(request, resources=resources, state=state)
    now = clock()
    reply = reply_envelope(
        request,
        provider_system=signer.system_id,
        outcome=answer.outcome,
        jws=signer.sign(signed_payload(request, answer, signer, now)),
    )
    state.save_reply(
        request.exchange_id,
        attempt=request.attempt,
        outcome=answer.outcome,
        reply=reply.to_bytes(),
        at=now,
    )
    return reply


def answer_request(
    request: Request, *, resources: Mapping[str, ResourceBinding], state: AgentState
) -> Answer:
    """What the provider answers for ``request`` (not yet signed)."""
    binding = resources.get(request.resource_code)
    refusal = _refusal(request, binding)
    if refusal is not None or binding is None:
        return Answer(UNAVAILABLE, reason=refusal)
    identifier = request.identifier
    try:
        raw = binding.source.fetch(binding.key.source_key(identifier))
        if raw is None:
            return Answer(NOT_FOUND)
        record = binding.mapping.apply(raw)
    except (Unavailable, UpstreamFailed) as exc:
        return Answer(UNAVAILABLE, reason=_masked(exc.detail, identifier))
    if not binding.key.matches(record, identifier):
        return Answer(UNAVAILABLE, reason="数据源返回的记录不属于所请求的主体")
    record.update(state.overlay(request.resource_code, request.subject))
    data = pick(record, request.items)
    try:
        violations = schemas.validate_partial(
            request.schema_id, data, request.items, request.schema_version
        )
    except TongbanError as exc:
        return Answer(UNAVAILABLE, reason=_masked(exc.detail, identifier))
    if violations:
        listed = "; ".join(f"{v.path or '/'}: {v.message}" for v in violations)
        return Answer(UNAVAILABLE, reason=f"记录不符合标准 {request.schema_id}: {listed}")
    return Answer(FOUND, data=data)


def signed_payload(
    request: Request, answer: Answer, signer: Signer, issued_at: datetime
) -> dict[str, Any]:
    """The JWS payload of a reply, as fixed by the Kafka contract."""
    return {
        "exchange_id": request.exchange_id,
        "resource_code": request.resource_code,
        "resource_version": request.resource_version,
        "schema_id": request.schema_id,
        "subject_commitment": request.subject_commitment,
        "outcome": answer.outcome,
        "items": list(request.items),
        "data": answer.data if answer.outcome == FOUND else {},
        "objections": request.objections,
        "reason": answer.reason,
        "issued_at": issued_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "provider_system": signer.system_id,
        "provider_code": signer.department_code,
        "grant_id": request.grant_id,
    }


def _refusal(request: Request, binding: ResourceBinding | None) -> str | None:
    """Why this agent cannot answer ``request`` at all, or None when it can try."""
    if binding is None:
        return f"本提供端未配置资源 {request.resource_code}"
    if binding.version is not None and binding.version != request.resource_version:
        return f"本提供端只提供资源 {request.resource_code} 第 {binding.version} 版"
    if binding.schema_id != request.schema_id:
        return f"资源 {request.resource_code} 在本提供端对应标准 {binding.schema_id}"
    if binding.key.subject is not None and binding.key.subject != request.subject_kind:
        return f"资源 {request.resource_code} 的主体类型为 {binding.key.subject}"
    return None


def _correct(envelope: Envelope, state: AgentState) -> None:
    correction = parse_correction(envelope.payload)
    state.correct(
        resource_code=correction.resource_code,
        subject=correction.subject,
        item=correction.item,
        value=correction.value,
        objection_id=correction.objection_id,
        at=envelope.time.astimezone(UTC),
    )


def _masked(reason: str, identifier: str) -> str:
    """A reason with the subject's identifier blanked out, should a source have quoted it."""
    for form in {identifier, identifier.upper(), identifier.lower()}:
        reason = reason.replace(form, "<subject>")
    return reason
