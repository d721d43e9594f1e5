"""``tongban catalog``: the stewards' files in and out, the demo seed, search and lookup."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from catalog import (
    CATALOG_TOPIC,
    ImportFailed,
    export_workbook,
    import_resources,
    lookup,
    published_resource,
    read_file,
    search_resources,
)
from kit.actors import operator
from tongban.cli.common import emit, fail, hub_session
from tongban.demo_catalog import seed_catalog

catalog = typer.Typer(
    help="The catalog of shared data resources (政务数据目录).", no_args_is_help=True
)


@catalog.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help=".xlsx (2017 layout), .yaml/.yml or .json")],
    publish: Annotated[
        bool, typer.Option(help="also submit and publish each entry, as the operator")
    ] = False,
) -> None:
    """Import a catalog file: every entry or none. Entries arrive as DRAFT unless --publish."""
    if not file.is_file():
        fail(f"no file at {file}")
    with hub_session() as (hub, session):
        try:
            created = import_resources(
                session,
                parsed=read_file(file.name, file.read_bytes()),
                actor=operator(),
                topic=hub.settings.topic(CATALOG_TOPIC),
                publish_now=publish,
            )
        except ImportFailed as exc:
            for problem in exc.problems:
                typer.echo(problem, err=True)
            raise  # the transaction rolls back: nothing from the file is stored
        emit({"imported": [r.code for r in created], "published": publish})


@catalog.command("export")
def export(
    file: Annotated[Path, typer.Argument(help="the .xlsx file to write")],
    provider: Annotated[str | None, typer.Option(help="one provider's code only")] = None,
    status: Annotated[str, typer.Option(help="PUBLISHED, DRAFT, SUBMITTED ...")] = "PUBLISHED",
) -> None:
    """Write the current entries in the import layout (one row per item)."""
    with hub_session() as (_, session):
        data = export_workbook(session, provider=provider, status=status)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(data)
    emit({"file": str(file), "bytes": len(data)})


@catalog.command("seed")
def seed() -> None:
    """Register the demo departments (杭州市) and publish the demo catalog, once."""
    with hub_session() as (hub, session):
        topic = hub.settings.topic(CATALOG_TOPIC)
        emit(seed_catalog(session, actor=operator(), topic=topic))


@catalog.command("search")
def search(
    q: Annotated[str, typer.Argument(help="words to find, e.g. 出生")] = "",
    provider: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option()] = 20,
) -> None:
    """Search the published catalog."""
    with hub_session() as (_, session):
        page = search_resources(session, q=q, provider=provider, limit=limit)
        hits = [
            {"code": h.code, "name": h.name, "provider": h.provider_name, "share": h.share_type}
            for h in page.hits
        ]
        emit({"total": page.total, "resources": hits})


@catalog.command("show")
def show(code: Annotated[str, typer.Argument(help="信息资源代码, e.g. 101001/000001")]) -> None:
    """The current published version of an entry with its items."""
    with hub_session() as (_, session):
        r = published_resource(session, code)
        items = [
            {"key": i.key, "name": i.name, "share": i.share_type, "conditions": i.conditions}
            for i in r.items
        ]
        emit({"code": r.code, "version": r.version, "name": r.name, "items": items})


@catalog.command("lookup")
def lookup_(element: Annotated[str, typer.Argument(help="e.g. person.identity#name")]) -> None:
    """Which published items provide this field (so a form need not ask for it)."""
    with hub_session() as (_, session):
        emit([asdict(hit) for hit in lookup(session, element)])


def register(app: typer.Typer) -> None:
    app.add_typer(catalog, name="catalog")
