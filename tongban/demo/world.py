"""``tongban demo seed``: the whole demo under ``<data_dir>/demo/``, and ``world.json``.

1. the synthetic world (:func:`tongban.demo.population.build_world`, from a seed and a
   reference date) is written into each department's own source under ``sources/``;
2. in one transaction: the demo catalog, each provider department's provider system and
   the requester systems (keys under ``keys/``, 0600), the authority's reviewer, and the
   grants of the one-thing scenarios (``tongban.demo.grants``);
3. each provider agent's configuration under ``agents/<dept>.yaml`` with its mappings;
4. ``world.json`` names the systems, key files, people by role and grants.

Seeding again with the same seed reuses the reference date recorded in ``world.json`` and
changes nothing: unchanged files are not rewritten and nothing new is registered.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog import CATALOG_TOPIC
from kit.actors import Principal, operator
from kit.db import make_engine, session_factory, transaction, utcnow
from tongban.demo import grants, systems
from tongban.demo.departments import holdings
from tongban.demo.facts import World
from tongban.demo.people import CHINA_TIME
from tongban.demo.population import DEFAULT_SEED, build_world
from tongban.demo.roles import describe_roles, describe_world
from tongban.demo.sources import Holding, write_files
from tongban.demo_catalog import load_demo, seed_catalog
from tongban.settings import Settings

WORLD_FILE = "world.json"


def demo_dir(settings: Settings) -> Path:
    return settings.data_dir / "demo"


def market_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.demo_market_port}"


def read_world(settings: Settings) -> dict[str, Any] | None:
    """The last ``world.json`` written under the data directory, if any."""
    path = demo_dir(settings) / WORLD_FILE
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def reference(
    previous: dict[str, Any] | None, seed: int | None, today: date | None
) -> tuple[int, date]:
    """The seed and reference date to build from: those recorded last time unless asked
    otherwise; a new seed without a date starts from today (Beijing time)."""
    chosen = seed if seed is not None else (previous or {}).get("seed", DEFAULT_SEED)
    if today is None and previous is not None and previous.get("seed") == chosen:
        today = date.fromisoformat(previous["today"])
    return int(chosen), today or datetime.now(CHINA_TIME).date()


def seed_demo(
    settings: Settings,
    *,
    seed: int | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Build (or confirm) the demo and return what ``world.json`` holds. ``now`` is the
    instant the grants are applied for and checked against (default: the clock)."""
    folder = demo_dir(settings)
    chosen, day = reference(read_world(settings), seed, today)
    world = build_world(chosen, day)
    held = holdings(world, market_url(settings))
    for holding in held:
        write_files(folder / "sources", holding.files)
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(session_factory(engine)) as session:
            document = _register(session, settings, world, held, now or utcnow())
    finally:
        engine.dispose()
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    systems.write_if_changed(folder / WORLD_FILE, text)
    return document


def _register(
    session: Session, settings: Settings, world: World, held: list[Holding], now: datetime
) -> dict[str, Any]:
    actor = operator("demo")
    catalog = seed_catalog(session, actor=actor, topic=settings.topic(CATALOG_TOPIC))
    demo = load_demo()
    codes: dict[str, str] = dict(catalog["departments"])
    names = {d["key"]: d["name"] for d in demo["departments"]}
    folder = demo_dir(settings)
    registered = _systems(session, folder, held, demo, codes, names, actor)
    reviewer = systems.ensure_reviewer(
        session, authority=catalog["authority"], keys=folder / "keys", actor=actor
    )
    parties = grants.Parties(
        departments=codes,
        reviewer=reviewer,
        requesters={s.id: s.department for s in systems.REQUESTERS},
    )
    listed, provisional = grants.ensure_grants(session, parties, settings, now=now)
    return {
        **describe_world(world, folder, held),
        "hub": settings.hub_id,
        "region": catalog["region"],
        "authority": {"code": catalog["authority"], "name": demo["authority"]["name"]},
        "departments": {k: {"code": codes[k], "name": names[k]} for k in codes},
        "market_service": {
            "url": market_url(settings),
            "port": settings.demo_market_port,
            "data": str(folder / "sources" / "market" / "scztdj.json"),
        },
        "systems": registered,
        "reviewer": {
            "username": systems.REVIEWER,
            "department": catalog["authority"],
            "password_file": str(folder / "keys" / "users.json"),
        },
        "roles": describe_roles(world),
        "grants": listed,
        "calendar": {"provisional_years": list(provisional)},
    }


def _systems(
    session: Session,
    folder: Path,
    held: list[Holding],
    demo: dict[str, Any],
    codes: dict[str, str],
    names: dict[str, str],
    actor: Principal,
) -> dict[str, dict[str, Any]]:
    """Register every system (keys under ``keys/``) and write the agents' configurations."""
    keys, agents = folder / "keys", folder / "agents"
    found: dict[str, dict[str, Any]] = {}
    for holding in held:
        dept = holding.department
        spec = systems.provider_spec(dept)
        key_file = systems.ensure_system(
            session, spec, department_code=codes[dept], name=names[dept], keys=keys, actor=actor
        )
        published = [str(r["code"]) for r in demo["resources"] if r["provider"] == dept]
        config = systems.agent_config(
            holding,
            system_id=spec.id,
            department_code=codes[dept],
            resources=[code for code in published if code in holding.serves],
        )
        path = systems.write_agent_files(agents, holding, config)
        found[spec.id] = _system_entry(spec, codes, key_file, path)
    for spec in systems.REQUESTERS:
        dept = spec.department
        key_file = systems.ensure_system(
            session, spec, department_code=codes[dept], name=names[dept], keys=keys, actor=actor
        )
        found[spec.id] = _system_entry(spec, codes, key_file, None)
    return found


def _system_entry(
    spec: systems.SystemSpec, codes: dict[str, str], key_file: Path, config: Path | None
) -> dict[str, Any]:
    return {
        "department": spec.department,
        "department_code": codes[spec.department],
        "role": spec.role,
        "scenario": spec.scenario,
        "key_file": str(key_file),
        "agent_config": str(config) if config else None,
    }
