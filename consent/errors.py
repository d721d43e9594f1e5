"""The consent package's failures, each on its branch of the shared error tree."""

from __future__ import annotations

from kit.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests


class ConsentNotFound(NotFound):
    pass


class DelegationNotFound(NotFound):
    pass


class InvalidConsent(Invalid):
    """A request, a give or a statutory basis breaks a rule (items, validity, notice ...)."""


class InvalidSubject(Invalid):
    """Not a subject reference ``person:<resident id>`` / ``company:<USCC>`` with valid codes."""


class InvalidDelegation(Invalid):
    """A delegation the rules do not allow (a parent for an adult, a stranger's claim ...)."""


class IllegalTransition(Conflict):
    """The consent's state does not allow this step (the body names ``from`` and ``to``)."""


class NoticeMismatch(Conflict):
    """The notice the subject acknowledged is not the notice of this request."""


class ConsentEnded(Conflict):
    """The consent's validity window has passed (or not begun) for this step."""


class StatutoryBasisNotWithdrawable(Conflict):
    """A statutory-duty basis is not the subject's to give, pause or withdraw."""


class NotTheSubject(Forbidden):
    """Only the subject, or a delegate registered for them, may decide on their consent."""


class NotTheRecipient(Forbidden):
    """Only the recipient department (or the authority) may read a department's consent."""


class ConsentFrequencyExceeded(TooManyRequests):
    """The consent's frequency cap for the current period is reached."""


class DelegationExists(Conflict):
    pass


class ReceiptInvalid(Invalid):
    """A receipt whose signature, type or content does not verify."""
