"""``tongban demo``: the one-thing stories (no command, or ``stories``; docs/walkthrough.md),
the synthetic departments (``seed``), what the seed recorded in world.json (``world``,
``grant``: the people by role and the grants, for scripts and curl) and the market regulation
department's interface (``market-service``); see docs/demo.md."""

from __future__ import annotations

import json
import logging
import signal
import threading
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from kit.errors import TongbanError
from tongban.cli.common import emit, fail, settings
from tongban.demo.market_service import make_server
from tongban.demo.telling import tell_stories
from tongban.demo.world import demo_dir, seed_demo

demo = typer.Typer(
    help="The demo: synthetic departments, their data, agents and grants; with no command, "
    "the one-thing stories (make demo)."
)


@demo.callback(invoke_without_command=True)
def default(ctx: typer.Context) -> None:
    """With no command, tell the one-thing stories (make demo)."""
    if ctx.invoked_subcommand is None:
        stories()


@demo.command("stories")
def stories() -> None:
    """Tell the four one-thing stories against the hub `make run` started: grants, consent,
    the pre-filled forms with provenance, signature checks, the audit log verified offline."""
    raise typer.Exit(tell_stories(settings()))


@demo.command("seed")
def seed(
    number: Annotated[
        int | None, typer.Option("--seed", help="the world's seed (default: the last one used)")
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(help="reference date YYYY-MM-DD (default: the last one used, else today)"),
    ] = None,
) -> None:
    """Build the demo under <data_dir>/demo/: each department's data in its own source, the
    systems and keys, the agents' configurations, the grants; idempotent."""
    try:
        day = date.fromisoformat(today) if today else None
    except ValueError:
        fail(f"--today {today!r} is not a date YYYY-MM-DD")
        return
    try:
        world = seed_demo(settings(), seed=number, today=day)
    except TongbanError as exc:
        fail(f"{exc.code}: {exc.detail}")
        return
    emit(_summary(world))


def _summary(world: dict[str, Any]) -> dict[str, Any]:
    return {
        "seed": world["seed"],
        "today": world["today"],
        "world": str(demo_dir(settings()) / "world.json"),
        "people": len(world["population"]),
        "companies": len(world["companies"]),
        "roles": {
            role: entry.get("id_number") or entry.get("uscc") or f"({entry['name']}, 未登记)"
            for role, entry in world["roles"].items()
        },
        "systems": {k: v["role"] for k, v in world["systems"].items()},
        "grants": len(world["grants"]),
    }


def _load_world() -> dict[str, Any]:
    path = demo_dir(settings()) / "world.json"
    try:
        world: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        fail(f"no demo world at {path}; start `make run` or run `tongban demo seed` first")
        return {}
    except (OSError, ValueError) as exc:
        fail(f"cannot read {path}: {exc}")
        return {}
    return world


def _print(value: Any) -> None:
    """Text and numbers bare (for ``$(...)`` in a shell), anything else as JSON."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        typer.echo(value)
    else:
        emit(value)


@demo.command("world")
def world_entry(
    role: Annotated[
        str | None, typer.Option(help="a role: mother, father, retiree, company, …")
    ] = None,
    field: Annotated[
        str | None,
        typer.Option(help="one field of the role (or of world.json without --role), printed bare"),
    ] = None,
) -> None:
    """What the seed recorded in world.json: with no option, the summary (people by role,
    systems, counts); --role the role's entry; --field one value of it, bare, for a shell:

    MOTHER=$(tongban demo world --role mother --field id_number)
    """
    world = _load_world()
    if role is None and field is None:
        emit(_summary(world))
        return
    entry: dict[str, Any] = world
    if role is not None:
        roles = world.get("roles", {})
        if role not in roles:
            fail(f"no role {role!r} in the demo world; roles: {', '.join(sorted(roles))}")
        entry = roles[role]
    if field is None:
        _print(entry)
        return
    if field not in entry:
        where = f"role {role!r}" if role else "world.json"
        fail(f"{where} has no field {field!r}; fields: {', '.join(sorted(entry))}")
    _print(entry[field])


@demo.command("grant")
def grant_id(
    scenario: Annotated[str, typer.Argument(help="the scenario: newborn-birth, retirement, …")],
    resource: Annotated[str, typer.Argument(help="the catalog code, e.g. 101001/000001")],
    item: Annotated[
        list[str] | None,
        typer.Option("--item", help="an item the grant must hold (repeat for several)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the grant's entry")] = False,
) -> None:
    """The id of the demo grant under which the scenario's system asks for RESOURCE (the one
    holding every --item: a resource may be held under two grants, one for its unconditional
    and one for its conditional items)."""
    wanted = set(item or ())
    grants = [
        g
        for g in _load_world().get("grants", [])
        if g["scenario"] == scenario and g["resource"] == resource
    ]
    found = next((g for g in grants if wanted <= set(g["items"])), None)
    if found is None:
        if not grants:
            fail(f"the demo holds no grant for {scenario} on {resource}")
        held = " | ".join(", ".join(g["items"]) for g in grants)
        asked = ", ".join(sorted(wanted))
        fail(f"no grant for {scenario} on {resource} holds {asked} (the grants hold: {held})")
        return
    if as_json:
        emit(found)
    else:
        typer.echo(found["grant"])


@demo.command("market-service")
def market_service(
    port: Annotated[
        int | None, typer.Option(help="port (default TONGBAN_DEMO_MARKET_PORT)")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="the records file the seed wrote")] = None,
) -> None:
    """Serve the market regulation department's registrations as JSON by USCC until
    interrupted (GET /api/ent/{uscc}, GET /api/spjyxk/{uscc}; 404 when unknown)."""
    s = settings()
    logging.basicConfig(level=s.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    path = data or demo_dir(s) / "sources" / "market" / "scztdj.json"
    try:
        server = make_server(path, port=port if port is not None else s.demo_market_port)
    except (FileNotFoundError, OSError) as exc:
        fail(str(exc))
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker = threading.Thread(target=server.serve_forever, name="market-service", daemon=True)
    worker.start()
    typer.echo(
        f"market regulation interface on http://127.0.0.1:{server.server_port} (Ctrl-C stops it)"
    )
    while not stop.is_set():
        stop.wait(0.5)
    server.shutdown()
    server.server_close()
    typer.echo("market regulation interface stopped.")


def register(app: typer.Typer) -> None:
    app.add_typer(demo, name="demo")
