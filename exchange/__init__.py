"""exchange: share applications and grants, runtime exchanges, objections."""

# applications, grants, objections (共享申请 / 共享授权 / 校核纠错)
from exchange.applications import (
    APPLICATION_TOPIC,
    Deadlines,
    ExchangeContext,
    OverdueStep,
    mark_overdue_applications,
    overdue_applications,
)
from exchange.applications.api import router as applications_router
from exchange.applications.inbox_api import router as inbox_router
from exchange.grants import (
    GRANT_TOPIC,
    GrantDecision,
    GrantFrequencyExceeded,
    GrantNotActive,
    GrantNotFound,
    GrantNotHeld,
    ItemsNotGranted,
    PurposeMismatch,
    active_grant_count,
    authorize,
)
from exchange.grants.api import router as grants_router
from exchange.objections import (
    OBJECTION_TOPIC,
    ObjectionMarker,
    mark_overdue_objections,
    overdue_objections,
    under_objection,
)
from exchange.objections.api import router as objections_router

# one-thing pre-fill (一件事)
from exchange.prefill import (
    Form,
    InvalidPrefillRequest,
    PrefillRequest,
    Scenario,
    ScenarioInvalid,
    ScenarioNotFound,
    check_scenario,
    find_grant,
    form_view,
    load_scenario,
    parse_scenario,
    prefill,
    scenario_ids,
)
from exchange.prefill import router as prefill_router

# runtime exchanges (数据调用)
from exchange.runtime import (
    CallbackSender,
    ConsentMissing,
    Exchange,
    ExchangeFailed,
    ExchangeNotFound,
    IdempotencyKeyReused,
    ReplyHandler,
    Sweeper,
    Topics,
    get_exchange,
    list_exchanges,
    record_reply,
    request_exchange,
    resend_due,
    waiters_in,
)
from exchange.runtime import Status as ExchangeStatus
from exchange.runtime import router as exchanges_router

__all__ = [
    "APPLICATION_TOPIC",
    "GRANT_TOPIC",
    "OBJECTION_TOPIC",
    "CallbackSender",
    "ConsentMissing",
    "Deadlines",
    "Exchange",
    "ExchangeContext",
    "ExchangeFailed",
    "ExchangeNotFound",
    "ExchangeStatus",
    "Form",
    "GrantDecision",
    "GrantFrequencyExceeded",
    "GrantNotActive",
    "GrantNotFound",
    "GrantNotHeld",
    "IdempotencyKeyReused",
    "InvalidPrefillRequest",
    "ItemsNotGranted",
    "ObjectionMarker",
    "OverdueStep",
    "PrefillRequest",
    "PurposeMismatch",
    "ReplyHandler",
    "Scenario",
    "ScenarioInvalid",
    "ScenarioNotFound",
    "Sweeper",
    "Topics",
    "active_grant_count",
    "applications_router",
    "authorize",
    "check_scenario",
    "exchanges_router",
    "find_grant",
    "form_view",
    "get_exchange",
    "grants_router",
    "inbox_router",
    "list_exchanges",
    "load_scenario",
    "mark_overdue_applications",
    "mark_overdue_objections",
    "objections_router",
    "overdue_applications",
    "overdue_objections",
    "parse_scenario",
    "prefill",
    "prefill_router",
    "record_reply",
    "request_exchange",
    "resend_due",
    "scenario_ids",
    "under_objection",
    "waiters_in",
]
