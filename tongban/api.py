"""The hub's own routes: health, readiness, the hub's keys, and human login."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from audit import record
from catalog import check_login
from kit.actors import USER, Principal
from kit.db import transaction
from kit.errors import TongbanError
from kit.web import DbSession
from tongban.auth import user_token
from tongban.wiring import Hub

router = APIRouter()


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


@router.get("/healthz", tags=["health"])
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", tags=["health"])
def readyz(request: Request) -> JSONResponse:
    """Database and Kafka reachable, each reported; 503 if either is not."""
    hub = _hub(request)
    checks: dict[str, dict[str, Any]] = {}
    try:
        with transaction(hub.factory) as session:
            session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True, "dialect": hub.engine.dialect.name}
    except Exception as exc:
        checks["database"] = {"ok": False, "error": str(exc)}
    if hub.bus is None:
        checks["kafka"] = {"ok": False, "error": "no Kafka bootstrap servers configured"}
    else:
        try:
            hub.bus.ping()
            checks["kafka"] = {"ok": True, "bootstrap": hub.bus.bootstrap}
        except TongbanError as exc:
            checks["kafka"] = {"ok": False, "error": exc.detail}
    ready = all(c["ok"] for c in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/v1/jwks", tags=["keys"])
def hub_jwks(request: Request) -> dict[str, list[dict[str, str]]]:
    """The hub's public signing keys (checkpoints, receipts, user tokens, notifications)."""
    return {"keys": [_hub(request).hub_key.jwk]}


class LoginIn(BaseModel):
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


@router.post("/v1/auth/login", response_model=TokenOut, tags=["auth"])
def login(body: LoginIn, session: DbSession, request: Request) -> TokenOut:
    """A human user's password login; returns a short-lived hub-signed bearer token."""
    hub = _hub(request)
    user = check_login(session, username=body.username, password=body.password)
    who = Principal(kind=USER, id=user.id, department=user.department_code)
    record(session, action="auth:login", actor=who, refs={"user": user.id})
    life = hub.settings.user_token_s
    token = user_token(user.id, hub.hub_key, audience=hub.settings.hub_id, lifetime_s=life)
    return TokenOut(access_token=token, expires_in=life)
