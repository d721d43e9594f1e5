"""The ports through which the agent reads a department's data (owned here, so the exchange
never imports the connectors that implement them).

A :class:`RecordSource` answers the raw record of one subject as the department stores it; a
:class:`RecordMapping` turns it into the properties of the resource's unified schema.
``connectors.sources`` provides both (``Source`` and ``Mapping``); tests use small twins.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class RecordSource(Protocol):
    def fetch(self, key: str) -> dict[str, Any] | None:
        """The raw record of the subject ``key``, or None when the source has none.

        Raises :class:`exchange.agent.SourceDown` or any :class:`kit.errors.Unavailable` when
        the source cannot be reached, :class:`kit.errors.UpstreamFailed` when it answers with
        something unusable. Error details never carry the key or a value.
        """
        ...


@runtime_checkable
class RecordMapping(Protocol):
    @property
    def properties(self) -> frozenset[str]:
        """The schema properties (dotted keys) this mapping fills."""
        ...

    def apply(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The mapped record ``{property: value}``; raises ``UpstreamFailed`` for a value it
        cannot convert (naming the property, never the value)."""
        ...
