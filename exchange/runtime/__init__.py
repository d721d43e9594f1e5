"""Runtime exchanges (数据调用): request, route over Kafka, verify, record, answer."""

from exchange.runtime.api import router
from exchange.runtime.callbacks import CallbackSender, Poster, notification
from exchange.runtime.errors import (
    ConsentMissing,
    ExchangeFailed,
    ExchangeForbidden,
    ExchangeNotFound,
    IdempotencyKeyReused,
    InvalidExchangeRequest,
    ReplyMalformed,
    UnknownExchange,
)
from exchange.runtime.events import request_envelope
from exchange.runtime.inbound import ReplyHandler
from exchange.runtime.models import Exchange, Status
from exchange.runtime.reading import Page, get_exchange, list_exchanges
from exchange.runtime.replies import Recorded, poison, record_dead_letter, record_reply
from exchange.runtime.service import (
    ExchangeAsk,
    Requested,
    request_exchange,
    request_exchanges,
    subject_of,
)
from exchange.runtime.sweeper import Sweep, Sweeper, resend_due
from exchange.runtime.topics import Topics
from exchange.runtime.views import detail, summary
from exchange.runtime.waiters import Waiters, wait_for, waiters_in

__all__ = [
    "CallbackSender",
    "ConsentMissing",
    "Exchange",
    "ExchangeAsk",
    "ExchangeFailed",
    "ExchangeForbidden",
    "ExchangeNotFound",
    "IdempotencyKeyReused",
    "InvalidExchangeRequest",
    "Page",
    "Poster",
    "Recorded",
    "ReplyHandler",
    "ReplyMalformed",
    "Requested",
    "Status",
    "Sweep",
    "Sweeper",
    "Topics",
    "UnknownExchange",
    "Waiters",
    "detail",
    "get_exchange",
    "list_exchanges",
    "notification",
    "poison",
    "record_dead_letter",
    "record_reply",
    "request_envelope",
    "request_exchange",
    "request_exchanges",
    "resend_due",
    "router",
    "subject_of",
    "summary",
    "wait_for",
    "waiters_in",
]
