"""Share applications (共享申请 → 审查 → 答复) with working-day deadlines and disputes."""

from exchange.applications.deadlines import CHINA_TZ, Deadlines
from exchange.applications.disputes import coordinate, decide, dispute
from exchange.applications.errors import (
    ApplicationExpired,
    ApplicationInvalid,
    ApplicationNotFound,
    ApplicationStateConflict,
    ConditionNotPublished,
    NoAuthority,
    NotYourApplication,
    ReasonRequired,
    UnconditionalNotRefusable,
)
from exchange.applications.events import TOPIC as APPLICATION_TOPIC
from exchange.applications.inbox import (
    application_statistics,
    authority_inbox,
    provider_inbox,
    requester_view,
)
from exchange.applications.models import Application, ApplicationEvent, AppStatus
from exchange.applications.overdue import (
    OverdueStep,
    mark_overdue_applications,
    overdue_applications,
)
from exchange.applications.reply import publish_first, reply
from exchange.applications.review import review, start_review
from exchange.applications.service import (
    ApplicationInput,
    children,
    get_application,
    history,
    resubmit,
    submit,
)
from exchange.applications.web import ExchangeContext

__all__ = [
    "APPLICATION_TOPIC",
    "CHINA_TZ",
    "AppStatus",
    "Application",
    "ApplicationEvent",
    "ApplicationExpired",
    "ApplicationInput",
    "ApplicationInvalid",
    "ApplicationNotFound",
    "ApplicationStateConflict",
    "ConditionNotPublished",
    "Deadlines",
    "ExchangeContext",
    "NoAuthority",
    "NotYourApplication",
    "OverdueStep",
    "ReasonRequired",
    "UnconditionalNotRefusable",
    "application_statistics",
    "authority_inbox",
    "children",
    "coordinate",
    "decide",
    "dispute",
    "get_application",
    "history",
    "mark_overdue_applications",
    "overdue_applications",
    "provider_inbox",
    "publish_first",
    "reply",
    "requester_view",
    "resubmit",
    "review",
    "start_review",
    "submit",
]
