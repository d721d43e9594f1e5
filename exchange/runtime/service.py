"""Asking for an exchange: the broker's decision, then the row, its leaf and the request
message in one transaction. Services never commit; the caller's boundary does.

The decision, in order (the first failure raises a precise 4xx): the grant is active, held
by the caller and covers the items and the purpose, under its frequency cap
(:func:`exchange.grants.authorize`); then, unless the grant rests on a statutory duty, the
subject's consent for the personal items among them (:func:`consent.check`).

Every decision is one of a batch (:func:`request_for_many`; a lone call is a batch of one),
which reads its grants, their resources and the subjects' open objections ahead, one query
each, and each consent record set once. A decision
writes nothing until every check has passed, and then only its row (``INSERT … ON CONFLICT DO
NOTHING``: a key another call has just taken makes it a repeat, not an error), so a refusal
is returned in its place and leaves the others standing with no savepoint to roll back. The
uses of grants and consents are counted in memory as the rows are made and written together
after the decisions (:class:`exchange.grants.GrantBatch`, :class:`consent.CheckBatch`), then
the leaves of the exchanges made are appended together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

import consent
from audit import Action, LeafDraft, commitment, record_many, subject_ref
from catalog import PublishedVersion, published_version, published_versions
from exchange.grants import GrantBatch, GrantDecision, authorize
from exchange.objections import ObjectionMarker, objections_on, under_objection
from exchange.runtime.errors import ConsentMissing, IdempotencyKeyReused, InvalidExchangeRequest
from exchange.runtime.events import leaf_refs, send_requests
from exchange.runtime.models import ASYNC, SYNC, Exchange, Status
from exchange.runtime.topics import Topics
from kit.actors import Principal
from kit.canonical import canonical_json
from kit.db import insert_if_absent, new_id, table_of, utcnow
from kit.errors import TongbanError
from schemas import is_resident_id, is_uscc

STATUTORY = "statutory-duty"
SUBJECT_CHECKS = {"person": is_resident_id, "company": is_uscc}

# A decision writes its row with one prepared statement rather than an ORM flush, and the
# leaves of a batch are set on their rows with one more (built once: building and keying a
# statement cost about as much as running it).
_TABLE = table_of(Exchange)
_COLUMNS = tuple(c.key for c in _TABLE.columns)
# A new call's key is looked up first by id alone, on the table: the row is loaded as an
# object only for a repeat, and a select of the mapped class takes the ORM's slower path.
_ID_UNDER_KEY = select(_TABLE.c.id).where(
    _TABLE.c.requester_system == bindparam("system_ref"),
    _TABLE.c.idempotency_key == bindparam("key_ref"),
)
_IDS_UNDER_KEYS = select(_TABLE.c.id).where(
    _TABLE.c.requester_system == bindparam("system_ref"),
    _TABLE.c.idempotency_key.in_(bindparam("key_refs", expanding=True)),
)
_SET_REQUEST_LEAF = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("exchange_id"))
    .values(request_leaf=bindparam("leaf"))
)


@dataclass(frozen=True)
class Requested:
    """The exchange asked for, and whether this call made it (False: an idempotent repeat)."""

    exchange: Exchange
    created: bool


@dataclass(frozen=True)
class LawfulBasis:
    basis: str  # consent | statutory-duty | none (no personal item asked for)
    consent_id: str | None = None
    consent_leaf: int | None = None
    legal_reference: str | None = None


def subject_of(subject_type: str, identifier: str) -> str:
    """The subject reference for a person (公民身份号码) or a company (统一社会信用代码)."""
    check = SUBJECT_CHECKS.get(subject_type)
    if check is None:
        raise InvalidExchangeRequest(
            f"subject type must be person or company, not {subject_type!r}"
        )
    ref = subject_ref(subject_type, identifier)
    if not check(ref.partition(":")[2]):
        what = "公民身份号码 (GB 11643)" if subject_type == "person" else "统一社会信用代码"
        raise InvalidExchangeRequest(f"the subject identifier is not a valid {what}")
    return ref


@dataclass(frozen=True)
class ExchangeAsk:
    """One exchange to decide with :func:`request_exchanges` (the arguments of
    :func:`request_exchange`)."""

    grant_id: str
    subject_type: str
    subject_id: str
    items: Sequence[str]
    purpose: str
    idempotency_key: str
    consent_id: str | None = None


def request_exchange(
    session: Session,
    *,
    caller: Principal,
    grant_id: str,
    subject_type: str,
    subject_id: str,
    items: Sequence[str],
    purpose: str,
    idempotency_key: str,
    topics: Topics,
    mode: str = SYNC,
    consent_id: str | None = None,
    at: datetime | None = None,
) -> Requested:
    """Decide on and record an exchange, or return the one this system already made under
    ``idempotency_key`` (:class:`IdempotencyKeyReused` if that one asked for something else)."""
    ask = ExchangeAsk(
        grant_id, subject_type, subject_id, items, purpose, idempotency_key, consent_id
    )
    (outcome,) = request_for_many(session, [Call(caller, ask, mode)], topics=topics, at=at)
    if isinstance(outcome, TongbanError):
        raise outcome
    return outcome


def request_exchanges(
    session: Session,
    *,
    caller: Principal,
    asks: Sequence[ExchangeAsk],
    topics: Topics,
    mode: str = SYNC,
    at: datetime | None = None,
) -> list[Requested | TongbanError]:
    """Decide on several exchanges in the caller's one transaction, each exactly as
    :func:`request_exchange` would; a refusal is returned in its ask's place (nothing of it
    written, no use of it counted) instead of raised.

    The grants' usage rows are locked first, in one order (:func:`exchange.grants.hold_usage`),
    and the ``exchange:request`` leaves and outbox messages of the exchanges made are written
    after all the decisions, so the consent locks are taken after every grant lock and before
    the audit sequencer, in the order a single exchange takes them."""
    calls = [Call(caller, ask, mode) for ask in asks]
    return request_for_many(session, calls, topics=topics, at=at)


@dataclass(frozen=True)
class Call:
    """One system's ask, in the mode it asked for: an entry of :func:`request_for_many`."""

    caller: Principal
    ask: ExchangeAsk
    mode: str = SYNC


