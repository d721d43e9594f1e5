"""Idempotent consumers: remember which message ids a consumer has already processed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, Session, mapped_column

from kit.db import Base, insert_if_absent, utcnow


class ProcessedMessage(Base):
    __tablename__ = "processed_messages"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


def first_delivery(session: Session, *, consumer: str, message_id: str) -> bool:
    """True the first time ``consumer`` sees ``message_id`` (and remember it in this
    transaction); False for a redelivery. Of two transactions racing with the same message,
    the second waits for the first (:func:`kit.db.insert_if_absent`) and then gets False."""
    return insert_if_absent(
        session,
        ProcessedMessage,
        {"consumer": consumer, "message_id": message_id, "processed_at": utcnow()},
    )
