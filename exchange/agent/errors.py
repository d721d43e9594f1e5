"""Errors of the provider agent, each under its branch of :mod:`kit.errors`."""

from __future__ import annotations

from kit.errors import Invalid, Unavailable


class SourceDown(Unavailable):
    """The department's source cannot be reached now; the agent answers "unavailable"."""


class MessageMalformed(Invalid):
    """A message on the agent's topics cannot be read as a request or a correction, or is
    addressed to another department: it goes to the dead-letter topic at once."""


class AgentConfigInvalid(Invalid):
    """The agent's configuration is incomplete or names something that does not fit."""
