"""What can go wrong with a catalog entry, each on its branch of the common error tree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kit.errors import Conflict, Forbidden, Invalid, NotFound


@dataclass(frozen=True)
class Problem:
    """One broken rule: ``field`` is a path such as ``items[2].conditions``."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidResource(Invalid):
    """The entry breaks a catalog rule; ``detail`` names the first field, ``problems`` all."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(
            str(problems[0]),
            field=problems[0].field,
            problems=[{"field": p.field, "problem": p.message} for p in problems],
        )
        self.problems = tuple(problems)


class SecretRefused(Invalid):
    """涉密: state or work secrets are not government data for sharing; nothing is stored."""


class ImportFailed(Invalid):
    """A file did not import; nothing from it was stored. ``problems`` lists every error."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(problems[0], problems=list(problems))
        self.problems = tuple(problems)


class ResourceNotFound(NotFound):
    pass


class ResourceNotPublished(Conflict):
    """The resource exists but has no PUBLISHED version that can be requested."""


class ResourceImmutable(Conflict):
    """A published (or submitted, or retired) version cannot be changed."""


class WrongStatus(Conflict):
    """The transition does not start from the resource's current status."""


class CodeTaken(Conflict):
    """The code is already used (codes are never reused, even after retirement)."""


class NameTaken(Conflict):
    """The provider already has a resource of that name."""


class NoAuthority(Conflict):
    """The provider has no competent authority (共享主管部门) to review its entries."""


class NotSteward(Forbidden):
    """Only the provider department's stewards create, edit, submit or revise its entries."""


class NotReviewer(Forbidden):
    """Only the reviewers of the provider's same-level competent authority publish or return."""
