"""Grants (共享授权): the outcome of a granted application, and ``authorize``, the one
question the exchange broker asks before every exchange."""

from exchange.grants.authorize import GrantBatch, GrantDecision, authorize, hold_usage
from exchange.grants.changes import decide_change, pending_changes, request_change
from exchange.grants.errors import (
    GrantChangeNotFound,
    GrantFrequencyExceeded,
    GrantInvalid,
    GrantNotActive,
    GrantNotFound,
    GrantNotHeld,
    GrantStateConflict,
    ItemsNotGranted,
    NotYourGrant,
    PurposeMismatch,
)
from exchange.grants.models import ChangeKind, ChangeStatus, Grant, GrantChange, GrantStatus
from exchange.grants.service import (
    TOPIC as GRANT_TOPIC,
)
from exchange.grants.service import (
    active_grant_count,
    close,
    get_grant,
    list_grants,
    resume,
    revoke,
    suspend,
)

__all__ = [
    "GRANT_TOPIC",
    "ChangeKind",
    "ChangeStatus",
    "Grant",
    "GrantBatch",
    "GrantChange",
    "GrantChangeNotFound",
    "GrantDecision",
    "GrantFrequencyExceeded",
    "GrantInvalid",
    "GrantNotActive",
    "GrantNotFound",
    "GrantNotHeld",
    "GrantStateConflict",
    "GrantStatus",
    "ItemsNotGranted",
    "NotYourGrant",
    "PurposeMismatch",
    "active_grant_count",
    "authorize",
    "close",
    "decide_change",
    "get_grant",
    "hold_usage",
    "list_grants",
    "pending_changes",
    "request_change",
    "resume",
    "revoke",
    "suspend",
]
