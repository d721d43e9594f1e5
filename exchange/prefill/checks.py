"""Checking a scenario against the published catalog (政务数据目录).

Every sourced field must name an item of a PUBLISHED resource whose sharing attribute is not
不予共享; the first field that fails is refused by name with the reason. Entered fields that
name a data element are looked up (``catalog.lookup``): when sharing could fill one, the
form asks the applicant for data the hub could obtain (rule 7), and the view says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import LookupHit, Resource, ResourceStatus, ShareType, lookup, published_resource
from exchange.prefill.errors import ScenarioInvalid
from exchange.prefill.scenario import Field, Scenario, builtin_scenario
from kit.errors import TongbanError


@dataclass(frozen=True)
class SourceInfo:
    """What the catalog says of a sourced field's item, as checked."""

    resource_code: str
    resource_version: int
    resource_name: str
    provider_code: str
    item_key: str
    item_name: str
    share_type: str
    conditions: tuple[str, ...]
    personal: bool
    sensitive: bool
    element: str


@dataclass(frozen=True)
class CheckedScenario:
    """A scenario whose every source is a published, shareable item (as of ``check``)."""

    scenario: Scenario
    sources: dict[str, SourceInfo]  # field key → its item as published

    def obtainable(self, field: Field) -> bool:
        return field.key in self.sources


def _refuse(scenario: Scenario, field: Field, why: str) -> ScenarioInvalid:
    assert field.source is not None
    return ScenarioInvalid(
        f"scenario {scenario.id}: field {field.key} ({field.name_zh}): source "
        f"{field.source.named} {why}",
        scenario=scenario.id,
        field=field.key,
        source=field.source.named,
    )


def _resource(
    session: Session, scenario: Scenario, field: Field, cache: dict[str, Resource]
) -> Resource:
    assert field.source is not None
    code = field.source.resource
    if code not in cache:
        try:
            cache[code] = published_resource(session, code)
        except TongbanError as exc:
            raise _refuse(scenario, field, f"is not a published resource: {exc.detail}") from exc
    return cache[code]


def _info(
    session: Session, scenario: Scenario, field: Field, cache: dict[str, Resource]
) -> SourceInfo:
    assert field.source is not None
    resource = _resource(session, scenario, field, cache)
    item = resource.item(field.source.item)
    if item is None:
        raise _refuse(scenario, field, f"names no item of {resource.code} v{resource.version}")
    if item.share_type == ShareType.NOT_SHARED:
        basis = f" ({item.legal_basis})" if item.legal_basis else ""
        raise _refuse(scenario, field, f"is not shared (不予共享){basis}")
    return SourceInfo(
        resource_code=resource.code,
        resource_version=resource.version,
        resource_name=resource.name,
        provider_code=resource.provider_code,
        item_key=item.key,
        item_name=item.name,
        share_type=item.share_type,
        conditions=tuple(str(c) for c in item.conditions),
        personal=item.personal,
        sensitive=item.sensitive,
        element=item.element,
    )


def check_scenario(session: Session, scenario: Scenario) -> CheckedScenario:
    """Check every source against the published catalog; raise :class:`ScenarioInvalid`
    naming the first field whose source is unknown, unpublished or not shared."""
    cache: dict[str, Resource] = {}
    sources = {f.key: _info(session, scenario, f, cache) for f in scenario.sourced}
    return CheckedScenario(scenario, sources)


# (scenario, the ids of the resource versions it was checked against) → the checked scenario
_CHECKED: dict[tuple[int, tuple[str, ...]], CheckedScenario] = {}
_CHECKED_MAX = 256


def _current_versions(session: Session, scenario: Scenario) -> tuple[str, ...] | None:
    """The row ids of the current PUBLISHED version of each resource the scenario reads, in
    code order, read in one query; None unless each code has exactly one."""
    codes = sorted({f.source.resource for f in scenario.sourced if f.source is not None})
    rows = session.execute(
        select(Resource.code, Resource.id).where(
            Resource.code.in_(codes),
            Resource.status == ResourceStatus.PUBLISHED,
            Resource.superseded.is_(False),
        )
    ).all()
    found = {row.code: row.id for row in rows}
    if len(rows) != len(codes) or sorted(found) != codes:
        return None
    return tuple(found[code] for code in codes)


def load_scenario(session: Session, scenario_id: str) -> CheckedScenario:
    """A shipped scenario, parsed and checked against the catalog as it is now.

    A published version's items never change (a revision is a new version with a new row),
    so a check is reused while every resource's current published version is the same row;
    publishing, revising or retiring any of them changes the rows read and checks again."""
    scenario = builtin_scenario(scenario_id)
    current = _current_versions(session, scenario)
    key = (id(scenario), current) if current is not None else None
    if key is not None and (hit := _CHECKED.get(key)) is not None and hit.scenario is scenario:
        return hit
    checked = check_scenario(session, scenario)
    if key is not None:
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
        _CHECKED[key] = checked
    return checked


def shareable_hits(session: Session, element: str) -> list[LookupHit]:
    """Published items that could fill ``element`` by sharing (not 不予共享)."""
    try:
        hits = lookup(session, element)
    except TongbanError:
        return []
    return [h for h in hits if h.share_type != ShareType.NOT_SHARED]
