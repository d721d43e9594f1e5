"""What can go wrong with a grant; ``authorize`` raises the first six in contract order."""

from __future__ import annotations

from kit.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests


class GrantNotFound(NotFound):
    pass


class GrantNotActive(Conflict):
    """Suspended, revoked, closed, or past its period."""


class GrantNotHeld(Forbidden):
    """The calling department or system is not the grant's holder."""


class ItemsNotGranted(Forbidden):
    """Items outside the grant were asked for (``items`` lists them)."""


class PurposeMismatch(Forbidden):
    """The grant was given for another purpose (规则 6)."""


class GrantFrequencyExceeded(TooManyRequests):
    """The grant's uses for today (China Standard Time) are spent."""


class GrantInvalid(Invalid):
    pass


class GrantStateConflict(Conflict):
    pass


class NotYourGrant(Forbidden):
    """The caller's department is not the party this step belongs to."""


class GrantChangeNotFound(NotFound):
    pass
