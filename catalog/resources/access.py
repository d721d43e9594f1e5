"""Who may act on an entry: the provider's stewards, and its competent authority's reviewers.

The operator at the command line (kind ``operator``) may do both: it loads seeds and imports
on the machine that runs the hub, and every step it takes is logged like anyone else's.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalog.departments.models import Department
from catalog.departments.service import authority_for
from catalog.resources.errors import NoAuthority, NotReviewer, NotSteward
from kit.actors import OPERATOR, ROLE_REVIEWER, ROLE_STEWARD, Principal


def is_steward(actor: Principal, provider_code: str) -> bool:
    return actor.kind == OPERATOR or (actor.has(ROLE_STEWARD) and actor.department == provider_code)


def ensure_steward(actor: Principal, provider_code: str, doing: str) -> None:
    """Only a steward (数据管理员) of the provider department may ``doing``."""
    if is_steward(actor, provider_code):
        return
    if not actor.has(ROLE_STEWARD):
        raise NotSteward(f"{doing}需要提供方的数据管理员(steward)角色")
    raise NotSteward(f"只有提供方 {provider_code} 的数据管理员可以{doing}")


def authority_of(session: Session, provider_code: str) -> Department:
    authority = authority_for(session, provider_code)
    if authority is None:
        raise NoAuthority(f"提供方 {provider_code} 没有同级共享主管部门, 无法审核目录")
    return authority


def is_reviewer(session: Session, actor: Principal, provider_code: str) -> bool:
    if actor.kind == OPERATOR:
        return True
    if not actor.has(ROLE_REVIEWER):
        return False
    authority = authority_for(session, provider_code)
    return authority is not None and actor.department == authority.code


def ensure_reviewer(session: Session, actor: Principal, provider_code: str, doing: str) -> None:
    """Only a reviewer of the provider's same-level competent authority may ``doing``."""
    authority = authority_of(session, provider_code)
    if actor.kind == OPERATOR:
        return
    if not actor.has(ROLE_REVIEWER):
        raise NotReviewer(f"{doing}需要共享主管部门的审核人员(reviewer)角色")
    if actor.department != authority.code:
        raise NotReviewer(
            f"只有共享主管部门 {authority.name}({authority.code}) 的审核人员可以{doing}"
        )
