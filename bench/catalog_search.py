"""Catalog search benchmark: p50/p95 of searches over 10,000 published resources.

Run: ``.venv/bin/python -m bench.catalog_search`` (PostgreSQL too when
TONGBAN_BENCH_DATABASE_URL names a server the bench may create a scratch database on).
Prints one JSON object (bench/common.py); the target is p95 ≤ 20 ms.

Seeding: the demo catalog (9 departments, 20 resources) goes through the real services
(create, submit, publish), plus 40 district departments; the 20 published entries are then
cloned in bulk to 10,000 published rows with their items and reserved codes, and
``reindex_resources`` rebuilds the search column exactly as the services write it.

Measured: a few hundred searches (single and double Chinese terms, item names, provider
names, filters, misses, later pages) through ``search_resources`` (one transaction each, as a
request has) and through the HTTP API (TestClient, bearer token, JSON). The floor is the same
LIKE query and count run directly on the driver's cursor. Also reported: the first search
after a catalog change, which rebuilds the in-memory index.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bench.common import Figure, emit, rounds, summary_ms
from catalog import (
    CATALOG_TOPIC,
    Resource,
    ResourceItem,
    add_department,
    add_user,
    reindex_resources,
    search_resources,
)
from catalog.resources import ResourceCode
from catalog.resources.index import touch
from kit.actors import operator
from kit.db import new_id, transaction
from schemas import make_uscc
from tongban.app import create_app
from tongban.auth import user_token
from tongban.db import upgrade
from tongban.demo_catalog import seed_catalog
from tongban.settings import Settings
from tongban.wiring import build_hub

TOTAL = 10_000
SEARCHES = 300
TARGET = "≤ 20 ms"
DISTRICTS = (
    "上城区 拱墅区 西湖区 滨江区 萧山区 余杭区 临平区 钱塘区 富阳区 临安区 桐庐县 淳安县 建德市"
)
BUREAUS = ["公安分局", "卫生健康局", "民政局", "市场监督管理局"]
VARIANTS = ["", "历史", "变更", "核验", "统计", "注销", "补发", "年度"]
TERMS = [
    "出生",
    "户籍",
    "公积金",
    "营业执照",
    "企业登记",
    "身份",
    "社会保险",
    "不动产",
    "婚姻",
    "死亡",
    "驾驶证",
    "医保",
    "食品经营",
    "火化",
    "租赁",
    "西湖区",
    "公民身份号码",
    "缴存",
    "法定代表人",
    "养老",
    "id_number",
    "滨江区 户籍",
    "萧山区 公积金",
    "出生 医学",
    "卫生健康局",
    "量子计算",
]


def main() -> None:
    count = rounds()
    per_round: list[list[Figure]] = [[] for _ in range(count)]
    with tempfile.TemporaryDirectory(prefix="tongban-bench-catalog-") as tmp:
        found = measure("sqlite", f"sqlite:///{Path(tmp) / 'catalog.db'}", Path(tmp), count)
        for figures, more in zip(per_round, found, strict=True):
            figures += more
        pg = os.environ.get("TONGBAN_BENCH_DATABASE_URL", "").strip()
        if pg:
            with scratch_database(pg) as url:
                found = measure("postgresql", url, Path(tmp) / "pg", count)
                for figures, more in zip(per_round, found, strict=True):
                    figures += more
    for figures in per_round:
        emit("catalog_search", figures)


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    name = f"tongban_bench_catalog_{new_id()[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(database: str, url: str, data_dir: Path, count: int = 1) -> list[list[Figure]]:
    """Seed once, then ``count`` rounds of measurement; the figures of each round."""
    upgrade(url)
    settings = Settings(data_dir=data_dir, database_url=url, topic_prefix="bench.")
    hub = build_hub(settings, connect_bus=False)
    try:
        started = time.perf_counter()
        user_id = seed(hub.factory, settings.topic(CATALOG_TOPIC))
        seeded_s = time.perf_counter() - started
        queries = make_queries(hub.factory)
        token = user_token(user_id, hub.hub_key, audience=settings.hub_id, lifetime_s=3600)
        with TestClient(create_app(hub=hub, workers=[])) as client:
            headers = {"Authorization": f"Bearer {token}"}
            return [_round(hub, client, headers, queries, database, seeded_s) for _ in range(count)]
    finally:
        hub.close()


def _round(
    hub: Any,
    client: TestClient,
    headers: dict[str, str],
    queries: list[dict[str, Any]],
    database: str,
    seeded_s: float,
) -> list[Figure]:
    service = _run(queries, lambda q: _service_search(hub.factory, q))
    http = _run(queries, lambda q: _http_search(client, headers, q))
    floor = _run(queries, lambda q: _raw_search(hub.engine, q))
    rebuild = summary_ms([_after_a_change(hub.factory, queries[0]) for _ in range(5)])
    reload = summary_ms([_raw_reload(hub.engine) for _ in range(5)])
    extra = {"resources": TOTAL, "searches": len(queries), "seed_s": round(seeded_s, 1)}
    on_service = extra | {"cpu_ms": round(service["cpu_ms"], 2), "load": service["load"]}
    on_http = extra | {"cpu_ms": round(http["cpu_ms"], 2), "load": http["load"]}
    return [
        _figure("search p95 (service)", service["p95"], floor["p95"], database, on_service),
        _figure("search p50 (service)", service["p50"], floor["p50"], database, on_service),
        _figure("search p95 (HTTP)", http["p95"], floor["p95"], database, on_http),
        _figure("search p50 (HTTP)", http["p50"], floor["p50"], database, on_http),
        Figure(
            operation="first search after a catalog change (index rebuild)",
            unit="ms",
            value=round(rebuild["p50"], 1),
            floor=round(reload["p50"], 1),
            floor_operation="the same rows fetched on the driver",
            database=database,
            extra=extra,
        ),
    ]


def _figure(
    operation: str, value: float, floor: float, database: str, extra: dict[str, Any]
) -> Figure:
    """Wall-clock figures; ``extra`` also holds the process CPU time per search and the load
    average, since other work on the machine stretches wall time."""
    return Figure(
        operation=operation,
        unit="ms",
        value=round(value, 3),
        floor=round(floor, 3),
        floor_operation="raw LIKE + count on the driver",
        target=TARGET if "p95" in operation else None,
        database=database,
        extra=extra,
    )


def _run(
    queries: list[dict[str, Any]], search: Callable[[dict[str, Any]], object]
) -> dict[str, float]:
    for query in queries[:20]:  # warm caches and compiled statements
        search(query)
    samples = []
    cpu = time.process_time()
    for query in queries:
        started = time.perf_counter()
        search(query)
        samples.append(time.perf_counter() - started)
    cpu_ms = (time.process_time() - cpu) / len(queries) * 1000
    return {**summary_ms(samples), "cpu_ms": cpu_ms, "load": os.getloadavg()[0]}


def seed(factory: sessionmaker[Session], topic: str) -> str:
    """The demo catalog through the services, then bulk clones up to TOTAL; the user id."""
    with transaction(factory) as session:
        demo = seed_catalog(session, actor=operator(), topic=topic)
        providers = list(demo["departments"].values()) + _districts(session, demo["authority"])
        user = add_user(
            session,
            username="bench-reviewer",
            name="基准测试",
            department_code=demo["authority"],
            roles=["reviewer"],
            password="bench-password",
            actor=operator(),
        )
        templates = list(session.scalars(select(Resource)))
        _clone(session, templates, providers)
        reindex_resources(session)
        return user.id


def _districts(session: Session, authority: str) -> list[str]:
    codes = []
    for index, district in enumerate(DISTRICTS.split()):
        for offset, bureau in enumerate(BUREAUS):
            code = make_uscc("330100", 81_000_000 + index * 10 + offset, authority="1")
            add_department(
                session,
                code=code,
                name=f"杭州市{district}{bureau}",
                level="county",
                region="330100",
                parent_code=authority,
                actor=operator(),
            )
            codes.append(code)
    return codes


def _clone(session: Session, templates: list[Resource], providers: list[str]) -> None:
    rng = random.Random(20250801)
    districts = DISTRICTS.split()
    resources, items, codes = [], [], []
    for serial in range(TOTAL - len(templates)):
        template = templates[serial % len(templates)]
        rid, code = new_id(), f"{template.category}/{100_000 + serial:06d}"
        name = f"{rng.choice(districts)}{template.name}{rng.choice(VARIANTS)}（{serial}）"
        row = {c.key: getattr(template, c.key) for c in Resource.__table__.columns}
        row |= {"id": rid, "code": code, "name": name, "provider_code": rng.choice(providers)}
        resources.append(row)
        codes.append({"code": code, "provider_code": row["provider_code"]})
        for item in template.items:
            copy = {c.key: getattr(item, c.key) for c in ResourceItem.__table__.columns}
            copy.pop("id")
            items.append(copy | {"resource_id": rid})
    for start in range(0, len(resources), 1000):
        session.execute(insert(Resource), resources[start : start + 1000])
        session.execute(insert(ResourceCode), codes[start : start + 1000])
    for start in range(0, len(items), 5000):
        session.execute(insert(ResourceItem), items[start : start + 5000])


def make_queries(factory: sessionmaker[Session]) -> list[dict[str, Any]]:
    rng = random.Random(7)
    with transaction(factory) as session:
        providers = list(session.scalars(select(Resource.provider_code).distinct()))
    queries: list[dict[str, Any]] = []
    for index in range(SEARCHES):
        query: dict[str, Any] = {"q": rng.choice(TERMS), "limit": 20}
        if index % 5 == 1:
            query["provider"] = rng.choice(providers)
        if index % 7 == 2:
            query["share_type"] = "conditional"
        if index % 11 == 3:
            query["category"] = "101"
        if index % 13 == 4:
            query["offset"] = 200
        queries.append(query)
    return queries


def _after_a_change(factory: sessionmaker[Session], query: dict[str, Any]) -> float:
    """Seconds of the first search after a committed catalog change (it rebuilds the index)."""
    with transaction(factory) as session:
        touch(session)  # what every catalog change does: the next search rebuilds
    started = time.perf_counter()
    _service_search(factory, query)
    return time.perf_counter() - started


def _service_search(factory: sessionmaker[Session], query: dict[str, Any]) -> object:
    with transaction(factory) as session:
        return search_resources(session, **query).total


def _http_search(client: TestClient, headers: dict[str, str], query: dict[str, Any]) -> object:
    response = client.get("/v1/resources", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["total"]


def _raw_reload(engine: Engine) -> float:
    """Seconds to fetch what an index rebuild loads, on the raw driver connection."""
    connection = engine.raw_connection()
    try:
        started = time.perf_counter()
        cursor = connection.cursor()
        cursor.execute(
            "SELECT id, code, version, status, provider_code, category, share_type, grade,"
            " retire_requested_at IS NOT NULL, search_text, name FROM resources"
            " WHERE NOT superseded"
        )
        cursor.fetchall()
        return time.perf_counter() - started
    finally:
        connection.close()


def _raw_search(engine: Engine, query: dict[str, Any]) -> object:
    term = "%" + query["q"].split()[0].lower() + "%"
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    where = f"status = 'PUBLISHED' AND NOT superseded AND search_text LIKE {mark}"
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(f"SELECT count(*) FROM resources WHERE {where}", (term,))
        cursor.fetchall()
        cursor.execute(f"SELECT id, code, name FROM resources WHERE {where} LIMIT 20", (term,))
        return cursor.fetchall()
    finally:
        connection.close()


if __name__ == "__main__":
    main()
