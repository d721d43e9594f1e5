"""Scenarios (一件事) as data: a form's fields in order, and where each one comes from.

A scenario file (YAML, one per one-thing item, under ``exchange/prefill/scenarios/``)::

    id: newborn-birth
    name: {zh: 新生儿出生一件事, en: Newborn birth}
    purpose: newborn-birth            # the grants' and consents' purpose (default: the id)
    service: {zh: 出生登记, en: Birth registration}
    notice: 通办将向……提供……          # the consent notice shown to the people concerned
    subjects:                         # who the form is about, by role
      applicant: {kind: person, zh: 申请人}
      newborn: {kind: person, zh: 新生儿}
    fields:
      - {key: newborn_name, zh: 新生儿姓名, en: Newborn's name,
         from: "105001/000001#newborn_name", about: newborn}
      - {key: phone, zh: 联系电话, en: Phone number, entered: true}

A field either names its source (``from``: ``<resource code>#<item key>``, and ``about``: the
role of the subject the record is about) or is ``entered: true`` by the applicant (then an
optional ``element`` such as ``person.identity#name`` lets the hub say whether sharing could
have filled it). ``shown_to: next_of_kin`` keeps a field (an amount, say) for the applicant
who is the subject or the subject's registered next of kin (近亲属).

Parsing checks only the file itself; :func:`exchange.prefill.checks.check_scenario` then
checks every source against the published catalog.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from exchange.prefill.errors import ScenarioInvalid, ScenarioNotFound

KINDS = ("person", "company")
NEXT_OF_KIN = "next_of_kin"
SHOWN_TO = (NEXT_OF_KIN,)
APPLICANT = "applicant"
_ID = re.compile(r"[a-z][a-z0-9-]{1,63}")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
_TOP = {"id", "name", "purpose", "service", "notice", "subjects", "fields"}
_FIELD = {"key", "zh", "en", "from", "about", "entered", "element", "shown_to"}
_SUBJECT = {"kind", "zh", "en", "optional"}


@dataclass(frozen=True)
class Source:
    """Where a field comes from: an item of a resource, about the subject in ``role``."""

    resource: str
    item: str
    role: str

    @property
    def named(self) -> str:
        """The item as consent and lookup name it: ``<resource code>#<item key>``."""
        return f"{self.resource}#{self.item}"


@dataclass(frozen=True)
class Field:
    key: str
    name_zh: str
    name_en: str
    source: Source | None  # None: entered by the applicant
    element: str | None = None  # for an entered field: the data element it holds, if any
    shown_to: str | None = None  # next_of_kin: only for the subject or their next of kin


@dataclass(frozen=True)
class Role:
    key: str
    kind: str  # person | company
    name_zh: str
    name_en: str
    optional: bool = False


@dataclass(frozen=True)
class Scenario:
    id: str
    name_zh: str
    name_en: str
    purpose: str
    service_zh: str
    service_en: str
    notice: str
    roles: tuple[Role, ...]
    fields: tuple[Field, ...]

    def role(self, key: str) -> Role:
        return next(r for r in self.roles if r.key == key)

    @property
    def sourced(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.source is not None)

    def grants_needed(self) -> dict[str, tuple[str, ...]]:
        """Resource code → the item keys the running department needs a grant for."""
        needed: dict[str, dict[str, None]] = {}
        for f in self.sourced:
            assert f.source is not None
            needed.setdefault(f.source.resource, {})[f.source.item] = None
        return {code: tuple(items) for code, items in needed.items()}

    def items_about(self) -> dict[str, tuple[str, ...]]:
        """Role → the items (``<code>#<key>``) read about that subject."""
        about: dict[str, dict[str, None]] = {}
        for f in self.sourced:
            assert f.source is not None
            about.setdefault(f.source.role, {})[f.source.named] = None
        return {role: tuple(items) for role, items in about.items()}


def _fail(scenario: str, detail: str, **extra: Any) -> ScenarioInvalid:
    return ScenarioInvalid(f"scenario {scenario}: {detail}", scenario=scenario, **extra)


