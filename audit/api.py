"""The audit API: signed checkpoints, proofs, leaves and the filtered log.

Checkpoints and consistency proofs are public (outside witnesses need them and they carry
hashes only). Inclusion proofs need any authenticated caller. Leaves and entries are read by
auditors (role ``auditor``) over the whole log, and by a department's systems and users only
over the leaves that concern that department (see :func:`audit.query.concerning`). Hashes,
proofs and leaf bytes are standard base64, as in the checkpoint notes.
"""

from __future__ import annotations

import base64
import threading
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from audit.checkpointer import (
    Checkpointer,
    StoredCheckpoint,
    checkpoint_of_size,
    latest_checkpoint,
    list_checkpoints,
)
from audit.errors import CheckpointerMissing, CheckpointNotFound, LeafNotFound, NotYourLeaf
from audit.leaf import Action
from audit.log import subject_ref
from audit.models import AuditLeaf
from audit.proofs import ProofCache, tree_size
from audit.query import LeafView, concerning, entries
from kit.actors import ROLE_ADMIN, ROLE_AUDITOR, SYSTEM, USER, Principal
from kit.crypto import public_pem
from kit.errors import Forbidden, Invalid
from kit.web import DbSession, require

router = APIRouter(prefix="/v1/audit", tags=["audit"])
CHECKPOINTER_STATE = "audit_checkpointer"
PROOFS_STATE = "audit_proofs"
MAX_PAGE = 1000
_creating = threading.Lock()


def install_audit(state: Any, *, checkpointer: Checkpointer | None, proofs: ProofCache) -> None:
    """Put the process's checkpointer and proof cache where the routes find them
    (``app.state``; the composition root calls this)."""
    setattr(state, CHECKPOINTER_STATE, checkpointer)
    setattr(state, PROOFS_STATE, proofs)


def _proofs(request: Request) -> ProofCache:
    with _creating:
        cache = getattr(request.app.state, PROOFS_STATE, None)
        if cache is None:
            cache = ProofCache()
            setattr(request.app.state, PROOFS_STATE, cache)
    assert isinstance(cache, ProofCache)
    return cache


def _checkpointer(request: Request) -> Checkpointer:
    checkpointer = getattr(request.app.state, CHECKPOINTER_STATE, None)
    if not isinstance(checkpointer, Checkpointer):
        raise CheckpointerMissing("this process holds no checkpoint signing key")
    return checkpointer


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


class CheckpointOut(BaseModel):
    id: int
    origin: str
    size: int
    root: str
    note: str
    created_at: datetime

    @classmethod
    def of(cls, item: StoredCheckpoint) -> CheckpointOut:
        origin = item.note.split("\n", 1)[0]
        return cls(
            id=item.id,
            origin=origin,
            size=item.size,
            root=_b64(item.root),
            note=item.note,
            created_at=item.created_at,
        )


class CheckpointsOut(BaseModel):
    checkpoints: list[CheckpointOut]
    next_after: int | None = Field(description="pass as ?after= for the next page")


class MadeOut(CheckpointOut):
    created: bool


class InclusionOut(BaseModel):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]
    root: str
    checkpoint: str | None = Field(description="the signed note of this size, when stored")


class ConsistencyOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_size: int = Field(serialization_alias="from")
    to_size: int = Field(serialization_alias="to")
    proof: list[str]
    from_root: str
    to_root: str


class EntryOut(BaseModel):
    index: int
    time: datetime
    action: str
    actor: dict[str, Any]
    subject: str | None
    refs: dict[str, str]
    outcome: str
    reason: str | None
    digests: dict[str, str]
    leaf_hash: str

    @classmethod
    def of(cls, view: LeafView) -> EntryOut:
        values = {**vars(view), "leaf_hash": _b64(bytes.fromhex(view.leaf_hash))}
        return cls(**values)


class EntriesOut(BaseModel):
    entries: list[EntryOut]
    next_after: int | None = Field(description="pass as ?after= for the next page")


