"""Errors of the one-thing pre-fill, each under its branch of :mod:`kit.errors`."""

from __future__ import annotations

from kit.errors import Invalid, NotFound


class ScenarioNotFound(NotFound):
    """No scenario with this id."""


class ScenarioInvalid(Invalid):
    """A scenario cannot be used: the file is malformed, or a field's source is not a
    published, shareable catalog item. ``field`` names the field, ``scenario`` the scenario."""


class InvalidPrefillRequest(Invalid):
    """The pre-fill request does not fit its scenario: a subject missing or unknown, a
    subject of the wrong kind, a consent or grant named for something the scenario lacks."""
