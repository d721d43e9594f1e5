"""Finding entries: Chinese full-text search with filters, and the element lookup that answers
"can this field be obtained by sharing?" (数据共享可获取的, 不得重复采集).

Search matches every whitespace-separated term (all must occur, case-insensitively) against a
denormalised, lower-cased ``search_text`` column holding the name, code, abstract, item names
and keys, and provider name. A substring scan is what Chinese needs (no word boundaries); it
runs over the in-memory index of ``index.py`` and then loads only the page's rows (see
``bench/catalog_search.py`` for the numbers at 10,000 entries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from catalog.departments.models import Department
from catalog.resources.errors import InvalidResource, Problem
from catalog.resources.index import Query, current
from catalog.resources.models import Resource, ResourceItem, ShareType, Status
from catalog.resources.vocab import GRADES, SHARE_TYPES
from schemas import resolve_element

MAX_LIMIT = 200
_SHARE_ORDER = {ShareType.UNCONDITIONAL: 0, ShareType.CONDITIONAL: 1, ShareType.NOT_SHARED: 2}


@dataclass(frozen=True)
class SearchHit:
    code: str
    version: int
    name: str
    provider_code: str
    provider_name: str
    category: str
    abstract: str
    share_type: str
    grade: str
    status: str
    schema_id: str
    published_on: date | None
    retire_requested: bool


@dataclass(frozen=True)
class SearchPage:
    total: int
    limit: int
    offset: int
    hits: list[SearchHit]


@dataclass(frozen=True)
class LookupHit:
    """A published item that provides an element, with its sharing attribute."""

    resource_code: str
    resource_version: int
    resource_name: str
    provider_code: str
    item_key: str
    item_name: str
    share_type: str
    conditions: tuple[str, ...] = ()


def search(
    session: Session,
    *,
    q: str = "",
    provider: str | None = None,
    category: str | None = None,
    share_type: str | None = None,
    grade: str | None = None,
    status: str = Status.PUBLISHED,
    retire_requested: bool | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchPage:
    """Entries matching ``q`` and the filters, name matches first, then by code.
    ``category`` matches as a prefix (``1`` = 基础, ``101`` = 人口 ...)."""
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise InvalidResource([Problem("limit", f"limit 应在 1 到 {MAX_LIMIT} 之间, offset ≥ 0")])
    query = Query(
        terms=q.lower().split(),
        status=_status(status),
        provider=provider.strip().upper() if provider and provider.strip() else None,
        category=category.strip() if category and category.strip() else None,
        share_type=_filter(share_type, "share_type"),
        grade=_filter(grade, "grade"),
        retire_requested=retire_requested,
    )
    found = current(session).find(query)
    page = [entry.id for entry in found[offset : offset + limit]]
    rows = session.execute(
        select(Resource, Department.name)
        .join(Department, Department.code == Resource.provider_code)
        .where(Resource.id.in_(page))
        .options(lazyload(Resource.items))
    ).all()
    by_id = {row[0].id: _hit(row[0], row[1]) for row in rows}
    hits = [by_id[i] for i in page if i in by_id]
    return SearchPage(total=len(found), limit=limit, offset=offset, hits=hits)


def _filter(raw: str | None, field: str) -> str | None:
    if raw is None or not raw.strip():
        return None
    vocabulary = SHARE_TYPES if field == "share_type" else GRADES
    value = vocabulary.canonical(raw)
    if value is None:
        raise InvalidResource([Problem(field, f"{vocabulary.title}应为 {vocabulary.choices()}")])
    return value


def _status(status: str) -> str:
    try:
        return str(Status(status.strip().upper()))
    except ValueError as exc:
        choices = ", ".join(Status)
        raise InvalidResource([Problem("status", f"status 应为 {choices} 之一")]) from exc


def _hit(resource: Resource, provider_name: str) -> SearchHit:
    return SearchHit(
        code=resource.code,
        version=resource.version,
        name=resource.name,
        provider_code=resource.provider_code,
        provider_name=provider_name,
        category=resource.category,
        abstract=resource.abstract,
        share_type=resource.share_type,
        grade=resource.grade,
        status=resource.status,
        schema_id=resource.schema_id,
        published_on=resource.published_on,
        retire_requested=resource.retire_requested_at is not None,
    )


def normalise_element(element: str) -> str:
    """``person.identity@1.0.0#name`` → ``person.identity#name``, after checking it exists
    (raises the schemas' ``ElementNotFound``/``SchemaNotFound``, both 404)."""
    resolve_element(element.strip())
    schema_part, _, key = element.strip().partition("#")
    return f"{schema_part.partition('@')[0]}#{key}"


def lookup(session: Session, element: str) -> list[LookupHit]:
    """The currently published items that provide ``element``: unconditional first."""
    wanted = normalise_element(element)
    rows = session.execute(
        select(ResourceItem, Resource)
        .join(Resource, Resource.id == ResourceItem.resource_id)
        .where(
            ResourceItem.element == wanted,
            Resource.status == Status.PUBLISHED,
            Resource.superseded.is_(False),
        )
    ).all()
    hits = [
        LookupHit(
            resource_code=resource.code,
            resource_version=resource.version,
            resource_name=resource.name,
            provider_code=resource.provider_code,
            item_key=item.key,
            item_name=item.name,
            share_type=item.share_type,
            conditions=tuple(item.conditions),
        )
        for item, resource in rows
    ]
    return sorted(hits, key=lambda h: (_SHARE_ORDER[ShareType(h.share_type)], h.resource_code))
