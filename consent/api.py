"""HTTP routes: the citizen's own consents (``/v1/me/...``) and the departments' side
(requests, statutory bases, delegations, the authority's revocation, record export)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from consent import decisions, service
from consent.delegation import add_delegation, subject_for
from consent.identity import citizen_subject
from consent.models import Consent
from consent.payloads import (
    ConsentOut,
    ConsentRequestIn,
    DecisionOut,
    DelegationIn,
    DelegationOut,
    GiveIn,
    ReasonIn,
    ReceiptOut,
    RevokeIn,
    SelfConsentIn,
    StatutoryBasisIn,
    UseOut,
)
from consent.receipts import export_record, issue_receipt
from consent.usage import usage
from kit.actors import ROLE_CITIZEN, ROLE_REQUESTER, ROLE_REVIEWER, Principal
from kit.db import utcnow
from kit.web import DbSession, require

router = APIRouter(tags=["consent"])
Citizen = Annotated[Principal, require(ROLE_CITIZEN)]
Requester = Annotated[Principal, require(ROLE_REQUESTER)]
Reviewer = Annotated[Principal, require(ROLE_REVIEWER)]
Anyone = Annotated[Principal, require()]
Decide = Callable[..., Consent]


def _receipt(request: Request, session: Session, consent_id: str) -> str:
    hub = request.app.state.hub
    return issue_receipt(
        session,
        consent_id=consent_id,
        key=hub.hub_key.private,
        kid=hub.hub_key.kid,
        issuer=request.app.state.settings.hub_id,
    )


def _decided(request: Request, session: Session, consent: Consent) -> DecisionOut:
    session.flush()
    return DecisionOut(
        consent=ConsentOut.of(consent), receipt=_receipt(request, session, consent.id)
    )


# --- the citizen (the data subject, or a registered delegate) ---------------------------


@router.get("/v1/me/consents", response_model=list[ConsentOut])
def my_consents(
    who: Citizen,
    session: DbSession,
    state: Annotated[list[str] | None, Query(description="filter by state")] = None,
    on_behalf_of: Annotated[str | None, Query(description="a subject you represent")] = None,
) -> list[ConsentOut]:
    """My consent records (or those of someone I represent), newest first."""
    subject, _ = subject_for(session, who, on_behalf_of, utcnow())
    return [
        ConsentOut.of(c)
        for c in service.list_consents(session, subject=subject, states=state or ())
    ]


@router.post("/v1/me/consents", response_model=DecisionOut, status_code=201)
def give_on_my_initiative(
    body: SelfConsentIn, who: Citizen, session: DbSession, request: Request
) -> DecisionOut:
    """Give consent to a department on my own initiative: request and give in one call."""
    subject = body.on_behalf_of or citizen_subject(who)
    terms = body.terms(subject, notice_id=body.notice_id, notice_text=body.notice_text)
    consent = service.self_consent(session, actor=who, recipient=body.recipient, terms=terms)
    return _decided(request, session, consent)


@router.get("/v1/me/consents/{consent_id}", response_model=ConsentOut)
def my_consent(consent_id: str, who: Citizen, session: DbSession) -> ConsentOut:
    """One record with its notice text and event history."""
    return ConsentOut.of(service.readable(session, consent_id, who))


@router.post("/v1/me/consents/{consent_id}/give", response_model=DecisionOut)
def give(
    consent_id: str, body: GiveIn, who: Citizen, session: DbSession, request: Request
) -> DecisionOut:
    """Give consent: acknowledge the notice by its SHA-256; approve sensitive items and
    onward transfer separately. Returns the signed receipt."""
    consent = decisions.give(
        session,
        consent_id=consent_id,
        actor=who,
        notice_sha256=body.notice_sha256,
        sensitive_items=body.sensitive_items,
        onward_transfer=body.onward_transfer,
    )
    return _decided(request, session, consent)


def _one_call(decide: Decide, summary: str) -> Callable[..., DecisionOut]:
    def route(
        consent_id: str,
        who: Citizen,
        session: DbSession,
        request: Request,
        body: ReasonIn | None = None,
    ) -> DecisionOut:
        reason = body.reason if body is not None else None
        consent = decide(session, consent_id=consent_id, actor=who, reason=reason)
        return _decided(request, session, consent)

    route.__doc__ = summary
    return route


for _verb, _decide, _summary in (
    ("refuse", decisions.refuse, "Refuse a request."),
    ("withdraw", decisions.withdraw, "Withdraw: one call, the same channel as giving."),
    ("pause", decisions.pause, "Pause: new checks are refused at once."),
    ("resume", decisions.resume, "Resume a paused consent."),
):
    router.add_api_route(
        f"/v1/me/consents/{{consent_id}}/{_verb}",
        _one_call(_decide, _summary),
        methods=["POST"],
        response_model=DecisionOut,
        name=f"{_verb}_consent",
    )


@router.get("/v1/me/consents/{consent_id}/receipt", response_model=ReceiptOut)
def my_receipt(consent_id: str, who: Citizen, session: DbSession, request: Request) -> ReceiptOut:
    """The hub-signed receipt of the record's current state (verify it offline)."""
    service.readable(session, consent_id, who)
    kid = request.app.state.hub.hub_key.kid
    return ReceiptOut(receipt=_receipt(request, session, consent_id), kid=kid)


