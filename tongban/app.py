"""``create_app(settings)``: the FastAPI application, wired once, with one error renderer."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from exchange import active_grant_count
from kit.db import checkpoint_wal
from kit.errors import TongbanError
from kit.outbox import Relay
from tongban.audit_worker import install as install_audit
from tongban.audit_worker import start_checkpointer
from tongban.exchange_worker import start_exchange_workers
from tongban.routes import routers
from tongban.settings import Settings
from tongban.wiring import Hub, build_hub

Worker = Callable[[Hub, threading.Event], list[threading.Thread]]

log = logging.getLogger(__name__)


def _render_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TongbanError)
    headers = {}
    if "retry_after" in exc.extra:
        headers["Retry-After"] = str(exc.extra["retry_after"])
    return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers)


def _render_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"at": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
        for e in exc.errors()
    ]
    detail = "; ".join(f"{p['at']}: {p['problem']}" for p in problems)
    body = {"error": "Invalid", "detail": detail, "problems": problems}
    return JSONResponse(body, status_code=422)


def start_relay(hub: Hub, stop: threading.Event) -> list[threading.Thread]:
    if hub.bus is None:
        return []
    relay = Relay(hub.factory, hub.bus, wakeup=hub.wakeup, poll_interval=hub.settings.relay_poll_s)
    return [relay.start(stop)]


def start_wal_checkpoints(hub: Hub, stop: threading.Event) -> list[threading.Thread]:
    """On SQLite, checkpoint the write-ahead log every ``wal_checkpoint_s`` from a thread of
    its own, so that no request's commit does it (see ``kit.db.AUTO_CHECKPOINT_PAGES``).
    A ``wal_checkpoint_s`` of 0 or less leaves the checkpoints to SQLite."""
    if hub.engine.dialect.name != "sqlite" or hub.settings.wal_checkpoint_s <= 0:
        return []

    def run() -> None:
        while not stop.wait(hub.settings.wal_checkpoint_s):
            try:
                checkpoint_wal(hub.engine)
            except Exception:
                log.exception("WAL checkpoint failed; trying again")

    thread = threading.Thread(target=run, name="wal-checkpoints", daemon=True)
    thread.start()
    return [thread]


def create_app(
    settings: Settings | None = None,
    *,
    hub: Hub | None = None,
    workers: list[Worker] | None = None,
    extra_routers: list[APIRouter] | None = None,
) -> FastAPI:
    """Build the hub's API. ``workers`` run in background threads for the app's lifetime
    (by default the outbox relay, the audit checkpointer, the exchange workers and, on
    SQLite, the WAL checkpoints); the caller of ``create_app``
    owns ``hub`` if it passes one."""
    owns_hub = hub is None
    the_hub = hub or build_hub(settings or Settings.from_env())
    default = [start_relay, start_checkpointer, start_exchange_workers, start_wal_checkpoints]
    chosen = default if workers is None else workers

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        threads = [t for start in chosen for t in start(the_hub, stop)]
        try:
            yield
        finally:
            stop.set()
            the_hub.wakeup.set()
            for thread in threads:
                thread.join(timeout=10)
            if owns_hub:
                the_hub.close()

    app = FastAPI(
        title="Tongban 通办 — government data-sharing hub",
        version="0.1.0",
        lifespan=lifespan,
        description="Catalog, applications and grants, consent, exchanges over Kafka, "
        "and a verifiable audit log (政务数据共享条例).",
    )
    app.state.hub = the_hub
    app.state.settings = the_hub.settings
    app.state.session_factory = the_hub.factory
    app.state.authenticate = the_hub.authenticator()
    install_audit(app.state, the_hub)
    app.state.active_grants = active_grant_count  # the catalog's retirement rule asks it
    app.add_exception_handler(TongbanError, _render_error)
    app.add_exception_handler(RequestValidationError, _render_validation)
    for router in [*routers(), *(extra_routers or [])]:
        app.include_router(router)
    return app
