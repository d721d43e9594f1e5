"""The four one-thing stories (一件事), told against a running hub (``make run``) over its
REST API, with a readable trace: what the running department was granted, which consent the
citizen gave, the pre-filled form with each value's provenance, the provider signatures
checked against the departments' published keys, and finally the audit log exported and
verified offline.

The subjects come from ``<data_dir>/demo/world.json`` (``tongban demo seed``): the mother and
father of the newborn, the restaurant and its legal representative, the deceased and his next
of kin, the retiree. Citizens act with tokens of the demo identity provider.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kit.crypto import Ed25519PrivateKey, load_private_key
from kit.db import new_id
from tongban.auth import citizen_token
from tongban.client import HubClient, HubError
from tongban.demo.forms import Told, field_line, labels, poll_pending, verify_form

#: the pre-fill's subjects by role → the world's role that plays it
CAST: dict[str, dict[str, str]] = {
    "newborn-birth": {"applicant": "mother", "mother": "mother", "father": "father"},
    "open-restaurant": {
        "applicant": "legal_representative",
        "company": "company",
        "legal_representative": "legal_representative",
    },
    "after-death": {"applicant": "next_of_kin", "deceased": "deceased"},
    "retirement": {"applicant": "retiree", "retiree": "retiree"},
}
#: who decides on consent for a subject who cannot (the deceased): the world's role
DECIDES_FOR = {"deceased": "next_of_kin"}
NUMBERS = "①②③④"


@dataclass(frozen=True)
class Citizens:
    """The demo identity provider: tokens for the people of the world."""

    key: Ed25519PrivateKey
    issuer: str
    audience: str

    def token(self, person: dict[str, Any]) -> str:
        return citizen_token(
            str(person["id_number"]),
            self.key,
            issuer=self.issuer,
            audience=self.audience,
            name=str(person.get("name", "")),
        )


class Stories:
    """Tells the stories through ``HubClient``s of the world's systems and people."""

    def __init__(
        self,
        api: str,
        world: dict[str, Any],
        citizens: Citizens,
        *,
        out: Callable[[str], None] = print,
        http: Any = None,
        poll_s: float = 60.0,
    ) -> None:
        self.api = api
        self.poll_s = poll_s
        self.world = world
        self.citizens = citizens
        self.out = out
        self.http = http
        self._systems: dict[str, HubClient] = {}
        self._names: dict[str, str] = {}

    # -- who acts -------------------------------------------------------------------------

    def system(self, system_id: str) -> HubClient:
        if system_id not in self._systems:
            key = load_private_key(Path(self.world["systems"][system_id]["key_file"]))
            audience = str(self.world.get("hub", "tongban-hub"))
            self._systems[system_id] = HubClient.system(
                self.api, system_id, key, audience=audience, http=self.http
            )
        return self._systems[system_id]

    def citizen(self, person: dict[str, Any]) -> HubClient:
        return HubClient.citizen(self.api, self.citizens.token(person), http=self.http)

    def requester(self, scenario: str) -> str:
        return next(
            str(sid)
            for sid, entry in self.world["systems"].items()
            if entry["role"] == "requester" and entry.get("scenario") == scenario
        )

    def person(self, role: str) -> dict[str, Any]:
        found: dict[str, Any] = self.world["roles"][role]
        return found

    def name(self, code: str) -> str:
        """A department's name, for the trace."""
        if not self._names:
            for d in self.world.get("departments", {}).values():
                self._names[d["code"]] = d["name"]
        return self._names.get(code, code)

    # -- the stories ----------------------------------------------------------------------

    def tell_all(self) -> list[Told]:
        told = [
            self.tell("newborn-birth", 0),
            self.tell("open-restaurant", 1),
            self.tell("after-death", 2),
            self.tell("retirement", 3),
        ]
        return told

    def tell(self, scenario: str, number: int = 0) -> Told:
        """One story: grants, consent, the pre-fill with provenance, signature checks."""
        system = self.requester(scenario)
        client = self.system(system)
        detail = client.get(f"/v1/scenarios/{scenario}")
        entry = self.world["systems"][system]
        self.out("")
        self.out(f"══ {NUMBERS[number]} {detail['name']['zh']} ({detail['name']['en']}) ══")
        self.out(f"办理 {detail['service']['zh']} — {self.name(entry['department_code'])} {system}")
        grants = self.show_grants(client, system, detail)
        consents = self.give_consents(scenario, system, detail, grants)
        if scenario == "after-death":
            self.withheld_for_the_widow(client, consents)
        told = self.prefill(client, scenario, CAST[scenario], consents)
        told.consents = consents
        return told

    def show_grants(
        self, client: HubClient, system: str, detail: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The grants the running system holds for the scenario (read from the hub)."""
        held = client.get("/v1/inbox/requester")["grants"]
        mine = [
            g
            for g in held
            if g["purpose"] == detail["purpose"]
            and system in g["systems"]
            and g["status"] == "ACTIVE"
            and not g["expired"]
        ]
        self.out(f"1. 共享授权 grants held by {system} for {detail['purpose']}:")
        for g in sorted(mine, key=lambda g: (g["resource_code"], g["created_at"])):
            basis = g["lawful_basis"]
            if g.get("legal_reference"):
                basis += f" ({g['legal_reference']})"
            self.out(
                f"   {g['resource_code']} v{g['resource_version']} ← "
                f"{self.name(g['provider_code'])}: {', '.join(g['items'])}"
            )
            self.out(f"      applied for: {g['scenario']}; basis {basis}")
            for condition in g["conditions"]:
                self.out(f"      condition: {condition}")
        needed = {n["resource"] for n in detail["needs"]["grants"]}
        missing = sorted(needed - {g["resource_code"] for g in mine})
        if missing:
            self.out(
                f"   (no grant for {', '.join(missing)}: those fields stay with the applicant)"
            )
        return mine

    def give_consents(
        self,
        scenario: str,
        system: str,
        detail: dict[str, Any],
        grants: list[dict[str, Any]],
    ) -> dict[str, str]:
        """Each subject whose data flows on consent gives it as a citizen (a deceased
        person's next of kin for them, through a registered delegation)."""
        on_consent = {g["resource_code"] for g in grants if g["lawful_basis"] == "consent"}
        sensitive = {
            f["source"]["item"]
            for f in detail["fields"]
            if f.get("source") and f["source"]["sensitive"]
        }
        self.out("2. 授权同意 consent:")
        given: dict[str, str] = {}
        for need in detail["needs"]["consents"]:
            items = [i for i in need["items"] if i.split("#")[0] in on_consent]
            if items:
                role = CAST[scenario][need["subject"]]
                given[need["subject"]] = self.consent_of(
                    system, detail, role, items, [i for i in items if i in sensitive]
                )
        if not given:
            self.out("   none asked: the items this form reads rest on a statutory duty (法定职责)")
        return given

    def consent_of(
        self,
        system: str,
        detail: dict[str, Any],
        role: str,
        items: list[str],
        sensitive: list[str],
    ) -> str:
        subject = self.person(role)
        deciding = self.person(DECIDES_FOR.get(role, role))
        if deciding is not subject:
            self.register_next_of_kin(system, deciding, subject)
        asked = self.system(system).post(
            "/v1/consents",
            {
                "subject": f"person:{subject['id_number']}",
                "purpose": detail["purpose"],
                "purpose_text": f"{detail['name']['zh']}: 预填{detail['service']['zh']}表单",
                "items": items,
                "sensitive_items": sensitive,
                "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
                "retention_days": 30,
                "notice_id": f"{detail['id']}-notice-v1",
                "notice_text": detail["notice"],
            },
        )
        notice = hashlib.sha256(str(asked["notice_text"]).encode("utf-8")).hexdigest()
        decided = self.citizen(deciding).post(
            f"/v1/me/consents/{asked['id']}/give",
            {"notice_sha256": notice, "sensitive_items": sensitive},
        )
        who = (
            deciding["name"] if deciding is subject else f"{deciding['name']} for {subject['name']}"
        )
        self.out(
            f"   {who} gave consent {asked['id'][:8]}… to {self.name(asked['recipient'])}: "
            f"{len(items)} items, {len(sensitive)} sensitive approved separately; "
            f"hub-signed receipt {len(decided['receipt'])} bytes"
        )
        return str(asked["id"])

    def register_next_of_kin(
        self, system: str, kin: dict[str, Any], deceased: dict[str, Any]
    ) -> None:
        """The civil affairs counter checks the papers and registers the next of kin."""
        try:
            self.system(system).post(
                "/v1/delegations",
                {
                    "kind": "next-of-kin",
                    "delegate": f"person:{kin['id_number']}",
                    "principal": f"person:{deceased['id_number']}",
                    "evidence": "居民死亡医学证明(推断)书、火化证明及户口簿所载亲属关系",
                },
            )
            self.out(
                f"   the counter registered {kin['name']} as next of kin of {deceased['name']}"
            )
        except HubError as exc:
            if exc.error != "DelegationExists":
                raise
            self.out(f"   {kin['name']} is already registered as next of kin of {deceased['name']}")

    def withheld_for_the_widow(self, client: HubClient, consents: dict[str, str]) -> None:
        """Amounts are shown only to the verified next of kin: not to the widow, who is not
        the one registered."""
        widow, deceased = self.person("widow"), self.person("deceased")
        form = client.post(
            "/v1/prefill",
            {
                "scenario": "after-death",
                "subjects": {"applicant": widow["id_number"], "deceased": deceased["id_number"]},
                "consents": consents,
                "idempotency_key": new_id(),
            },
        )
        hidden = [f["name"]["zh"] for f in form["fields"] if f["status"] == "withheld"]
        self.out(f"   with {widow['name']} (not the registered next of kin) applying, the form")
        self.out(f"   withholds: {', '.join(hidden)}")

    def prefill(
        self,
        client: HubClient,
        scenario: str,
        roles: dict[str, str],
        consents: dict[str, str],
    ) -> Told:
        subjects = {}
        for role, world_role in roles.items():
            person = self.person(world_role)
            subjects[role] = str(person.get("id_number") or person.get("uscc"))
        started = datetime.now(UTC)
        form = client.post(
            "/v1/prefill",
            {
                "scenario": scenario,
                "subjects": subjects,
                "consents": consents,
                "idempotency_key": new_id(),
            },
        )
        took = (datetime.now(UTC) - started).total_seconds() * 1000
        self.out(
            f"3. 预填 POST /v1/prefill: {len(form['exchanges'])} exchanges in parallel, "
            f"{took:.0f} ms"
        )
        told = Told(scenario, form)
        for f in form["fields"]:
            self.out(field_line(f, self.name))
        late = poll_pending(client, told, self.poll_s)
        if late:
            self.out(
                f"   {len(late)} fields answered after the budget, by polling their exchanges:"
            )
            for f in late:
                self.out(field_line(f, self.name))
        verify_form(client, told)
        self.out(
            f"4. 签名核验: {told.verified} provider signatures verified against the published "
            f"keys of {len(told.departments)} departments ✓"
        )
        self.out(f"   the applicant still enters: {', '.join(labels(form))}")
        return told
