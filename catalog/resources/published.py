"""A published version as an immutable value, for the exchange broker's every decision.

A PUBLISHED version's content (its schema, its items and their flags) never changes: a
revision is a new version in a new row, and the only move left to a published row is to
RETIRED. So :func:`published_version` reads the row's status on every call, in one query,
and its content once per row and publication: the snapshot is kept by the row id (random,
never reused) and the time it was published.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.orm import Session

from catalog.resources.errors import ResourceNotFound, ResourceNotPublished
from catalog.resources.models import Resource, Status
from kit.db import table_of

_MAX = 1024


@dataclass(frozen=True)
class PublishedItem:
    key: str
    share_type: str
    personal: bool
    sensitive: bool


@dataclass(frozen=True)
class PublishedVersion:
    """What deciding an exchange needs of a published resource version."""

    id: str
    code: str
    version: int
    provider_code: str
    schema_id: str
    schema_version: str
    items: tuple[PublishedItem, ...]

    def item(self, key: str) -> PublishedItem | None:
        return next((i for i in self.items if i.key == key), None)


# The status is read at every exchange decision, with a statement built once on the table
# (one of the mapped class's attributes takes the ORM's slower path).
_RESOURCES = table_of(Resource)
_STATUS = select(_RESOURCES.c.id, _RESOURCES.c.status, _RESOURCES.c.published_at).where(
    _RESOURCES.c.code == bindparam("code_ref"), _RESOURCES.c.version == bindparam("version_ref")
)
# Several versions' statuses in one query, for a batch of decisions (published_versions).
_STATUSES = select(
    _RESOURCES.c.id,
    _RESOURCES.c.code,
    _RESOURCES.c.version,
    _RESOURCES.c.status,
    _RESOURCES.c.published_at,
).where(tuple_(_RESOURCES.c.code, _RESOURCES.c.version).in_(bindparam("pairs", expanding=True)))
_KEPT: dict[tuple[str, datetime | None], PublishedVersion] = {}
_LOCK = threading.Lock()


def _snapshot(resource: Resource) -> PublishedVersion:
    return PublishedVersion(
        id=resource.id,
        code=resource.code,
        version=resource.version,
        provider_code=resource.provider_code,
        schema_id=resource.schema_id,
        schema_version=resource.schema_version,
        items=tuple(
            PublishedItem(i.key, i.share_type, i.personal, i.sensitive) for i in resource.items
        ),
    )


def published_version(session: Session, code: str, version: int) -> PublishedVersion:
    """Version ``version`` of ``code`` if it is PUBLISHED now; raises
    :class:`ResourceNotFound` or :class:`ResourceNotPublished` as
    :func:`catalog.published_resource` does."""
    row = session.execute(_STATUS, {"code_ref": code, "version_ref": version}).one_or_none()
    if row is None:
        raise ResourceNotFound(f"信息资源 {code} 没有第 {version} 版")
    if row.status != Status.PUBLISHED:
        raise ResourceNotPublished(f"{code} 第 {version} 版未发布 (状态 {row.status})")
    return _kept(session, row.id, row.published_at)


def published_versions(
    session: Session, wanted: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], PublishedVersion]:
    """The versions among ``wanted`` (code, version) that are PUBLISHED now, in one query;
    the others are left out (:func:`published_version` says why)."""
    pairs = sorted(set(wanted))
    if not pairs:
        return {}
    found: dict[tuple[str, int], PublishedVersion] = {}
    for row in session.execute(_STATUSES, {"pairs": pairs}):
        if row.status == Status.PUBLISHED:
            found[row.code, row.version] = _kept(session, row.id, row.published_at)
    return found


def _kept(session: Session, resource_id: str, published_at: datetime | None) -> PublishedVersion:
    """The snapshot of a PUBLISHED row, read once per row and publication."""
    key = (resource_id, published_at)
    kept = _KEPT.get(key)
    if kept is None:
        resource = session.get(Resource, resource_id)
        assert resource is not None
        kept = _snapshot(resource)
        with _LOCK:
            if len(_KEPT) >= _MAX:
                _KEPT.clear()
            _KEPT[key] = kept
    return kept
