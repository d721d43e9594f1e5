"""The synthetic world: valid identifiers, ages that fit each role, consistent families."""

from __future__ import annotations

from datetime import date, timedelta

from schemas import (
    is_resident_id,
    is_uscc,
    resident_id_birth_date,
    resident_id_sex,
)
from tests.demo.conftest import REFERENCE
from tongban.demo.facts import World
from tongban.demo.population import DEFAULT_SEED, ROLES, build_world


def _age(world: World, key: str) -> int:
    born = world.person(key).birth_date
    today = world.today
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def test_every_resident_id_passes_its_checks_and_agrees_with_birth_date_and_sex(
    world: World,
) -> None:
    registered = [p for p in world.people if p.id_number is not None]
    assert len(registered) >= 30
    for person in registered:
        assert person.id_number is not None
        assert is_resident_id(person.id_number, today=world.today), person.key
        assert resident_id_birth_date(person.id_number) == person.birth_date
        assert resident_id_sex(person.id_number) == person.sex
    assert len({p.id_number for p in registered}) == len(registered)


def test_every_company_has_a_valid_uscc(world: World) -> None:
    assert world.companies
    assert all(is_uscc(c.uscc) for c in world.companies)
    assert len({c.uscc for c in world.companies}) == len(world.companies)


def test_every_role_names_someone_in_the_world(world: World) -> None:
    assert set(world.roles) == set(ROLES)
    for role, key in world.roles.items():
        if role == "company":
            assert world.company(key).key == key
        else:
            assert world.person(key).key == key


def test_the_newborn_was_born_days_ago_and_has_no_resident_id_yet(world: World) -> None:
    newborn = world.person(world.roles["newborn"])
    assert newborn.id_number is None
    assert REFERENCE - timedelta(days=14) <= newborn.birth_date < REFERENCE
    [birth] = world.births
    assert birth.child == newborn.key
    assert birth.born_at.date() == newborn.birth_date
    assert newborn.birth_date <= birth.issued_on <= REFERENCE
    assert world.household_of(newborn.key) is None  # registering the birth is the story


def test_the_parents_are_adults_and_the_child_is_a_minor(world: World) -> None:
    assert 22 <= _age(world, world.roles["father"]) <= 45
    assert 20 <= _age(world, world.roles["mother"]) <= 45
    assert 1 <= _age(world, world.roles["child"]) < 18
    mother = world.person(world.roles["mother"])
    assert mother.id_number is not None
    assert mother.id_number[:6] == "340104"  # born in 合肥, household moved to 杭州 since


def test_the_family_shares_one_household_headed_by_the_father(world: World) -> None:
    found = world.household_of(world.roles["mother"])
    assert found is not None
    household, member = found
    assert household.head == world.roles["father"]
    assert member.relation == "10"
    relations = {m.person: m.relation for m in household.members}
    assert relations[world.roles["child"]] in ("20", "30")
    [marriage] = [m for m in world.marriages if m.wife == world.roles["mother"]]
    assert marriage.husband == world.roles["father"]
    assert marriage.registered_on < world.person(world.roles["child"]).birth_date


def test_the_deceased_died_after_birth_and_was_cremated_after_death(world: World) -> None:
    deceased = world.person(world.roles["deceased"])
    assert deceased.death_date is not None
    assert deceased.birth_date < deceased.death_date < REFERENCE
    [death] = world.deaths
    [cremation] = world.cremations
    assert death.person == cremation.person == deceased.key
    assert deceased.death_date <= cremation.cremated_on <= REFERENCE
    assert cremation.applicant == world.roles["next_of_kin"]
    son = world.person(world.roles["next_of_kin"])
    assert son.name[0] == deceased.name[0]
    kinds = {
        "pension": world.pensions,
        "medical": world.medical,
        "fund": world.funds,
        "licence": world.licences,
    }
    for kind, facts in kinds.items():
        assert any(f.person == deceased.key for f in facts), kind
    assert world.household_of(deceased.key) is not None


def test_the_retiree_is_about_to_turn_sixty_after_thirty_years_of_contributions(
    world: World,
) -> None:
    retiree = world.person(world.roles["retiree"])
    sixtieth = retiree.birth_date.replace(year=retiree.birth_date.year + 60)
    assert REFERENCE < sixtieth <= REFERENCE + timedelta(days=60)
    [pension] = [p for p in world.pensions if p.person == retiree.key]
    assert pension.months >= 360
    assert pension.status == "参保缴费"
    assert pension.employer is not None
    assert any(m.person == retiree.key and m.years > 20 for m in world.medical)
    assert any(f.person == retiree.key and f.balance > 0 for f in world.funds)


def test_the_restaurant_leases_its_premises_and_has_no_food_licence_yet(world: World) -> None:
    company = world.company(world.roles["company"])
    assert company.legal_representative == world.roles["legal_representative"]
    assert world.person(company.legal_representative).id_number is not None
    [lease] = [lease for lease in world.leases if lease.lessee == company.key]
    assert lease.address == company.address
    assert lease.lessor == world.roles["landlord"]
    assert lease.start <= REFERENCE <= lease.end
    assert any(p.holder == world.roles["landlord"] and p.usage == "商业" for p in world.properties)
    assert not [f for f in world.food_licences if f.company == company.key]
    assert world.food_licences  # another restaurant does hold one


def test_a_few_dozen_people_live_in_the_world_each_with_a_name_of_their_own(
    world: World,
) -> None:
    assert 30 <= len(world.people) <= 60
    assert all(p.birth_date < REFERENCE for p in world.people)
    assert len({p.name for p in world.people}) == len(world.people)


def test_the_same_seed_and_date_give_the_same_world_and_another_seed_does_not(
    world: World,
) -> None:
    assert build_world(DEFAULT_SEED, REFERENCE) == world
    other = build_world(DEFAULT_SEED + 1, REFERENCE)
    assert other.person("mother").id_number != world.person("mother").id_number


def test_a_later_reference_date_keeps_the_newborn_recent() -> None:
    later = build_world(DEFAULT_SEED, date(2030, 1, 15))
    newborn = later.person(later.roles["newborn"])
    assert date(2030, 1, 1) <= newborn.birth_date < date(2030, 1, 15)
