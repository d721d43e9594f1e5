"""HTTP routes for the catalog of data resources (政务数据目录).

Codes contain a slash (``101001/000123``), so routes take ``{code:path}``; the fixed paths
(``export``, ``import``) are declared before the catch-all ``GET /v1/resources/{code}``.

Retirement needs the number of active grants, which live in the exchange layer: the
composition root may put a callable ``(session, code) -> int`` on ``app.state.active_grants``.
Without one the count is unknown and a steward's request waits for the authority.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from catalog.departments.service import authority_for
from catalog.resources import lifecycle, search, service, transfer
from catalog.resources.events import TOPIC
from catalog.resources.models import Resource, Status
from catalog.resources.payloads import (
    CommentIn,
    ImportOut,
    LookupOut,
    ReasonIn,
    ResourceIn,
    ResourceOut,
    RetireIn,
    RetireOut,
    SearchOut,
    TransitionOut,
    VersionOut,
)
from kit.actors import ROLE_ADMIN, ROLE_AUDITOR, Principal
from kit.errors import Forbidden
from kit.web import DbSession, require

router = APIRouter(tags=["catalog"])
Anyone = Annotated[Principal, require()]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _topic(request: Request) -> str:
    return str(request.app.state.settings.topic(TOPIC))


Topic = Annotated[str, Depends(_topic)]


@router.post("/v1/resources", response_model=ResourceOut, status_code=201)
def create(body: ResourceIn, session: DbSession, who: Anyone, topic: Topic) -> ResourceOut:
    """A provider's steward registers a new entry as a DRAFT."""
    resource = service.create_resource(session, entry=body.to_input(), actor=who, topic=topic)
    return ResourceOut.of(resource)


