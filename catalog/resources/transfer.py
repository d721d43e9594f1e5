"""Import and export: the stewards' files in, the catalog out.

A file imports all or nothing: every entry is checked first and every problem reported in the
file's own terms (sheet, row, column); only a clean file is stored, in the caller's
transaction. Imported entries arrive as DRAFT, or — for the operator's seed — submitted and
published at once, each step logged like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.departments.models import Department
from catalog.resources.documents import Parsed, read_document
from catalog.resources.errors import ImportFailed, InvalidResource, Problem, SecretRefused
from catalog.resources.excel import read_workbook, write_workbook
from catalog.resources.lifecycle import publish, submit
from catalog.resources.models import Resource, Status
from catalog.resources.rules import check
from catalog.resources.service import create_resource
from kit.actors import Principal
from kit.errors import Forbidden, TongbanError

SUFFIXES = (".xlsx", ".yaml", ".yml", ".json")


def read_file(filename: str, data: bytes) -> list[Parsed]:
    """Parse a catalog file by its suffix; raises :class:`ImportFailed` listing every problem."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xlsx":
        parsed, problems = read_workbook(data)
    elif suffix in SUFFIXES:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFailed(["文件应为 UTF-8 编码"]) from None
        parsed, problems = read_document(text, is_json=suffix == ".json")
    else:
        raise ImportFailed([f"只能导入 {'、'.join(SUFFIXES)} 文件, 而非「{filename}」"])
    if problems:
        raise ImportFailed(problems)
    if not parsed:
        raise ImportFailed(["文件中没有信息资源"])
    return parsed


def import_resources(
    session: Session,
    *,
    parsed: Sequence[Parsed],
    actor: Principal,
    topic: str,
    publish_now: bool = False,
) -> list[Resource]:
    """Create every entry (DRAFT), or none; with ``publish_now`` submit and publish each too
    (only an actor who is both steward and reviewer — the operator — can)."""
    problems = [line for item in parsed for line in _rule_problems(item)]
    if problems:
        raise ImportFailed(problems)
    created: list[Resource] = []
    for item in parsed:
        try:
            created.append(create_resource(session, entry=item.entry, actor=actor, topic=topic))
        except Forbidden:
            raise
        except TongbanError as exc:
            problems.append(f"{item.origin.where(str(exc.extra.get('field', '')))}: {exc.detail}")
    if problems:
        raise ImportFailed(problems)
    if publish_now:
        for resource, item in zip(created, parsed, strict=True):
            submit(session, code=resource.code, actor=actor, topic=topic)
            publish(
                session,
                code=resource.code,
                actor=actor,
                topic=topic,
                comment="导入发布",
                published_on=item.entry.published_on,
            )
    return created


def _rule_problems(item: Parsed) -> list[str]:
    try:
        check(item.entry)
    except InvalidResource as exc:
        return [f"{item.origin.where(p.field)}: {p.message}" for p in exc.problems]
    except SecretRefused as exc:
        return [f"{item.origin.where('secret')}: {exc.detail}"]
    return []


def export_workbook(
    session: Session, *, provider: str | None = None, status: str = Status.PUBLISHED
) -> bytes:
    """The current entries (the published ones by default) in the import layout."""
    try:
        wanted = Status(status.strip().upper())
    except ValueError:
        raise InvalidResource(
            [Problem("status", f"status 应为 {', '.join(Status)} 之一")]
        ) from None
    query = select(Resource).where(Resource.status == wanted, Resource.superseded.is_(False))
    if provider:
        query = query.where(Resource.provider_code == provider)
    resources = session.scalars(query.order_by(Resource.code, Resource.version)).all()
    rows = session.execute(select(Department.code, Department.name)).all()
    names = {row[0]: row[1] for row in rows}
    return write_workbook(resources, names)
