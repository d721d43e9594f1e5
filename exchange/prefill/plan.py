"""Planning a pre-fill: the subjects checked against the scenario's roles, and the sourced
fields grouped by (resource, subject) into one exchange each — or one per grant, when the
caller holds the resource's items under several grants (a resource whose items have different
sharing attributes is granted as one grant per attribute).

A field that will not be asked for is set aside with the reason: its subject was not given
(an optional role), it is kept for the next of kin, or no grant of the caller covers it.
Nothing here writes; the broker makes the real decision on every exchange.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from exchange.grants import Grant
from exchange.prefill.checks import CheckedScenario
from exchange.prefill.errors import InvalidPrefillRequest
from exchange.prefill.relations import cover, held_grants_by_resource, is_next_of_kin
from exchange.prefill.scenario import APPLICANT, NEXT_OF_KIN, Field, Scenario
from exchange.runtime import subject_of
from kit.actors import Principal
from kit.errors import TongbanError

# why a field is not filled from an exchange
NO_SUBJECT, WITHHELD, REFUSED = "no_subject", "withheld", "refused"


@dataclass(frozen=True)
class PrefillRequest:
    """What the running department asks: the subjects by role (公民身份号码 or 统一社会信用
    代码), optionally the consent to rely on per role, and the grants to use (default: the
    caller's own active grants for the scenario's purpose)."""

    scenario: str
    subjects: Mapping[str, str]
    consents: Mapping[str, str] = field(default_factory=dict)
    grants: Sequence[str] = ()
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Skip:
    status: str  # no_subject | withheld | refused
    reason: str
    error: str | None = None


@dataclass(frozen=True)
class Ask:
    """One exchange to run: items of one resource about one subject, under one grant."""

    resource: str
    role: str
    subject: str  # person:<id> / company:<uscc>
    fields: tuple[Field, ...]
    grant_id: str
    consent_id: str | None

    @property
    def items(self) -> list[str]:
        return list(dict.fromkeys(f.source.item for f in self.fields if f.source is not None))


@dataclass
class Plan:
    scenario: Scenario
    subjects: dict[str, str]  # role → subject reference
    asks: list[Ask]
    skipped: dict[str, Skip]  # field key → why it is not asked for


def _subjects(scenario: Scenario, request: PrefillRequest) -> dict[str, str]:
    known = {r.key: r for r in scenario.roles}
    unknown = sorted(set(request.subjects) - set(known))
    if unknown:
        raise InvalidPrefillRequest(
            f"scenario {scenario.id} has no subject {', '.join(unknown)}; its subjects are "
            f"{', '.join(known)}",
            subjects=unknown,
        )
    missing = [r.key for r in scenario.roles if not r.optional and r.key not in request.subjects]
    if missing:
        raise InvalidPrefillRequest(
            f"scenario {scenario.id} needs the subjects {', '.join(missing)}", subjects=missing
        )
    refs = {}
    for role, identifier in request.subjects.items():
        try:
            refs[role] = subject_of(known[role].kind, identifier.strip())
        except TongbanError as exc:
            raise InvalidPrefillRequest(f"subject {role}: {exc.detail}", subjects=[role]) from exc
    stray = sorted(set(request.consents) - set(known))
    if stray:
        raise InvalidPrefillRequest(f"consents name no subject of the scenario: {', '.join(stray)}")
    return refs


def _named_grants(
    session: Session, scenario: Scenario, ids: Sequence[str]
) -> dict[str, list[Grant]]:
    """The grants the caller named, by resource code (the broker checks them in full)."""
    codes = set(scenario.grants_needed())
    named: dict[str, list[Grant]] = {}
    for grant_id in dict.fromkeys(ids):
        grant = session.get(Grant, grant_id)
        if grant is None:
            raise InvalidPrefillRequest(f"there is no grant {grant_id}", grants=[grant_id])
        if grant.resource_code not in codes:
            raise InvalidPrefillRequest(
                f"grant {grant_id} is for {grant.resource_code}, which scenario {scenario.id} "
                "does not read",
                grants=[grant_id],
            )
        named.setdefault(grant.resource_code, []).append(grant)
    return named


def make_plan(
    session: Session,
    checked: CheckedScenario,
    *,
    caller: Principal,
    request: PrefillRequest,
    at: datetime,
) -> Plan:
    """Group the fields into exchanges and pick each one's grant; nothing is written."""
    scenario = checked.scenario
    subjects = _subjects(scenario, request)
    named = _named_grants(session, scenario, request.grants)
    plan = Plan(scenario, subjects, [], {})
    groups: dict[tuple[str, str], list[Field]] = {}
    for f in scenario.sourced:
        assert f.source is not None
        subject = subjects.get(f.source.role)
        if subject is None:
            plan.skipped[f.key] = Skip(NO_SUBJECT, f"no {f.source.role} was named")
        elif f.shown_to == NEXT_OF_KIN and not is_next_of_kin(
            session, applicant=subjects[APPLICANT], subject=subject, at=at
        ):
            why = "shown only to the subject or the verified next of kin (经核验的近亲属)"
            plan.skipped[f.key] = Skip(WITHHELD, why)
        else:
            groups.setdefault((f.source.resource, f.source.role), []).append(f)
    held = held_grants_by_resource(
        session,
        system_id=caller.id,
        department_code=caller.department or "",
        resource_codes=[code for code, _ in groups if not named.get(code)],
        purpose=scenario.purpose,
        at=at,
    )
    for (code, role), fields in groups.items():
        grants = named.get(code) or held.get(code, [])
        _split(plan, code, role, fields, grants, consent_id=request.consents.get(role))
    return plan


def _split(
    plan: Plan,
    code: str,
    role: str,
    fields: list[Field],
    grants: Sequence[Grant],
    *,
    consent_id: str | None,
) -> None:
    """One ask per grant needed to cover the fields; the rest are set aside as refused."""
    items = [f.source.item for f in fields if f.source is not None]
    chosen, uncovered = cover(grants, items)
    for grant, granted in chosen:
        mine = tuple(f for f in fields if f.source is not None and f.source.item in granted)
        plan.asks.append(Ask(code, role, plan.subjects[role], mine, grant.id, consent_id))
    for f in fields:
        assert f.source is not None
        if f.source.item in uncovered:
            why = (
                f"no active grant of this system covers {f.source.named} for the purpose "
                f"{plan.scenario.purpose}"
            )
            plan.skipped[f.key] = Skip(REFUSED, why, "ItemsNotGranted" if grants else "NoGrant")