@router.get("/v1/resources", response_model=SearchOut)
def find(
    session: DbSession,
    who: Anyone,
    q: str = "",
    provider: str | None = None,
    category: str | None = None,
    share_type: str | None = None,
    grade: str | None = None,
    status: str = Status.PUBLISHED,
    retire_requested: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=search.MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SearchOut:
    """Search names, abstracts, item names and providers (all terms must match). Entries
    not yet published are listed only to their provider, authorities and admins."""
    if status.strip().upper() != Status.PUBLISHED and not _sees_all(session, who):
        provider = who.department or ""
    page = search.search(
        session,
        q=q,
        provider=provider,
        category=category,
        share_type=share_type,
        grade=grade,
        status=status,
        retire_requested=retire_requested,
        limit=limit,
        offset=offset,
    )
    return SearchOut(total=page.total, limit=page.limit, offset=page.offset, resources=page.hits)


@router.get("/v1/resources/export", response_class=Response)
def export(
    session: DbSession, _: Anyone, provider: str | None = None, status: str = Status.PUBLISHED
) -> Response:
    """The current published entries as an .xlsx in the import layout."""
    data = transfer.export_workbook(session, provider=provider, status=status)
    headers = {"Content-Disposition": 'attachment; filename="catalog.xlsx"'}
    return Response(data, media_type=XLSX, headers=headers)


@router.post("/v1/resources/import", response_model=ImportOut, status_code=201)
def import_file(
    session: DbSession, who: Anyone, topic: Topic, file: Annotated[UploadFile, File()]
) -> ImportOut:
    """Import .xlsx (2017 layout), .yaml or .json: all entries as DRAFT, or nothing."""
    parsed = transfer.read_file(file.filename or "", file.file.read())
    created = transfer.import_resources(session, parsed=parsed, actor=who, topic=topic)
    return ImportOut(imported=[r.code for r in created])


@router.get("/v1/lookup", response_model=LookupOut)
def lookup(session: DbSession, _: Anyone, element: str) -> LookupOut:
    """Can this field be obtained by sharing? ``element`` is ``schema#key`` (encode # as %23)."""
    hits = search.lookup(session, element)
    obtainable = any(h.share_type != "not_shared" for h in hits)
    return LookupOut(element=element, obtainable=obtainable, hits=hits)


@router.put("/v1/resources/{code:path}/draft", response_model=ResourceOut)
def edit(code: str, body: ResourceIn, session: DbSession, who: Anyone, topic: Topic) -> ResourceOut:
    """Replace a DRAFT or RETURNED version's content (a published version: 409)."""
    entry = body.to_input()
    resource = service.update_draft(session, code=code, entry=entry, actor=who, topic=topic)
    return ResourceOut.of(resource)


@router.post("/v1/resources/{code:path}/submit", response_model=ResourceOut)
def submit(code: str, session: DbSession, who: Anyone, topic: Topic) -> ResourceOut:
    return ResourceOut.of(lifecycle.submit(session, code=code, actor=who, topic=topic))


@router.post("/v1/resources/{code:path}/publish", response_model=ResourceOut)
def publish(
    code: str, session: DbSession, who: Anyone, topic: Topic, body: CommentIn | None = None
) -> ResourceOut:
    comment = body.comment if body else None
    resource = lifecycle.publish(session, code=code, actor=who, topic=topic, comment=comment)
    return ResourceOut.of(resource)


@router.post("/v1/resources/{code:path}/return", response_model=ResourceOut)
def return_(
    code: str, body: ReasonIn, session: DbSession, who: Anyone, topic: Topic
) -> ResourceOut:
    resource = lifecycle.return_resource(
        session, code=code, actor=who, reason=body.reason, topic=topic
    )
    return ResourceOut.of(resource)


@router.post("/v1/resources/{code:path}/revise", response_model=ResourceOut, status_code=201)
def revise(code: str, session: DbSession, who: Anyone, topic: Topic) -> ResourceOut:
    return ResourceOut.of(lifecycle.revise(session, code=code, actor=who, topic=topic))


@router.post("/v1/resources/{code:path}/retire", response_model=RetireOut)
def retire(
    code: str, body: RetireIn, request: Request, session: DbSession, who: Anyone, topic: Topic
) -> JSONResponse:
    """A steward asks (retired at once when no grant is active, else pending → 202); the
    authority's reviewer approves or declines a pending request."""
    counter: Callable[[Session, str], int] | None = getattr(
        request.app.state, "active_grants", None
    )
    active = None if counter is None else counter(session, code)
    resource = lifecycle.retire(
        session,
        code=code,
        actor=who,
        reason=body.reason,
        active_grants=active,
        topic=topic,
        approve=body.approve,
    )
    if resource.status == Status.RETIRED:
        state, http = "retired", 200
    elif resource.retire_requested_at is not None:
        state, http = "pending", 202
    else:
        state, http = "declined", 200
    out = RetireOut(status=state, resource=ResourceOut.of(resource))
    return JSONResponse(out.model_dump(mode="json"), status_code=http)


@router.get("/v1/resources/{code:path}/versions", response_model=list[VersionOut])
def versions(code: str, session: DbSession, _: Anyone) -> list[VersionOut]:
    return [
        VersionOut(
            version=r.version,
            status=r.status,
            created_at=r.created_at,
            published_at=r.published_at,
            superseded=r.superseded,
        )
        for r in service.versions(session, code)
    ]


@router.get("/v1/resources/{code:path}/history", response_model=list[TransitionOut])
def history(code: str, session: DbSession, _: Anyone) -> list[TransitionOut]:
    """Every step: action, outcome, actor and department, time, reason, audit leaf index."""
    return [TransitionOut.of(t) for t in service.history(session, code)]


@router.get("/v1/resources/{code:path}", response_model=ResourceOut)
def show(code: str, session: DbSession, who: Anyone, version: int | None = None) -> ResourceOut:
    """The current published version, or ``?version=n`` (unpublished ones: provider and
    authority only)."""
    if version is None:
        return ResourceOut.of(service.published_resource(session, code))
    resource = service.get_version(session, code, version)
    if resource.status != Status.PUBLISHED and not _may_see(session, who, resource):
        raise Forbidden("未发布的版本仅提供方和共享主管部门可以查看")
    return ResourceOut.of(resource)


def _sees_all(session: Session, who: Principal) -> bool:
    if who.has(ROLE_ADMIN, ROLE_AUDITOR):
        return True
    authority = authority_for(session, who.department) if who.department else None
    return authority is not None and authority.code == who.department


def _may_see(session: Session, who: Principal, resource: Resource) -> bool:
    if who.department == resource.provider_code or who.has(ROLE_ADMIN, ROLE_AUDITOR):
        return True
    authority = authority_for(session, resource.provider_code)
    return authority is not None and authority.code == who.department