def request_for_many(
    session: Session,
    calls: Sequence[Call],
    *,
    topics: Topics,
    at: datetime | None = None,
) -> list[Requested | TongbanError]:
    """:func:`request_exchanges` for the asks of any number of systems (a batch of concurrent
    calls decided in one transaction, at one instant): the same locks in the same order, a
    refusal returned in its call's place."""
    batch = _Batch.hold(session, calls, at or utcnow())
    keys: dict[str, list[str]] = {}
    for call in calls:
        keys.setdefault(call.caller.id, []).append(call.ask.idempotency_key)
    made_before = {
        system_id: _made_under(session, system_id, wanted) for system_id, wanted in keys.items()
    }
    outcomes: list[Requested | TongbanError] = []
    made: list[tuple[Exchange, Principal]] = []
    for call in calls:
        known = made_before[call.caller.id]
        try:
            requested = _request(
                session, call.caller, call.ask, mode=call.mode, batch=batch, known=known
            )
        except TongbanError as exc:
            outcomes.append(exc)
            continue
        outcomes.append(requested)
        if requested.created:
            made.append((requested.exchange, call.caller))
    batch.grants.write(session)
    batch.consents.write(session)
    _announce(session, made, topics=topics)
    return outcomes


@dataclass
class _Batch:
    """What the decisions of one transaction share: their instant, the grants' uses and the
    consent checks (see :class:`exchange.grants.GrantBatch` and :class:`consent.CheckBatch`),
    and the published resources and open objections, read ahead for all of them (one query
    each) once the grants are held."""

    at: datetime
    grants: GrantBatch
    consents: consent.CheckBatch = field(default_factory=consent.CheckBatch)
    resources: dict[tuple[str, int], PublishedVersion] = field(default_factory=dict)
    objections: dict[tuple[str, str], dict[str, ObjectionMarker]] = field(default_factory=dict)

    @classmethod
    def hold(cls, session: Session, calls: Sequence[Call], at: datetime) -> _Batch:
        """Lock and count the calls' grants' uses, and read what their decisions will."""
        batch = cls(at, GrantBatch(at))
        batch.grants.hold(session, [c.ask.grant_id for c in calls])
        held = {grant.id: grant for grant in batch.grants.held()}
        versions = {(g.resource_code, g.resource_version) for g in held.values()}
        batch.resources.update(published_versions(session, versions))
        records = set()
        for call in calls:
            grant = held.get(call.ask.grant_id)
            subject = _subject_if_valid(call.ask)
            if grant is not None and subject is not None:
                records.add((grant.resource_code, subject))
        read = objections_on(session, records)
        batch.objections.update({record: read.get(record, {}) for record in records})
        return batch

    def resource(self, session: Session, code: str, version: int) -> PublishedVersion:
        found = self.resources.get((code, version))
        if found is None:  # not published (or not read ahead): raises, or is read now
            found = self.resources[code, version] = published_version(session, code, version)
        return found

    def markers(
        self, session: Session, code: str, subject: str, items: list[str]
    ) -> dict[str, ObjectionMarker]:
        on_record = self.objections.get((code, subject))
        if on_record is None:  # not read ahead
            return under_objection(session, resource_code=code, subject=subject, items=items)
        return {item: marker for item, marker in on_record.items() if item in items}


