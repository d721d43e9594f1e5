"""Vital records: a birth with its medical birth certificate; a death with its medical death
certificate and the cremation the next of kin arranged."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from tongban.demo.draft import Draft
from tongban.demo.facts import Birth, Cremation, Death, Person
from tongban.demo.people import CHINA_TIME

HOSPITAL = ("浙江大学医学院附属妇产科医院", "330102", "浙江省杭州市上城区学士路2号")
DEATH_HOSPITAL = "浙江省人民医院"
FUNERAL_HOME = ("杭州殡仪馆", "330106")


def birth(draft: Draft, newborn: Person, mother: Person, father: Person) -> None:
    make = draft.make
    born_at = datetime.combine(
        newborn.birth_date, time(make.rng.randint(0, 23), make.rng.randint(0, 59)), CHINA_TIME
    )
    hospital, division, place = HOSPITAL
    draft.births.append(
        Birth(
            number=make.rng.choice("NOPQR") + make.digits(9),
            child=newborn.key,
            mother=mother.key,
            father=father.key,
            born_at=born_at,
            weeks=make.rng.randint(37, 41),
            weight_g=make.rng.randint(2800, 3900),
            hospital=hospital,
            division=division,
            place=place,
            issued_on=min(draft.today, newborn.birth_date + timedelta(days=make.rng.randint(1, 2))),
        )
    )


def death(draft: Draft, deceased: Person, *, next_of_kin: Person) -> None:
    make = draft.make
    died = deceased.death_date
    assert died is not None
    draft.deaths.append(
        Death(
            number=f"330105{died.year}{make.digits(6)}",
            person=deceased.key,
            place_category="医疗卫生机构",
            cause_category="疾病",
            icd10=make.rng.choice(("I21.9", "I63.9", "J44.1", "C34.9")),
            institution=DEATH_HOSPITAL,
            issued_on=died,
        )
    )
    home, division = FUNERAL_HOME
    draft.cremations.append(
        Cremation(
            number=f"HZBYG-{died.year}-{make.digits(5)}",
            person=deceased.key,
            cremated_on=min(draft.today, died + timedelta(days=make.rng.randint(2, 3))),
            funeral_home=home,
            division=division,
            applicant=next_of_kin.key,
            relationship="子",
        )
    )