def _text(table: Mapping[str, Any], key: str, where: str, scenario: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(scenario, f"{where}: {key} must be a non-empty text")
    return value.strip()


def _names(value: Any, where: str, scenario: str) -> tuple[str, str]:
    if not isinstance(value, Mapping):
        raise _fail(scenario, f"{where} must be a table {{zh: …, en: …}}")
    return _text(value, "zh", where, scenario), _text(value, "en", where, scenario)


def _table(value: Any, allowed: set[str], where: str, scenario: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(scenario, f"{where} must be a table")
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise _fail(scenario, f"{where}: unknown keys {', '.join(unknown)}")
    return value


def _roles(value: Any, scenario: str) -> tuple[Role, ...]:
    if not isinstance(value, Mapping) or not value:
        raise _fail(scenario, "subjects must name at least the applicant")
    roles = []
    for key, spec in value.items():
        where = f"subject {key}"
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise _fail(scenario, f"{where}: a role is lower-case letters, digits and _")
        table = _table(spec, _SUBJECT, where, scenario)
        kind = table.get("kind")
        if kind not in KINDS:
            raise _fail(scenario, f"{where}: kind must be person or company")
        zh = _text(table, "zh", where, scenario)
        en = str(table.get("en") or key.replace("_", " "))
        roles.append(Role(key, str(kind), zh, en, optional=bool(table.get("optional", False))))
    if APPLICANT not in {r.key for r in roles}:
        raise _fail(scenario, "subjects must include the applicant")
    return tuple(roles)


def _field(spec: Any, roles: set[str], scenario: str) -> Field:
    key = spec.get("key") if isinstance(spec, Mapping) else None
    where = f"field {key}"
    table = _table(spec, _FIELD, where, scenario)
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise _fail(scenario, f"{where}: key must be lower-case letters, digits and _")
    zh, en = _text(table, "zh", where, scenario), _text(table, "en", where, scenario)
    shown_to = table.get("shown_to")
    if shown_to is not None and shown_to not in SHOWN_TO:
        raise _fail(scenario, f"{where}: shown_to must be {', '.join(SHOWN_TO)}", field=key)
    if table.get("entered") is True:
        if "from" in table or "about" in table:
            raise _fail(scenario, f"{where}: an entered field names no source", field=key)
        element = table.get("element")
        return Field(key, zh, en, None, str(element) if element else None, shown_to)
    named = _text(table, "from", where, scenario)
    code, hash_, item = named.partition("#")
    if not hash_ or not code.strip() or not item.strip():
        raise _fail(scenario, f"{where}: from must be '<resource code>#<item key>'", field=key)
    role = table.get("about")
    if role not in roles:
        raise _fail(
            scenario,
            f"{where}: about must be one of the subjects ({', '.join(sorted(roles))})",
            field=key,
        )
    return Field(key, zh, en, Source(code.strip(), item.strip(), str(role)), None, shown_to)


def parse_scenario(data: Any) -> Scenario:
    """A scenario from its file's content; :class:`ScenarioInvalid` names what is wrong."""
    sid = data.get("id") if isinstance(data, Mapping) else None
    if not isinstance(sid, str) or not _ID.fullmatch(sid):
        raise ScenarioInvalid("a scenario needs an id of lower-case letters, digits and -")
    table = _table(data, _TOP, "the file", sid)
    name_zh, name_en = _names(table.get("name"), "name", sid)
    service_zh, service_en = _names(table.get("service"), "service", sid)
    roles = _roles(table.get("subjects"), sid)
    specs = table.get("fields")
    if not isinstance(specs, list) or not specs:
        raise _fail(sid, "fields must list the form's fields in order")
    fields = tuple(_field(spec, {r.key for r in roles}, sid) for spec in specs)
    seen: set[str] = set()
    for f in fields:
        if f.key in seen:
            raise _fail(sid, f"field {f.key} appears twice", field=f.key)
        seen.add(f.key)
    return Scenario(
        id=sid,
        name_zh=name_zh,
        name_en=name_en,
        purpose=str(table.get("purpose") or sid),
        service_zh=service_zh,
        service_en=service_en,
        notice=_text(table, "notice", "the file", sid),
        roles=roles,
        fields=fields,
    )


def _files() -> dict[str, Any]:
    folder = resources.files("exchange.prefill.scenarios")
    return {
        entry.name.removesuffix(".yaml"): entry
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }


@cache
def scenario_ids() -> tuple[str, ...]:
    """The ids of the scenarios shipped with the hub, sorted."""
    return tuple(sorted(_files()))


@cache
def builtin_scenario(scenario_id: str) -> Scenario:
    """A shipped scenario, parsed (not yet checked against the catalog)."""
    entry = _files().get(scenario_id)
    if entry is None:
        known = ", ".join(scenario_ids())
        raise ScenarioNotFound(f"no scenario {scenario_id!r}; the hub knows {known}")
    scenario = parse_scenario(yaml.safe_load(entry.read_text(encoding="utf-8")))
    if scenario.id != scenario_id:
        raise _fail(scenario_id, f"the file names the id {scenario.id}")
    return scenario
