"""Consent (授权): the person's say over their data.

Records shaped after ISO/IEC TS 27560 with their lifecycle (request, give, refuse, pause,
resume, withdraw, revoke, expire), statutory-duty bases, delegations, hub-signed receipts,
the ``check`` every exchange asks, and the subject's view of who used their data.
"""

from consent.api import router
from consent.check import CheckBatch, check
from consent.decisions import give, pause, refuse, resume, revoke, withdraw
from consent.delegation import DelegationKind, acting_for, add_delegation, subject_for
from consent.errors import (
    ConsentEnded,
    ConsentFrequencyExceeded,
    ConsentNotFound,
    DelegationExists,
    IllegalTransition,
    InvalidConsent,
    InvalidDelegation,
    InvalidSubject,
    NoticeMismatch,
    NotTheRecipient,
    NotTheSubject,
    ReceiptInvalid,
    StatutoryBasisNotWithdrawable,
)
from consent.identity import citizen_subject, normal_subject
from consent.models import Basis, Consent, ConsentEvent, ConsentUse, Delegation, State
from consent.receipts import export_record, issue_receipt, verify_receipt
from consent.service import (
    expire_due,
    get_consent,
    list_consents,
    readable,
    record_statutory_basis,
    request_consent,
    self_consent,
)
from consent.terms import sha256_text
from consent.usage import usage
from consent.values import ConsentDecision, Terms, Use

__all__ = [
    "Basis",
    "CheckBatch",
    "Consent",
    "ConsentDecision",
    "ConsentEnded",
    "ConsentEvent",
    "ConsentFrequencyExceeded",
    "ConsentNotFound",
    "ConsentUse",
    "Delegation",
    "DelegationExists",
    "DelegationKind",
    "IllegalTransition",
    "InvalidConsent",
    "InvalidDelegation",
    "InvalidSubject",
    "NotTheRecipient",
    "NotTheSubject",
    "NoticeMismatch",
    "ReceiptInvalid",
    "State",
    "StatutoryBasisNotWithdrawable",
    "Terms",
    "Use",
    "acting_for",
    "add_delegation",
    "check",
    "citizen_subject",
    "expire_due",
    "export_record",
    "get_consent",
    "give",
    "issue_receipt",
    "list_consents",
    "normal_subject",
    "pause",
    "readable",
    "record_statutory_basis",
    "refuse",
    "request_consent",
    "resume",
    "revoke",
    "router",
    "self_consent",
    "sha256_text",
    "subject_for",
    "usage",
    "verify_receipt",
    "withdraw",
]
