"""The demo catalog: 杭州市's competent authority, eight providers and twenty published
resources covering the thirteen unified schemas (``tongban/demo/catalog.yaml``).

:func:`seed_catalog` is idempotent: when the authority is already registered it stores
nothing and returns the same codes, so ``tongban run`` may call it on every start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from catalog import (
    CATALOG_TOPIC,
    ImportFailed,
    add_department,
    get_department,
    import_resources,
    parse_entries,
)
from kit.actors import Principal, operator
from kit.db import make_engine, session_factory, transaction
from kit.errors import NotFound
from schemas import make_uscc
from tongban.settings import Settings

CATALOG_FILE = Path(__file__).parent / "demo" / "catalog.yaml"


def load_demo(path: Path = CATALOG_FILE) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data


def department_codes(demo: dict[str, Any]) -> dict[str, str]:
    """Department key → 统一社会信用代码 (机构编制 1, 机关 1), the authority included."""
    region = str(demo["region"])
    return {
        d["key"]: make_uscc(region, int(d["serial"]), authority="1", entity_type="1")
        for d in [demo["authority"], *demo["departments"]]
    }


def seed_catalog(
    session: Session, *, actor: Principal, topic: str | None = None, path: Path = CATALOG_FILE
) -> dict[str, Any]:
    """Register the demo departments and publish the demo resources (as ``actor``, normally
    the operator), unless the authority already exists. ``topic`` defaults to the catalog
    topic named by the environment's settings."""
    demo = load_demo(path)
    codes = department_codes(demo)
    authority = codes[demo["authority"]["key"]]
    result: dict[str, Any] = {
        "region": str(demo["region"]),
        "authority": authority,
        "departments": {k: v for k, v in codes.items() if v != authority},
        "resources": [str(r["code"]) for r in demo["resources"]],
    }
    try:
        get_department(session, authority)
        return {**result, "seeded": False}
    except NotFound:
        pass
    _add_departments(session, demo, codes, actor)
    entries, problems = parse_entries(_entries(demo, codes))
    if problems:
        raise ImportFailed(problems)
    full_topic = topic or Settings.from_env().topic(CATALOG_TOPIC)
    import_resources(session, parsed=entries, actor=actor, topic=full_topic, publish_now=True)
    return {**result, "seeded": True}


def _add_departments(
    session: Session, demo: dict[str, Any], codes: dict[str, str], actor: Principal
) -> None:
    authority = demo["authority"]
    for department in [authority, *demo["departments"]]:
        is_authority = department is authority
        add_department(
            session,
            code=codes[department["key"]],
            name=department["name"],
            level=str(demo["level"]),
            region=str(demo["region"]),
            is_authority=is_authority,
            parent_code=None if is_authority else codes[authority["key"]],
            actor=actor,
        )


def _entries(demo: dict[str, Any], codes: dict[str, str]) -> list[dict[str, Any]]:
    defaults = dict(demo.get("defaults", {}))
    entries = []
    for resource in demo["resources"]:
        entry = {**defaults, **resource}
        entry["provider_code"] = codes[entry.pop("provider")]
        entries.append(entry)
    return entries


def seed_with_settings(settings: Settings) -> dict[str, Any]:
    """Seed the demo catalog into the database ``settings`` name, in one transaction (for
    ``tongban run``, before the API starts)."""
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(session_factory(engine)) as session:
            return seed_catalog(session, actor=operator(), topic=settings.topic(CATALOG_TOPIC))
    finally:
        engine.dispose()