@router.get("/v1/me/usage", response_model=list[UseOut])
def my_usage(
    who: Citizen,
    session: DbSession,
    on_behalf_of: Annotated[str | None, Query()] = None,
    after: Annotated[int, Query(description="leaf index to continue after")] = -1,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[UseOut]:
    """Who used my data: department, resource, items, purpose, time and the basis used."""
    subject, _ = subject_for(session, who, on_behalf_of, utcnow())
    return [UseOut.of(u) for u in usage(session, subject=subject, after_index=after, limit=limit)]


# --- departments and the authority ----------------------------------------------------


@router.post("/v1/consents", response_model=ConsentOut, status_code=201)
def request_consent(body: ConsentRequestIn, who: Requester, session: DbSession) -> ConsentOut:
    """Ask a subject for consent for the calling system's department."""
    return ConsentOut.of(service.request_consent(session, actor=who, terms=body.to_terms()))


@router.get("/v1/consents/{consent_id}", response_model=ConsentOut)
def get_consent(consent_id: str, who: Anyone, session: DbSession) -> ConsentOut:
    """A record, for its recipient department (and the authority's reviewers, auditors)."""
    return ConsentOut.of(service.readable(session, consent_id, who))


@router.get("/v1/consents/{consent_id}/record")
def consent_record(consent_id: str, who: Anyone, session: DbSession) -> dict[str, Any]:
    """The record as ISO/IEC TS 27560-shaped JSON."""
    return export_record(service.readable(session, consent_id, who))


@router.post("/v1/consents/{consent_id}/revoke", response_model=ConsentOut)
def revoke(consent_id: str, body: RevokeIn, who: Reviewer, session: DbSession) -> ConsentOut:
    """The competent authority revokes a consent or a statutory basis (reason required)."""
    consent = decisions.revoke(session, consent_id=consent_id, actor=who, reason=body.reason)
    return ConsentOut.of(consent)


@router.post("/v1/statutory-bases", response_model=ConsentOut, status_code=201)
def statutory_basis(body: StatutoryBasisIn, who: Requester, session: DbSession) -> ConsentOut:
    """Record a statutory duty (法定职责) as the lawful basis for a subject's items."""
    terms = body.terms(body.subject, legal_reference=body.legal_reference)
    return ConsentOut.of(service.record_statutory_basis(session, actor=who, terms=terms))


@router.post("/v1/delegations", response_model=DelegationOut, status_code=201)
def delegation(body: DelegationIn, who: Anyone, session: DbSession) -> DelegationOut:
    """Register a delegation (admin users; requester systems of the civil affairs or public
    security office)."""
    row = add_delegation(session, actor=who, **body.model_dump())
    return DelegationOut.of(row)
