"""The world as ``world.json`` shows it: the people and companies by role, everyone else in
short, and where each department's data lives. The stories and tests find their subjects
here: ``roles["mother"]["id_number"]``, ``roles["company"]["uscc"]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tongban.demo.facts import Company, Person, World
from tongban.demo.sources import Holding


def person_entry(person: Person) -> dict[str, Any]:
    return {
        "kind": "person",
        "key": person.key,
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "id_number": person.id_number,
        "death_date": person.death_date.isoformat() if person.death_date else None,
        "phone": person.phone,
        "address": person.address,
    }


def company_entry(world: World, company: Company) -> dict[str, Any]:
    licence = next((f for f in world.food_licences if f.company == company.key), None)
    return {
        "kind": "company",
        "key": company.key,
        "name": company.name,
        "uscc": company.uscc,
        "legal_representative": company.legal_representative,
        "founded_on": company.founded_on.isoformat(),
        "address": company.address,
        "food_licence": licence.number if licence else None,
    }


def describe_roles(world: World) -> dict[str, dict[str, Any]]:
    """Each role's person or company, with what its story needs beside the identifier."""
    roles: dict[str, dict[str, Any]] = {}
    for role, key in world.roles.items():
        if any(c.key == key for c in world.companies):
            roles[role] = company_entry(world, world.company(key))
        else:
            roles[role] = person_entry(world.person(key))
    for birth in world.births:
        if birth.child == world.roles.get("newborn"):
            roles["newborn"].update(
                birth_certificate=birth.number,
                born_at=birth.born_at.isoformat(),
                mother=birth.mother,
                father=birth.father,
            )
    for cremation in world.cremations:
        if cremation.person == world.roles.get("deceased"):
            roles["deceased"]["cremation_certificate"] = cremation.number
            roles["next_of_kin"]["relationship"] = cremation.relationship
    return roles


def describe_world(world: World, folder: Path, held: list[Holding]) -> dict[str, Any]:
    return {
        "seed": world.seed,
        "today": world.today.isoformat(),
        "population": [person_entry(p) for p in world.people],
        "companies": [company_entry(world, c) for c in world.companies],
        "sources": {
            h.department: [str(folder / "sources" / f.path) for f in h.files] for h in held
        },
    }
