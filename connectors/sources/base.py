"""The port through which the provider agent reads one subject's record from a department's system.

A source is read-only and keyed by the subject (a resident ID number, a USCC, ...). It answers
with the raw record as the department stores it — field names and values untouched — and the
:mod:`connectors.sources.mapping` turns that into the unified schema.

Every source here is safe to share between the agent's worker threads. Error details never
carry the key or any field value: both are personal data.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from kit.errors import Unavailable, UpstreamFailed

__all__ = ["MemorySource", "Source", "SourceFailed", "SourceUnavailable"]


class SourceUnavailable(Unavailable):
    """The source cannot be reached now (down, timed out, file missing, closed); try later."""


class SourceFailed(UpstreamFailed):
    """The source answered, but with something unusable (a broken query, a body that is not
    JSON, a missing key column): a configuration or provider-side fault, not a transient one."""


@runtime_checkable
class Source(Protocol):
    def fetch(self, key: str) -> dict[str, Any] | None:
        """The record of the subject ``key`` as ``{field: value}``, or None when there is none.

        Raises :class:`SourceUnavailable` when the source cannot be reached.
        """
        ...

    def close(self) -> None:
        """Release connections and files; later fetches raise :class:`SourceUnavailable`."""
        ...


class MemorySource:
    """A dict-backed source for unit tests; it can be switched off to play an outage."""

    def __init__(self, records: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._records = {key: dict(record) for key, record in (records or {}).items()}
        self._down: str | None = None

    def put(self, key: str, record: Mapping[str, Any]) -> None:
        self._records[key] = dict(record)

    def go_down(self, reason: str = "switched off") -> None:
        """Make every later fetch raise :class:`SourceUnavailable` with ``reason``."""
        self._down = reason

    def fetch(self, key: str) -> dict[str, Any] | None:
        if self._down is not None:
            raise SourceUnavailable(f"memory source unavailable: {self._down}")
        record = self._records.get(key)
        return copy.deepcopy(record) if record is not None else None

    def close(self) -> None:
        self._down = "closed"
