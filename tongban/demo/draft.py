"""The facts gathered while a world is made, frozen into a :class:`World` at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tongban.demo.facts import (
    Birth,
    Company,
    Cremation,
    Death,
    DrivingLicence,
    FoodLicence,
    FundAccount,
    Household,
    Lease,
    Marriage,
    MedicalCover,
    Member,
    Pension,
    Person,
    Property,
    World,
)
from tongban.demo.people import Maker, district_name, police_station


@dataclass
class Draft:
    make: Maker
    people: list[Person] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    marriages: list[Marriage] = field(default_factory=list)
    births: list[Birth] = field(default_factory=list)
    deaths: list[Death] = field(default_factory=list)
    cremations: list[Cremation] = field(default_factory=list)
    pensions: list[Pension] = field(default_factory=list)
    medical: list[MedicalCover] = field(default_factory=list)
    funds: list[FundAccount] = field(default_factory=list)
    licences: list[DrivingLicence] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    leases: list[Lease] = field(default_factory=list)
    food_licences: list[FoodLicence] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.make.today

    def person(self, key: str, role: str | None = None, **options: Any) -> Person:
        person = self.make.person(key, **options)
        self.people.append(person)
        if role:
            self.roles[role] = key
        return person

    def household(self, head: Person, *others: tuple[Person, str, date]) -> Household:
        """A household at the head's address; ``others`` are (person, GB/T 4761 relation,
        moved-in date)."""
        make = self.make
        earliest = max(head.birth_date + timedelta(days=18 * 365), self.today - timedelta(9000))
        settled = earliest + timedelta(days=make.rng.randint(0, (self.today - earliest).days // 2))
        members = (
            Member(head.key, "02", settled),
            *(Member(p.key, relation, moved) for p, relation, moved in others),
        )
        household = Household(
            number=make.digits(9),
            address=head.address,
            division=head.division,
            police_station=police_station(head.division),
            members=members,
        )
        self.households.append(household)
        return household

    def marriage(self, husband: Person, wife: Person, registered: date) -> Marriage:
        division = husband.division
        marriage = Marriage(
            number=f"J{division}-{registered.year}-{self.make.digits(6)}",
            husband=husband.key,
            wife=wife.key,
            registered_on=registered,
            registry=f"杭州市{district_name(division)}民政局婚姻登记处",
            registry_division=division,
        )
        self.marriages.append(marriage)
        return marriage

    def freeze(self, seed: int) -> World:
        return World(
            seed=seed,
            today=self.today,
            people=tuple(self.people),
            companies=tuple(self.companies),
            households=tuple(self.households),
            marriages=tuple(self.marriages),
            births=tuple(self.births),
            deaths=tuple(self.deaths),
            cremations=tuple(self.cremations),
            pensions=tuple(self.pensions),
            medical=tuple(self.medical),
            funds=tuple(self.funds),
            licences=tuple(self.licences),
            properties=tuple(self.properties),
            leases=tuple(self.leases),
            food_licences=tuple(self.food_licences),
            roles=dict(self.roles),
        )
