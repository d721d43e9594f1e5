"""Objections (校核纠错): verifying one item of one subject's record, with deadlines, and the
markers the exchange shows while verification is pending."""

from exchange.objections.errors import (
    NotYourObjection,
    ObjectionExists,
    ObjectionInvalid,
    ObjectionNotFound,
    ObjectionStateConflict,
)
from exchange.objections.events import TOPIC as OBJECTION_TOPIC
from exchange.objections.markers import ObjectionMarker, objections_on, under_objection
from exchange.objections.models import Objection, ObjectionEvent, ObjectionStatus
from exchange.objections.overdue import mark_overdue_objections, overdue_objections
from exchange.objections.service import (
    ObjectionInput,
    get_objection,
    list_objections,
    raise_objection,
)
from exchange.objections.stats import objection_statistics
from exchange.objections.workflow import accept, close, confirm, correct, forward, reject

__all__ = [
    "OBJECTION_TOPIC",
    "NotYourObjection",
    "Objection",
    "ObjectionEvent",
    "ObjectionExists",
    "ObjectionInput",
    "ObjectionInvalid",
    "ObjectionMarker",
    "ObjectionNotFound",
    "ObjectionStateConflict",
    "ObjectionStatus",
    "accept",
    "close",
    "confirm",
    "correct",
    "forward",
    "get_objection",
    "list_objections",
    "mark_overdue_objections",
    "objection_statistics",
    "objections_on",
    "overdue_objections",
    "raise_objection",
    "reject",
    "under_objection",
]
