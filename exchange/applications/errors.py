"""What can go wrong with a share application."""

from __future__ import annotations

from kit.errors import Conflict, Forbidden, Invalid, NotFound


class ApplicationNotFound(NotFound):
    pass


class ApplicationInvalid(Invalid):
    """A field of the application breaks a rule; ``detail`` names it."""


class ReasonRequired(Invalid):
    """A return, refusal or dispute without a reason."""


class ConditionNotPublished(Invalid):
    """A condition the catalog did not publish for the items (``conditions`` lists them)."""


class NoAuthority(Conflict):
    """No competent authority (共享主管部门) is registered for the requesting department."""


class ApplicationStateConflict(Conflict):
    """The application is not in a state that allows this step."""


class ApplicationExpired(Conflict):
    """The period applied for has already ended."""


class NotYourApplication(Forbidden):
    """The caller's department is not the party this step belongs to."""


class UnconditionalNotRefusable(Forbidden):
    """Unconditional data must be provided (规则 2): the provider may not refuse it."""
