"""Import every package's tables so ``Base.metadata`` is complete (for Alembic and tests)."""

from __future__ import annotations

from sqlalchemy import MetaData

import audit.models
import catalog.departments.models
import catalog.resources.models
import consent.models
import exchange.applications.models
import exchange.grants.models
import exchange.objections.models
import exchange.runtime.models
import kit.inbox
import kit.outbox
from kit.db import Base

_LOADED = (
    audit.models,
    catalog.departments.models,
    catalog.resources.models,
    consent.models,
    exchange.applications.models,
    exchange.grants.models,
    exchange.objections.models,
    exchange.runtime.models,
    kit.inbox,
    kit.outbox,
)


def metadata() -> MetaData:
    return Base.metadata
