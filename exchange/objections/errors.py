"""What can go wrong with an objection (校核申请)."""

from __future__ import annotations

from kit.errors import Conflict, Forbidden, Invalid, NotFound


class ObjectionNotFound(NotFound):
    pass


class ObjectionInvalid(Invalid):
    pass


class ObjectionExists(Conflict):
    """The same party already has an open objection on this subject's item."""


class ObjectionStateConflict(Conflict):
    pass


class NotYourObjection(Forbidden):
    """The caller may not take this step on this objection."""