class LeafOut(BaseModel):
    index: int
    leaf: str = Field(description="the canonical leaf bytes the tree hashes, base64")
    leaf_hash: str
    entry: EntryOut


def _scope(who: Principal) -> str | None:
    """None for auditors (everything); else the department whose leaves the caller reads."""
    if who.has(ROLE_AUDITOR):
        return None
    if who.kind in (SYSTEM, USER) and who.department:
        return who.department
    raise Forbidden("the log is read by auditors and by departments' systems and users")


def _default_size(session: DbSession, size: int | None) -> int:
    if size is not None:
        return size
    latest = latest_checkpoint(session)
    if latest is None:
        raise CheckpointNotFound("no checkpoint has been signed yet: pass size")
    return latest.size


class KeyOut(BaseModel):
    origin: str
    verifier_key: str = Field(description="C2SP verifier key: <name>+<key id>+<base64 key>")
    public_key_pem: str


@router.get("/key", response_model=KeyOut)
def get_key(request: Request) -> KeyOut:
    """The key checkpoints are signed with, in the forms ``tongban audit verify --key`` reads.
    Auditors should also obtain it through a channel other than this hub."""
    checkpointer = _checkpointer(request)
    pem = public_pem(checkpointer.public_key).decode("ascii")
    return KeyOut(
        origin=checkpointer.origin, verifier_key=checkpointer.verifier_key, public_key_pem=pem
    )


@router.get("/checkpoint", response_model=CheckpointOut)
def get_latest_checkpoint(session: DbSession) -> CheckpointOut:
    """The newest signed checkpoint (C2SP signed note), its size and root."""
    latest = latest_checkpoint(session)
    if latest is None:
        raise CheckpointNotFound("no checkpoint has been signed yet")
    return CheckpointOut.of(latest)


