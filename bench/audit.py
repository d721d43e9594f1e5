"""Audit log benchmark: durable appends, proofs, verification, a 1,000,000-leaf offline verify.

Run: ``.venv/bin/python -m bench.audit`` (PostgreSQL too when TONGBAN_BENCH_DATABASE_URL names
a server the bench may create a scratch database on). Prints one JSON object (bench/common.py).

- appends/s: writer threads, each committing transactions of ``BATCH`` leaves with
  ``record_many`` (and, for comparison, ``record`` called once per leaf); SQLite in WAL as the
  hub runs it (synchronous=NORMAL) and with synchronous=FULL (fsync at every commit);
- inclusion proof generation from the stored log through a warm ``ProofCache``;
- checking one proof and its signed checkpoint (Ed25519 verify + the audit path);
- ``verify_export`` of a synthetic 1,000,000-leaf export made with ``build_export`` (kept in
  the temp directory between runs);
- the floors, measured in the same run: the same number of plain rows inserted with the
  driver's ``executemany`` (``BATCH`` per transaction, the same writers) under the appends;
  the ⌈log2 n⌉ SHA-256 node hashes of a path under proof generation; hashlib SHA-256 of the
  leaves under the offline verify; and the hashlib and Ed25519 loops themselves.
"""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from audit import Checkpointer, LeafDraft, ProofCache, record, record_many, verify_export
from audit.checkpoint import sign_checkpoint, verify_checkpoint
from audit.export_format import build_export
from audit.leaf import LEAF_PREFIX, Leaf
from audit.merkle import Frontier, leaf_hash, verify_inclusion
from bench.common import Figure, emit, rounds, summary_ms, time_each
from kit.actors import Principal
from kit.canonical import canonical_json
from kit.db import make_engine, new_id, session_factory, transaction
from tongban.db import upgrade

BATCH = 200
APPEND_SECONDS = 2.0
WRITERS = 2
MILLION = 1_000_000
ORIGIN = "tongban.example/bench"
ACTOR = Principal(kind="system", id="s-bench", department="11330100MB0000001X")
US = 1e6


def _drafts(count: int) -> list[LeafDraft]:
    refs = {"grant": new_id(), "resource": "101001/000123", "requester": "11330100MB0000002X"}
    digest = {"payload": hashlib.sha256(b"bench").hexdigest()}
    return [LeafDraft("exchange:request", ACTOR, refs=refs, digests=digest)] * count


def _writer(
    factory: Any, one_by_one: bool, until: float, counts: list[int], errors: list[BaseException]
) -> None:
    drafts, done = _drafts(BATCH), 0
    try:
        while time.monotonic() < until:
            with transaction(factory) as session:
                if one_by_one:
                    for draft in drafts:
                        record(session, action=draft.action, actor=ACTOR, refs=draft.refs)
                else:
                    record_many(session, drafts)
            done += BATCH
    except BaseException as exc:  # reported by the caller: a dead writer is no measurement
        errors.append(exc)
    counts.append(done)


def appends_per_second(url: str, *, one_by_one: bool = False, full_sync: bool = False) -> float:
    engine = make_engine(url)
    if full_sync:
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=FULL"))
    factory = session_factory(engine)
    try:
        return _writers_rate(partial(_writer, factory, one_by_one))
    finally:
        engine.dispose()


