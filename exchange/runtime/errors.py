"""Errors of runtime exchanges, each under its branch of :mod:`kit.errors`."""

from __future__ import annotations

from kit.errors import Conflict, Forbidden, Invalid, NotFound, UpstreamFailed


class InvalidExchangeRequest(Invalid):
    """The request is malformed: an unknown subject type, a bad identifier, no items."""


class ExchangeNotFound(NotFound):
    """No exchange with this id."""


class ExchangeForbidden(Forbidden):
    """The exchange belongs to another department, and the caller is not an auditor."""


class IdempotencyKeyReused(Conflict):
    """The system already used this idempotency key for a different request."""


class ConsentMissing(Forbidden):
    """Personal items need the subject's consent for this recipient and purpose; ``missing``
    names the items (``<resource code>#<item key>``) not covered."""


class ExchangeFailed(UpstreamFailed):
    """The provider's reply was refused (bad signature, off-schema data, items not asked for),
    or its message could not be processed: no data is delivered."""


class ReplyMalformed(Invalid):
    """A message on the reply or dead-letter topic is not what the contract says."""


class UnknownExchange(NotFound):
    """A reply names an exchange this hub never made."""