def _subject_if_valid(ask: ExchangeAsk) -> str | None:
    try:
        return subject_of(ask.subject_type, ask.subject_id)
    except InvalidExchangeRequest:
        return None


def _request(
    session: Session,
    caller: Principal,
    ask: ExchangeAsk,
    *,
    mode: str,
    batch: _Batch,
    known: dict[str, Exchange],
) -> Requested:
    """Decide on and insert the exchange (no leaf, no message yet), or find the repeat
    (in ``known``, the caller's exchanges by key, read before the batch and made in it)."""
    grant_id, purpose, consent_id = ask.grant_id, ask.purpose, ask.consent_id
    idempotency_key = ask.idempotency_key
    if mode not in (SYNC, ASYNC):
        raise InvalidExchangeRequest(f"mode must be sync or async, not {mode!r}")
    wanted = sorted({i.strip() for i in ask.items if i.strip()})
    if not wanted:
        raise InvalidExchangeRequest("name at least one item to exchange")
    if not idempotency_key.strip() or len(idempotency_key) > 128:
        raise InvalidExchangeRequest("an idempotency key of 1 to 128 characters is required")
    subject = subject_of(ask.subject_type, ask.subject_id)
    fingerprint = _fingerprint(grant_id, subject, wanted, purpose, consent_id, mode)
    existing = known.get(idempotency_key)
    if existing is not None:
        return _repeat(existing, fingerprint)
    ex = _decide(
        session,
        caller=caller,
        grant_id=grant_id,
        subject=subject,
        items=wanted,
        purpose=purpose,
        consent_id=consent_id,
        batch=batch,
    )
    ex.idempotency_key, ex.request_hash, ex.mode = idempotency_key, fingerprint, mode
    if not _insert(session, ex):
        # Another request with the same key committed first: answer with that exchange.
        existing = _existing(session, caller.id, idempotency_key)
        if existing is None:  # not reached: the key's row is there, or the insert was made
            raise RuntimeError(f"exchange {ex.id} was neither inserted nor found by its key")
        return _repeat(existing, fingerprint)
    known[idempotency_key] = ex
    batch.grants.count(ex.grant_id)
    if ex.consent_id is not None:
        batch.consents.count(ex.consent_id, batch.at)
    return Requested(ex, created=True)


def _fingerprint(
    grant_id: str,
    subject: str,
    items: list[str],
    purpose: str,
    consent_id: str | None,
    mode: str,
) -> str:
    doc = [grant_id, subject, items, purpose, consent_id, mode]
    return hashlib.sha256(canonical_json(doc)).hexdigest()


def _existing(session: Session, system_id: str, key: str) -> Exchange | None:
    found = session.scalar(_ID_UNDER_KEY, {"system_ref": system_id, "key_ref": key})
    return session.get(Exchange, found) if found is not None else None


def _made_under(session: Session, system_id: str, keys: Sequence[str]) -> dict[str, Exchange]:
    """The system's exchanges made under any of ``keys``, by key, in one query (two when
    one is found)."""
    params = {"system_ref": system_id, "key_refs": list(dict.fromkeys(keys))}
    found = list(session.scalars(_IDS_UNDER_KEYS, params))
    if not found:
        return {}
    made = session.scalars(select(Exchange).where(Exchange.id.in_(found)))
    return {ex.idempotency_key: ex for ex in made}


def _repeat(ex: Exchange, fingerprint: str) -> Requested:
    if ex.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            f"idempotency key {ex.idempotency_key!r} was already used by this system for "
            f"exchange {ex.id}, which asked for something else; use a new key",
            exchange=ex.id,
        )
    return Requested(ex, created=False)