def _writers_rate(write: Callable[[float, list[int], list[BaseException]], None]) -> float:
    """Rows per second of ``WRITERS`` threads running ``write(until, counts, errors)`` for
    ``APPEND_SECONDS``; a writer that died makes it raise (a dead writer is no measurement)."""
    counts, errors = list[int](), list[BaseException]()
    started = time.monotonic()
    until = started + APPEND_SECONDS
    threads = [threading.Thread(target=write, args=(until, counts, errors)) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = sum(counts) / (time.monotonic() - started)
    if errors:
        raise RuntimeError(f"a writer failed: {errors[0]!r}") from errors[0]
    return rate


def _raw_writer(engine: Any, until: float, counts: list[int], errors: list[BaseException]) -> None:
    body, digest = synthetic_leaf(1).decode(), hashlib.sha256(b"floor").digest()
    done = 0
    try:
        while time.monotonic() < until:
            rows = [{"seq": done + i, "body": body, "hash": digest} for i in range(BATCH)]
            with engine.begin() as connection:
                connection.execute(
                    text("INSERT INTO bench_floor (seq, body, hash) VALUES (:seq, :body, :hash)"),
                    rows,
                )
            done += BATCH
    except BaseException as exc:  # reported by the caller
        errors.append(exc)
    counts.append(done)


def raw_inserts_per_second(url: str, *, full_sync: bool = False) -> float:
    """The appends' floor: rows of a leaf's size inserted with the driver's executemany,
    ``BATCH`` per transaction from ``WRITERS`` threads, on the same engine settings."""
    engine = make_engine(url)
    if full_sync:
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=FULL"))
    blob = "BLOB" if engine.dialect.name == "sqlite" else "BYTEA"
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_floor"))
        connection.execute(text(f"CREATE TABLE bench_floor (seq INTEGER, body TEXT, hash {blob})"))
    try:
        return _writers_rate(partial(_raw_writer, engine))
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE bench_floor"))
        engine.dispose()


def path_hashes_us(size: int) -> float:
    """The proof generation's floor: SHA-256 of the ⌈log2 n⌉ node pairs of one path, µs."""
    depth = max(1, (size - 1).bit_length())
    pair = b"\x01" + bytes(64)

    def hashes() -> None:
        for _ in range(depth):
            hashlib.sha256(pair).digest()

    return summary_ms(time_each(hashes, count=5000, max_seconds=1))["p50"] * 1000


def proof_figures(url: str, db: str) -> list[Figure]:
    """Inclusion-proof generation through a warm cache, and proof + checkpoint checking."""
    engine = make_engine(url)
    factory, key = session_factory(engine), Ed25519PrivateKey.generate()
    with transaction(factory) as session:
        made, _ = Checkpointer(key=key, origin=ORIGIN, topic=None).checkpoint(session)
    assert made is not None
    cache, size, pick = ProofCache(), made.size, random.Random(7)
    with transaction(factory) as session:
        cache.root(session, size)  # warm: one streaming pass over the leaf hashes
        samples = time_each(
            lambda: cache.inclusion(session, index=pick.randrange(size), size=size),
            count=2000,
            max_seconds=3,
        )
        proof = cache.inclusion(session, index=size // 3, size=size)
    engine.dispose()
    public = key.public_key()

    def check() -> None:
        signed = verify_checkpoint(made.note, public, ORIGIN)
        verify_inclusion(proof.leaf_hash, proof.index, signed.size, proof.path, signed.root)

    checks = time_each(check, count=5000, max_seconds=2)
    signature = key.sign(made.note.encode())
    floor = time_each(
        lambda: public.verify(signature, made.note.encode()), count=5000, max_seconds=2
    )
    return [
        Figure(
            "inclusion proof generation p50 (the stored log, random leaf)",
            "µs",
            summary_ms(samples)["p50"] * 1000,
            floor=path_hashes_us(size),
            floor_operation="SHA-256 of the path's node pairs",
            database=db,
            extra={"leaves": size},  # the log grows by each round's appends
        ),
        Figure(
            "verify a proof + its signed checkpoint p50",
            "µs",
            summary_ms(checks)["p50"] * 1000,
            floor=summary_ms(floor)["p50"] * 1000,
            floor_operation="Ed25519 verify of the note",
            target="≤ 200 µs",
            database=db,
        ),
    ]


def database_figures(url: str, db: str) -> list[Figure]:
    batched = appends_per_second(url)
    floor = raw_inserts_per_second(url)
    on_floor: dict[str, Any] = {
        "floor": floor,
        "floor_operation": f"driver executemany of the same rows, {BATCH}/txn",
    }
    figures = [
        Figure(
            f"durable appends, record_many {BATCH}/txn, {WRITERS} writers",
            "ops/s",
            batched,
            target="≥ 5,000/s",
            higher_is_better=True,
            database=db,
            **on_floor,
        ),
        Figure(
            f"durable appends, record per leaf, {BATCH}/txn, {WRITERS} writers",
            "ops/s",
            appends_per_second(url, one_by_one=True),
            higher_is_better=True,
            database=db,
            **on_floor,
        ),
    ]
    if db == "sqlite":
        figures.append(
            Figure(
                f"appends with synchronous=FULL, record_many {BATCH}/txn, {WRITERS} writers",
                "ops/s",
                appends_per_second(url, full_sync=True),
                higher_is_better=True,
                database=db,
                floor=raw_inserts_per_second(url, full_sync=True),
                floor_operation=f"driver executemany of the same rows, {BATCH}/txn, FULL",
            )
        )
    return figures + proof_figures(url, db)


def synthetic_leaf(index: int) -> bytes:
    """A realistic canonical leaf (what ``Leaf(...).to_bytes()`` gives), built fast."""
    seconds, micros = divmod(index, 1000)
    document = {
        "action": "exchange:fulfil",
        "actor": {"department": "11330100MB0000001X", "id": "s-provider", "kind": "system"},
        "digests": {"payload": hashlib.sha256(index.to_bytes(8, "big")).hexdigest()},
        "index": index,
        "outcome": "ok",
        "reason": None,
        "refs": {"exchange": f"{index:032x}", "grant": "9" * 32, "resource": "101001/000123"},
        "subject": None,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1754000000 + seconds))
        + f".{micros:06d}Z",
    }
    return LEAF_PREFIX + canonical_json(document)


