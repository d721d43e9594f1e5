"""The front door every domain calls: ``record`` one leaf in the caller's transaction.

The sequencer is the single ``audit_head`` row. ``UPDATE audit_head SET size = size + k ...
RETURNING size`` reserves ``k`` consecutive indices and takes the row lock that every other
appending transaction waits on until this one commits or rolls back. So leaves are committed
in index order, committed leaves always form the prefix ``0 .. size-1``, and a rolled-back
transaction gives its indices back (gapless). ``record_many`` appends a batch with one
reservation and one multi-row insert per table — the way to append thousands per second.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction

from audit.leaf import Action, Leaf, subject_commitment
from audit.merkle import leaf_hash
from audit.models import HEAD, LEAVES, REFS, SubjectSalt
from kit.actors import Principal
from kit.db import table_of, utcnow
from kit.errors import Invalid

SALT_BYTES = 16
HEAD_ID = 1
REF_NAME_LENGTH = 32
REF_VALUE_LENGTH = 128
_WROTE = "audit.leaves_written_in"
_SALTS = "audit.salts_read_in"
# Built once: constructing a statement per append costs more than running it.
_RESERVE = (
    update(HEAD)
    .where(HEAD.c.id == HEAD_ID)
    .values(size=HEAD.c.size + bindparam("count"))
    .returning(HEAD.c.size)
)
_RELEASE = update(HEAD).where(HEAD.c.id == HEAD_ID).values(size=bindparam("size"))
_INSERT_LEAVES = insert(LEAVES)
_SALTS_TABLE = table_of(SubjectSalt)
# On the table: a statement of the mapped class (or ``session.get``) takes the ORM's slower
# path, and the salt is read once in every transaction that makes an exchange.
_SALT = select(_SALTS_TABLE.c.salt).where(_SALTS_TABLE.c.subject_key == bindparam("key_ref"))
_INSERT_REFS = insert(REFS)


@dataclass(frozen=True)
class Entry:
    """What ``record`` returns: where the leaf sits and the subject's commitment."""

    index: int
    leaf_hash: bytes
    subject: str | None


@dataclass(frozen=True)
class LeafDraft:
    """One leaf to append with :func:`record_many` (the arguments of :func:`record`)."""

    action: Action | str
    actor: Principal
    subject: str | None = None
    refs: Mapping[str, Any] | None = None
    outcome: str = "ok"
    reason: str | None = None
    digests: Mapping[str, str] | None = None
    # The subject's commitment when the caller already holds it (an exchange row stores
    # the one computed when it was made): the leaf takes it instead of reading the salt.
    commitment: str | None = None


def subject_ref(kind: str, identifier: str) -> str:
    """The one spelling of a subject everywhere: ``person:<id number>`` / ``company:<uscc>``."""
    return f"{kind}:{identifier.strip().upper()}"


def _subject_key(subject: str) -> str:
    return hashlib.sha256(subject.encode("utf-8")).hexdigest()


def commitment(session: Session, subject: str, *, create: bool = True) -> str | None:
    """The salted commitment for ``subject``; creates the salt the first time if asked.

    A salt read is kept for the rest of the session's current transaction (a pre-fill asks
    for the same few subjects in each of its exchanges): the session's identity map holds
    rows only while something refers to them, so it would read the row again each time."""
    key = _subject_key(subject)
    kept = _salts_of(session)
    salt = kept.get(key)
    if salt is None:
        session.flush()  # a salt erased in this transaction and not yet flushed is gone
        salt = session.scalar(_SALT, {"key_ref": key})
        if salt is None:
            if not create:
                return None
            row = SubjectSalt(subject_key=key, salt=secrets.token_bytes(SALT_BYTES))
            session.add(row)
            session.flush()
            salt = row.salt
        kept[key] = salt
    return subject_commitment(salt, subject)


@event.listens_for(Session, "after_soft_rollback")
def _forget_salts(session: Session, previous: SessionTransaction) -> None:
    """Any rollback, a savepoint's too, may have taken back a salt created under it."""
    session.info.pop(_SALTS, None)


@event.listens_for(Session, "persistent_to_deleted")
def _forget_erased(session: Session, instance: object) -> None:
    """A salt erased in this transaction (its row deleted) is not kept either."""
    if isinstance(instance, SubjectSalt):
        session.info.pop(_SALTS, None)


def _salts_of(session: Session) -> dict[str, bytes]:
    """The salts read in the session's current transaction, by subject key."""
    current = session.get_transaction()
    if current is None:  # begin now (the salt's read would), so the salts are kept by it
        session.connection()
        current = session.get_transaction()
    held = session.info.get(_SALTS)
    if held is None or held[0] is not current:
        held = session.info[_SALTS] = (current, {})
    salts: dict[str, bytes] = held[1]
    return salts


