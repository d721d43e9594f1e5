"""Who may take which step on an application: each step belongs to one department.

The requester's systems (role requester) or stewards act for the requester; the provider's
systems (role provider) or stewards act for the provider; the reviewers of the requester's
same-level competent authority (共享主管部门) review, coordinate and decide.
"""

from __future__ import annotations

from exchange.applications.errors import NotYourApplication
from exchange.applications.models import Application
from kit.actors import ROLE_PROVIDER, ROLE_REQUESTER, ROLE_REVIEWER, ROLE_STEWARD, Principal

REQUESTER_ROLES = (ROLE_REQUESTER, ROLE_STEWARD)
PROVIDER_ROLES = (ROLE_PROVIDER, ROLE_STEWARD)
AUTHORITY_ROLES = (ROLE_REVIEWER,)


def _ensure(
    actor: Principal, department: str, roles: tuple[str, ...], party: str, app_id: str
) -> None:
    if actor.department != department:
        raise NotYourApplication(
            f"application {app_id} belongs to {party} {department}; the caller's department "
            f"{actor.department or '(none)'} may not take this step"
        )
    if not actor.has(*roles):
        raise NotYourApplication(
            f"this step on application {app_id} needs the role {'/'.join(roles)}"
        )


def ensure_requester(app: Application, actor: Principal) -> None:
    _ensure(actor, app.requester_code, REQUESTER_ROLES, "the requester", app.id)


def ensure_provider(app: Application, actor: Principal) -> None:
    _ensure(actor, app.provider_code, PROVIDER_ROLES, "the provider", app.id)


def ensure_authority(app: Application, actor: Principal) -> None:
    _ensure(actor, app.authority_code, AUTHORITY_ROLES, "the competent authority", app.id)


def may_read(app: Application, actor: Principal) -> bool:
    return actor.department in (app.requester_code, app.provider_code, app.authority_code)
