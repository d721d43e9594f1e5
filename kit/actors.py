"""Who acts: the principal every service receives and every audit leaf names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SYSTEM, USER, CITIZEN, OPERATOR = "system", "user", "citizen", "operator"

# Roles. Systems: requester/provider. Users: steward/reviewer/auditor/admin. Citizens: citizen.
ROLE_REQUESTER = "requester"
ROLE_PROVIDER = "provider"
ROLE_STEWARD = "steward"
ROLE_REVIEWER = "reviewer"
ROLE_AUDITOR = "auditor"
ROLE_ADMIN = "admin"
ROLE_CITIZEN = "citizen"
SYSTEM_ROLES = frozenset({ROLE_REQUESTER, ROLE_PROVIDER})
USER_ROLES = frozenset({ROLE_STEWARD, ROLE_REVIEWER, ROLE_AUDITOR, ROLE_ADMIN})


@dataclass(frozen=True)
class Principal:
    """A department system, a human user, a citizen (data subject) or the operator's CLI."""

    kind: str  # SYSTEM | USER | CITIZEN | OPERATOR
    id: str  # system id, user id, the citizen's subject id, or the operator's name
    department: str | None  # department code (统一社会信用代码); None for citizens/operator
    roles: frozenset[str] = field(default_factory=frozenset)
    name: str = ""

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def as_actor(self) -> dict[str, Any]:
        """The actor as recorded in audit leaves. A citizen is recorded by kind only: the
        subject appears in a leaf solely as its salted commitment."""
        if self.kind == CITIZEN:
            return {"kind": CITIZEN, "id": None, "department": None}
        return {"kind": self.kind, "id": self.id, "department": self.department}


def operator(name: str = "cli") -> Principal:
    """The operator at the command line (department set-up, key rotation, imports)."""
    return Principal(kind=OPERATOR, id=name, department=None, roles=frozenset({ROLE_ADMIN}))