def wrote_leaves(session: Session) -> bool:
    """Whether the session's current transaction has appended leaves."""
    marker = session.info.get(_WROTE)
    return marker is not None and marker is session.get_transaction()


def _reserve(session: Session, count: int) -> int:
    """Lock the sequencer and take ``count`` indices; return the first."""
    size = session.connection().execute(_RESERVE, {"count": count}).scalar()
    if size is None:  # a database made without migration 0001's seed row
        session.execute(insert(HEAD).values(id=HEAD_ID, size=count))
        size = count
    session.info[_WROTE] = session.get_transaction()
    return int(size) - count


def _clean_refs(refs: Mapping[str, Any] | None) -> dict[str, str]:
    clean: dict[str, str] = {}
    for name, value in (refs or {}).items():
        if value is None or value == "":
            continue
        if not 0 < len(str(name)) <= REF_NAME_LENGTH:
            raise Invalid(f"audit ref name {str(name)[:40]!r} must be 1 to 32 characters")
        clean[str(name)] = str(value)
    return clean


def _action(action: Action | str) -> Action:
    try:
        return Action(action)
    except ValueError as exc:
        raise Invalid(f"unknown audit action {action!r}") from exc


def _leaf(session: Session, draft: LeafDraft, index: int, salts: dict[str, str]) -> Leaf:
    committed = draft.commitment
    if committed is None and draft.subject:
        if draft.subject not in salts:
            salts[draft.subject] = commitment(session, draft.subject) or ""
        committed = salts[draft.subject]
    return Leaf(
        index=index,
        time=utcnow(),
        action=str(_action(draft.action)),
        actor=draft.actor.as_actor(),
        subject=committed,
        refs=_clean_refs(draft.refs),
        outcome=draft.outcome,
        reason=draft.reason,
        digests=dict(draft.digests or {}),
    )


def _row(leaf: Leaf, data: bytes, digest: bytes) -> dict[str, Any]:
    return {
        "index": leaf.index,
        "leaf": data,
        "leaf_hash": digest,
        "time": leaf.time,
        "action": leaf.action,
        "actor_kind": leaf.actor["kind"],
        "actor_id": leaf.actor["id"],
        "actor_department": leaf.actor["department"],
        "subject": leaf.subject,
    }


def _build(
    session: Session, drafts: Sequence[LeafDraft], first: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Entry]]:
    salts: dict[str, str] = {}
    leaves: list[dict[str, Any]] = []
    refs: list[dict[str, Any]] = []
    entries: list[Entry] = []
    for offset, draft in enumerate(drafts):
        leaf = _leaf(session, draft, first + offset, salts)
        data = leaf.to_bytes()
        digest = leaf_hash(data)
        leaves.append(_row(leaf, data, digest))
        refs.extend(
            {"leaf_index": leaf.index, "name": name, "value": value[:REF_VALUE_LENGTH]}
            for name, value in leaf.refs.items()
        )
        entries.append(Entry(index=leaf.index, leaf_hash=digest, subject=leaf.subject))
    return leaves, refs, entries


def record_many(session: Session, drafts: Sequence[LeafDraft]) -> list[Entry]:
    """Append ``drafts`` as consecutive leaves in the caller's transaction: one sequencer
    reservation, one insert per table. A draft that is not a valid leaf gives the reserved
    indices back before the error propagates, so the head never runs ahead of the leaves."""
    for draft in drafts:
        _action(draft.action)
        _clean_refs(draft.refs)
    if not drafts:
        return []
    first = _reserve(session, len(drafts))
    try:
        leaves, refs, entries = _build(session, drafts, first)
    except Invalid:
        session.execute(_RELEASE, {"size": first})
        raise
    connection = session.connection()
    connection.execute(_INSERT_LEAVES, leaves)
    if refs:
        connection.execute(_INSERT_REFS, refs)
    return entries


def record(
    session: Session,
    *,
    action: Action | str,
    actor: Principal,
    subject: str | None = None,
    refs: Mapping[str, Any] | None = None,
    outcome: str = "ok",
    reason: str | None = None,
    digests: Mapping[str, str] | None = None,
    commitment: str | None = None,
) -> Entry:
    """Append one leaf in the caller's transaction. It commits or rolls back with the change
    it records. ``subject`` (see :func:`subject_ref`) is stored only as its commitment;
    a caller that holds that commitment already passes it as ``commitment``."""
    draft = LeafDraft(action, actor, subject, refs, outcome, reason, digests, commitment)
    return record_many(session, [draft])[0]
