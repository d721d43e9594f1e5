"""Every router the hub serves, in one list (each domain adds its own line)."""

from __future__ import annotations

from fastapi import APIRouter

from audit import audit_router
from catalog import departments_router, resources_router
from consent import router as consent_router
from exchange import (
    applications_router,
    exchanges_router,
    grants_router,
    inbox_router,
    objections_router,
    prefill_router,
)
from tongban.api import router as hub_router


def routers() -> list[APIRouter]:
    sharing = [applications_router, grants_router, objections_router, inbox_router, prefill_router]
    return [
        hub_router,
        departments_router,
        resources_router,
        consent_router,
        exchanges_router,
        audit_router,
        *sharing,
    ]
