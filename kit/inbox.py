"""Idempotent consumers: remember which message ids a consumer has already processed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kit.db import Base, utcnow


class ProcessedMessage(Base):
    __tablename__ = "processed_messages"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


def first_delivery(session: Session, *, consumer: str, message_id: str) -> bool:
    """True the first time ``consumer`` sees ``message_id`` (and remember it in this
    transaction); False for a redelivery. Two racing transactions cannot both commit the
    same pair: the primary key refuses the second, which rolls back and is redelivered."""
    seen = session.scalar(
        select(ProcessedMessage.message_id).where(
            ProcessedMessage.consumer == consumer, ProcessedMessage.message_id == message_id
        )
    )
    if seen is not None:
        return False
    session.add(ProcessedMessage(consumer=consumer, message_id=message_id))
    session.flush()
    return True