@router.get("/checkpoints", response_model=CheckpointsOut)
def get_checkpoints(
    session: DbSession,
    size: Annotated[int | None, Query(ge=0, description="only the one of this size")] = None,
    after: Annotated[int, Query(ge=0, description="id of the last one already seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> CheckpointsOut:
    """Stored checkpoints in the order they were made, or the one of ``size``."""
    if size is not None:
        found = checkpoint_of_size(session, size)
        if found is None:
            current = tree_size(session)
            beyond = f"; the log holds {current} leaves" if size > current else ""
            raise CheckpointNotFound(f"no checkpoint of size {size} is stored{beyond}")
        return CheckpointsOut(checkpoints=[CheckpointOut.of(found)], next_after=None)
    page = list_checkpoints(session, after_id=after, limit=limit)
    more = page[-1].id if len(page) == limit else None
    return CheckpointsOut(checkpoints=[CheckpointOut.of(c) for c in page], next_after=more)


@router.post("/checkpoints", response_model=MadeOut, status_code=201)
def post_checkpoint(
    session: DbSession,
    request: Request,
    response: Response,
    who: Annotated[Principal, require(ROLE_AUDITOR, ROLE_ADMIN)],
) -> MadeOut:
    """Sign a checkpoint now (201), or return the newest one if the log has not grown (200)."""
    made, created = _checkpointer(request).checkpoint(session, actor=who)
    assert made is not None  # an on-demand checkpoint always exists afterwards
    if not created:
        response.status_code = 200
    return MadeOut(**CheckpointOut.of(made).model_dump(), created=created)


@router.get("/proofs/inclusion", response_model=InclusionOut)
def get_inclusion_proof(
    session: DbSession,
    request: Request,
    _: Annotated[Principal, require()],
    index: Annotated[int, Query(ge=0)],
    size: Annotated[int | None, Query(ge=1, description="default: newest checkpoint")] = None,
) -> InclusionOut:
    """The audit path of leaf ``index`` in the tree of ``size`` (RFC 9162 §2.1.3)."""
    proof = _proofs(request).inclusion(session, index=index, size=_default_size(session, size))
    stored = checkpoint_of_size(session, proof.size)
    return InclusionOut(
        index=proof.index,
        size=proof.size,
        leaf_hash=_b64(proof.leaf_hash),
        proof=[_b64(node) for node in proof.path],
        root=_b64(proof.root),
        checkpoint=stored.note if stored else None,
    )


@router.get("/proofs/consistency", response_model=ConsistencyOut)
def get_consistency_proof(
    session: DbSession,
    request: Request,
    from_size: Annotated[int, Query(alias="from", ge=0)],
    to_size: Annotated[int | None, Query(alias="to", ge=0)] = None,
) -> ConsistencyOut:
    """Proof that the tree of ``from`` leaves is a prefix of the tree of ``to`` (RFC 9162
    §2.1.4); ``to`` defaults to the newest checkpoint."""
    target = _default_size(session, to_size)
    proof = _proofs(request).consistency(session, old_size=from_size, new_size=target)
    return ConsistencyOut(
        from_size=proof.old_size,
        to_size=proof.new_size,
        proof=[_b64(node) for node in proof.path],
        from_root=_b64(proof.old_root),
        to_root=_b64(proof.new_root),
    )


@router.get("/leaves/{index}", response_model=LeafOut)
def get_leaf(index: int, session: DbSession, who: Annotated[Principal, require()]) -> LeafOut:
    """One leaf: its exact bytes (what the tree hashes) and their decoded content."""
    row = session.get(AuditLeaf, index)
    if row is None:
        raise LeafNotFound(index, tree_size(session))
    scope = _scope(who)
    if scope is not None:
        mine = select(AuditLeaf.index).where(AuditLeaf.index == index, concerning(scope))
        if session.scalar(mine) is None:
            raise NotYourLeaf(f"leaf {index} does not concern department {scope}")
    return LeafOut(
        index=row.index,
        leaf=_b64(row.leaf),
        leaf_hash=_b64(row.leaf_hash),
        entry=EntryOut.of(LeafView.of(row)),
    )


def _refs(named: dict[str, str | None], pairs: list[str]) -> dict[str, str]:
    refs = {name: value for name, value in named.items() if value}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep or not name or not value:
            raise Invalid(f"ref {pair!r} must be written name:value")
        refs[name] = value
    return refs


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise Invalid(f"{name} needs a timezone, e.g. 2025-08-01T00:00:00+08:00")
    return value


def _subject(value: str | None) -> str | None:
    if value is None:
        return None
    kind, sep, identifier = value.partition(":")
    if not sep or not kind or not identifier.strip():
        raise Invalid("subject must be written kind:identifier, e.g. person:<ID number>")
    return subject_ref(kind, identifier)


def _actions(values: list[str]) -> list[str]:
    known = {str(a) for a in Action}
    unknown = [v for v in values if v not in known]
    if unknown:
        raise Invalid(f"unknown action(s): {', '.join(unknown)}")
    return values


@router.get("/entries", response_model=EntriesOut)
def get_entries(
    session: DbSession,
    who: Annotated[Principal, require()],
    action: Annotated[list[str] | None, Query(description="noun:verb; repeat for several")] = None,
    actor_department: str | None = None,
    resource: Annotated[str | None, Query(description="resource code")] = None,
    application: str | None = None,
    grant: str | None = None,
    consent: str | None = None,
    exchange: str | None = None,
    ref: Annotated[list[str] | None, Query(description="any ref, as name:value")] = None,
    subject: Annotated[str | None, Query(description="person:<id> or company:<uscc>")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: Annotated[int, Query(ge=-1, description="last index already seen")] = -1,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> EntriesOut:
    """Leaves matching every filter, in index order; auditors see all, departments theirs."""
    named = {
        "resource": resource,
        "application": application,
        "grant": grant,
        "consent": consent,
        "exchange": exchange,
    }
    found = entries(
        session,
        actions=_actions(action or []),
        actor_department=actor_department,
        subject=_subject(subject),
        refs=_refs(named, ref or []),
        since=_aware("since", since),
        until=_aware("until", until),
        after_index=after,
        limit=limit,
        concerning_department=_scope(who),
    )
    more = found[-1].index if len(found) == limit else None
    return EntriesOut(entries=[EntryOut.of(v) for v in found], next_after=more)