def _decide(
    session: Session,
    *,
    caller: Principal,
    grant_id: str,
    subject: str,
    items: list[str],
    purpose: str,
    consent_id: str | None,
    batch: _Batch,
) -> Exchange:
    """The broker's decision; raises at the first refusal. Returns the unsaved row. Writes
    nothing: the uses it relies on are counted once the row is made."""
    at = batch.at
    decision = authorize(
        session,
        grant_id=grant_id,
        system_id=caller.id,
        department_code=caller.department or "",
        items=items,
        purpose=purpose,
        at=at,
        batch=batch.grants,
    )
    resource = batch.resource(session, decision.resource_code, decision.resource_version)
    basis = _lawful_basis(
        session,
        decision,
        resource,
        subject=subject,
        items=items,
        consent_id=consent_id,
        batch=batch,
    )
    markers = batch.markers(session, resource.code, subject, items)
    objections = {key: marker.as_dict() for key, marker in markers.items()}
    return Exchange(
        id=new_id(),
        requester_system=caller.id,
        requester_code=decision.requester_code,
        grant_id=decision.grant_id,
        resource_code=resource.code,
        resource_version=resource.version,
        schema_id=resource.schema_id,
        schema_version=resource.schema_version,
        provider_code=decision.provider_code,
        subject=subject,
        items=items,
        purpose=purpose,
        basis=basis.basis,
        consent_id=basis.consent_id,
        consent_leaf=basis.consent_leaf,
        legal_reference=basis.legal_reference,
        objections=objections,
        status=Status.PENDING,
        attempt=1,
        created_at=at,
        sent_at=at,
        completed_at=None,
        outcome=None,
        provider_system=None,
        kid=None,
        jws=None,
        jws_sha256=None,
        issued_at=None,
        reason=None,
        result_leaf=None,
        callback_status=None,
        callback_attempts=0,
    )


def _lawful_basis(
    session: Session,
    decision: GrantDecision,
    resource: PublishedVersion,
    *,
    subject: str,
    items: list[str],
    consent_id: str | None,
    batch: _Batch,
) -> LawfulBasis:
    """The basis the exchange rests on: the grant's statutory duty, or the subject's consent
    to the personal items (the sensitive ones named apart), or none for non-personal data."""
    if decision.lawful_basis == STATUTORY:
        return LawfulBasis(STATUTORY, legal_reference=decision.legal_reference)
    flags = {item.key: item for item in resource.items}
    personal = [k for k in items if k not in flags or flags[k].personal]
    if not personal:
        return LawfulBasis("none")
    sensitive = [_named(resource, k) for k in personal if k in flags and flags[k].sensitive]
    verdict = consent.check(
        session,
        subject=subject,
        recipient=decision.requester_code,
        purpose=decision.purpose,
        items=[_named(resource, k) for k in personal],
        sensitive=sensitive,
        consent_id=consent_id,
        at=batch.at,
        batch=batch.consents,
    )
    if not verdict.allowed:
        missing = list(verdict.missing) or [_named(resource, k) for k in personal]
        raise ConsentMissing(
            f"the subject's consent does not cover {', '.join(missing)} for department "
            f"{decision.requester_code} and purpose {decision.purpose}: {verdict.reason}",
            missing=missing,
        )
    return LawfulBasis(
        verdict.basis,
        consent_id=verdict.consent_id,
        consent_leaf=verdict.consent_leaf_index,
        legal_reference=verdict.legal_reference,
    )


def _named(resource: PublishedVersion, key: str) -> str:
    """An item as consent names it: ``<resource code>#<item key>``."""
    return f"{resource.code}#{key}"


def _insert(session: Session, ex: Exchange) -> bool:
    """Insert the row, claiming the idempotency key (its leaf comes with :func:`_announce`),
    and keep ``ex`` in the session as the row's object, as if it had been read back. False,
    and nothing written, when the caller's key is taken already."""
    ex.subject_commitment = commitment(session, ex.subject) or ""
    ex.request_leaf = -1
    if not insert_if_absent(session, Exchange, {key: ex.__dict__[key] for key in _COLUMNS}):
        return False
    make_transient_to_detached(ex)
    session.add(ex)
    return True


def _announce(
    session: Session, made: Sequence[tuple[Exchange, Principal]], *, topics: Topics
) -> None:
    """The ``exchange:request`` leaf of each exchange made, by the system that asked for it
    (one reservation of the log), and its request message in the outbox."""
    drafts = [
        LeafDraft(
            Action.EXCHANGE_REQUEST,
            caller,
            subject=ex.subject,
            refs=leaf_refs(ex),
            outcome="requested",
            commitment=ex.subject_commitment or None,
        )
        for ex, caller in made
    ]
    placed = list(zip([ex for ex, _ in made], record_many(session, drafts), strict=True))
    if placed:
        session.execute(
            _SET_REQUEST_LEAF, [{"exchange_id": ex.id, "leaf": entry.index} for ex, entry in placed]
        )
    for ex, entry in placed:
        set_committed_value(ex, "request_leaf", entry.index)
    send_requests(session, [ex for ex, _ in made], topics)
