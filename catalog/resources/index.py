"""The in-memory search index: every current entry's search text and filter values.

A substring scan in SQL (``LIKE '%出生%'``) over 10,000 entries costs tens of milliseconds on
SQLite, twice per page (count and rows); a scan over Python strings costs a few; a bigram
index (Chinese has no word boundaries, and most query terms are two characters or more)
narrows each term to the texts holding its rarest character pair: a fraction of a millisecond.

So each process keeps the current rows (superseded versions left out) in memory, keyed by
engine. Rebuilding it only reloads the rows (a few hundred milliseconds at 10,000 entries);
the bigram lists are filled as queries ask for them. Every search first reads one counter row
(``resource_index_state``) that each catalog change increments in its own transaction
(:func:`touch`): a different value means the index is stale and is rebuilt. The counter is a
single row updated in place, so concurrent writers serialise on it and a committed change is
always seen by the next search.

A search inside a transaction that changed the catalog itself (not yet committed) builds a
private index and does not cache it, so an uncommitted change never leaks to other requests.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from catalog.resources.models import Resource, ResourceIndexState

_CHANGED = "catalog_changed"
_STATE_ID = 1
_cache: WeakKeyDictionary[Engine, SearchIndex] = WeakKeyDictionary()
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    code: str
    version: int
    status: str
    provider_code: str
    category: str
    share_type: str
    grade: str
    retire_requested: bool
    text: str  # lower-cased search text
    name: str  # lower-cased name, for ranking


@dataclass(frozen=True)
class Query:
    terms: Sequence[str]
    status: str
    provider: str | None = None
    category: str | None = None
    share_type: str | None = None
    grade: str | None = None
    retire_requested: bool | None = None


class _Partition:
    """The entries of one status, in (code, version) order, with a bigram index built as it is
    used: for each pair of adjacent characters a query has asked about, the ascending
    positions of the texts that contain it (one scan the first time, then kept)."""

    MAX_GRAMS = 20_000

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.texts = [entry.text for entry in entries]
        self.postings: dict[str, list[int]] = {}

    def posting(self, gram: str) -> list[int]:
        found = self.postings.get(gram)
        if found is None:
            found = [i for i, text in enumerate(self.texts) if gram in text]
            if len(self.postings) >= self.MAX_GRAMS:
                self.postings.clear()
            self.postings[gram] = found
        return found

    def candidates(self, terms: Sequence[str]) -> list[int]:
        """Positions whose text holds every term: start from the rarest bigram of any term
        (one-character terms alone fall back to a scan), then check the terms that bigram
        does not settle (a two-character term is its own bigram)."""
        settled, picked = "", None
        for term in terms:
            for i in range(len(term) - 1):
                posting = self.posting(term[i : i + 2])
                if picked is None or len(posting) < len(picked):
                    settled, picked = (term if len(term) == 2 else ""), posting
        found = list(range(len(self.texts)) if picked is None else picked)
        texts = self.texts
        for term in terms:
            if term != settled:
                found = [i for i in found if term in texts[i]]
        return found


class SearchIndex:
    def __init__(self, generation: int, entries: list[Entry]) -> None:
        self.generation = generation
        by_status: dict[str, list[Entry]] = {}
        for entry in entries:  # already in (code, version) order
            by_status.setdefault(entry.status, []).append(entry)
        self.partitions = {status: _Partition(found) for status, found in by_status.items()}

    def find(self, query: Query) -> list[Entry]:
        """Matching entries: those whose name holds the first term first, then by code."""
        partition = self.partitions.get(query.status)
        if partition is None:
            return []
        if query.terms:
            found = [partition.entries[i] for i in partition.candidates(query.terms)]
        else:
            found = list(partition.entries)
        if _filtered(query):
            found = [e for e in found if _matches(e, query)]
        if not query.terms:
            return found
        first = query.terms[0]
        return [e for e in found if first in e.name] + [e for e in found if first not in e.name]


def _filtered(query: Query) -> bool:
    filters = (query.provider, query.category, query.share_type, query.grade)
    return any(value is not None for value in filters) or query.retire_requested is not None


def _matches(entry: Entry, query: Query) -> bool:
    return (
        (query.provider is None or entry.provider_code == query.provider)
        and (query.category is None or entry.category.startswith(query.category))
        and (query.share_type is None or entry.share_type == query.share_type)
        and (query.grade is None or entry.grade == query.grade)
        and (query.retire_requested is None or entry.retire_requested == query.retire_requested)
    )


def touch(session: Session) -> None:
    """Mark the catalog changed in this transaction (call after any change to resources)."""
    bumped = session.execute(
        update(ResourceIndexState)
        .where(ResourceIndexState.id == _STATE_ID)
        .values(generation=ResourceIndexState.generation + 1)
    )
    if getattr(bumped, "rowcount", 1) == 0:
        session.add(ResourceIndexState(id=_STATE_ID, generation=1))
        session.flush()
    session.info[_CHANGED] = True


def current(session: Session) -> SearchIndex:
    """The index as of this transaction, rebuilt only when the catalog changed."""
    generation = session.scalar(
        select(ResourceIndexState.generation).where(ResourceIndexState.id == _STATE_ID)
    )
    generation = generation or 0
    if session.info.get(_CHANGED):
        return _build(session, generation)
    engine = session.get_bind().engine
    cached = _cache.get(engine)
    if cached is not None and cached.generation == generation:
        return cached
    with _lock:
        cached = _cache.get(engine)
        if cached is None or cached.generation != generation:
            cached = _build(session, generation)
            _cache[engine] = cached
    return cached


def _build(session: Session, generation: int) -> SearchIndex:
    rows = session.execute(
        select(
            Resource.id,
            Resource.code,
            Resource.version,
            Resource.status,
            Resource.provider_code,
            Resource.category,
            Resource.share_type,
            Resource.grade,
            Resource.retire_requested_at.is_not(None),
            Resource.search_text,
            Resource.name,
        )
        .where(Resource.superseded.is_(False))
        .order_by(Resource.code, Resource.version)
    ).all()
    entries = [
        Entry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), r[9], r[10].lower())
        for r in rows
    ]
    return SearchIndex(generation, entries)