def make_export(directory: Path, key: Ed25519PrivateKey) -> None:
    assert Leaf.from_bytes(synthetic_leaf(12345)).index == 12345
    frontier, notes = Frontier(), []
    for index in range(MILLION):
        frontier.append(leaf_hash(synthetic_leaf(index)))
        if frontier.size in (MILLION // 4, MILLION // 2, MILLION):
            notes.append(sign_checkpoint(ORIGIN, frontier.size, frontier.root(), key))
    leaves: Iterator[bytes] = (synthetic_leaf(i) for i in range(MILLION))
    build_export(directory, leaves, notes, key.public_key(), name=ORIGIN)


def offline_figures() -> list[Figure]:
    directory = Path(tempfile.gettempdir()) / "tongban-bench-audit-1m"
    key_file = directory / "bench.key"
    if not key_file.exists():
        directory.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        make_export(directory, key)
        key_file.write_bytes(key.private_bytes_raw())
    key = Ed25519PrivateKey.from_private_bytes(key_file.read_bytes())
    started = time.perf_counter()
    report = verify_export(directory, public_key=key.public_key())
    seconds = time.perf_counter() - started
    if not report.ok or report.leaves != MILLION:
        key_file.unlink()
        raise SystemExit(f"the synthetic export does not verify: {report.findings[:3]}")
    leaves = [synthetic_leaf(i) for i in range(0, MILLION, 10)]
    floor_started = time.perf_counter()
    for data in leaves:
        hashlib.sha256(b"\x00" + data).digest()
    floor = (time.perf_counter() - floor_started) * 10
    return [
        Figure(
            f"verify_export of 1,000,000 leaves ({os.cpu_count()} cores)",
            "s",
            seconds,
            floor=floor,
            floor_operation="hashlib SHA-256 of the same leaves, one core",
            target="≤ 10 s",
        )
    ]


def floor_figures() -> list[Figure]:
    key, data = Ed25519PrivateKey.generate(), synthetic_leaf(1)
    note = sign_checkpoint(ORIGIN, 1, leaf_hash(data), key).encode()
    signature, public = key.sign(note), key.public_key()
    started, rounds = time.perf_counter(), 200_000
    for _ in range(rounds):
        hashlib.sha256(data).digest()
    sha = rounds / (time.perf_counter() - started)

    def p50(fn: Callable[[], object]) -> float:
        return summary_ms(time_each(fn, count=5000, max_seconds=2))["p50"] * 1000

    return [
        Figure(
            f"hashlib SHA-256 of a {len(data)}-byte leaf",
            "ops/s",
            sha,
            higher_is_better=True,
            is_floor=True,
        ),
        Figure("Ed25519 sign (cryptography)", "µs", p50(lambda: key.sign(note)), is_floor=True),
        Figure(
            "Ed25519 verify (cryptography)",
            "µs",
            p50(lambda: public.verify(signature, note)),
            is_floor=True,
        ),
    ]


def postgres(server: str) -> tuple[str, Callable[[], None]]:
    """A scratch database on the server ``server`` names, and how to drop it."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"tongban_bench_{new_id()[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def main() -> None:
    per_round: list[list[Figure]] = [[] for _ in range(rounds())]
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/bench.db"
        upgrade(url)
        for figures in per_round:
            figures += database_figures(url, "sqlite")
    server = os.environ.get("TONGBAN_BENCH_DATABASE_URL", "").strip()
    if server:
        url, drop = postgres(server)
        try:
            upgrade(url)
            for figures in per_round:
                figures += database_figures(url, "postgresql")
        finally:
            drop()
    for figures in per_round:
        figures += floor_figures() + offline_figures()
        emit("audit", figures)


if __name__ == "__main__":
    main()
