"""The exchange's Kafka topic names, from the prefix the composition root configures.

Services receive a :class:`Topics` value and never build a topic name themselves, so one hub
(or one test) can run beside another on the same cluster under its own prefix.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topics:
    """``Topics("tongban.")`` names ``tongban.exchange.requests.<provider>`` and the rest."""

    prefix: str

    def requests(self, provider_code: str) -> str:
        """Where the hub sends requests for the provider department ``provider_code``."""
        return f"{self.prefix}exchange.requests.{provider_code}"

    @property
    def replies(self) -> str:
        """Where every provider agent sends its signed replies."""
        return f"{self.prefix}exchange.replies"

    @property
    def dead_letter(self) -> str:
        """Where either side puts a message it cannot process."""
        return f"{self.prefix}exchange.dead-letter"

    def corrections(self, provider_code: str) -> str:
        """Where the hub sends corrections (校核纠错) for the provider's overlay."""
        return f"{self.prefix}exchange.corrections.{provider_code}"

    @property
    def callbacks(self) -> str:
        """The hub's own queue of completion notifications for requesters' callback URLs."""
        return f"{self.prefix}exchange.callbacks"
