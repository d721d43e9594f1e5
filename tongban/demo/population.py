"""Who lives in the demo world: the people of the one-thing stories and their neighbours.

* a family in 西湖区 — the **father** (户主), the **mother** (born in 合肥, moved her household
  here after the marriage), their **child** (a minor, for acting on a child's behalf) and a
  **newborn** a few days old with a medical birth certificate but no household registration
  and no resident ID number yet (registering the birth is the newborn story);
* the **deceased**, who died in hospital days ago and has been cremated, his widow in his
  household, and his son, the **next_of_kin**, who arranged the cremation;
* the **retiree**, about to turn sixty, with more than thirty years of contributions;
* the **company**: a restaurant founded weeks ago, its **legal_representative**, the shop
  it leases from the **landlord**, and no food business licence (it is applying for one);
* about twenty neighbours, a few employers and a noodle shop that does hold a food licence.

:func:`build_world` is a pure function of the seed and the reference date.
"""

from __future__ import annotations

from datetime import date, timedelta

from tongban.demo import business, holdings, vital
from tongban.demo.draft import Draft
from tongban.demo.facts import Company, World
from tongban.demo.people import DISTRICTS, Maker, years_before

DEFAULT_SEED = 20250801  # the day the regulation came into force

ROLES = (
    "mother",
    "father",
    "child",
    "newborn",
    "deceased",
    "widow",
    "next_of_kin",
    "retiree",
    "company",
    "legal_representative",
    "landlord",
)


def build_world(seed: int, today: date) -> World:
    """The whole synthetic world for ``seed``, as it stands on ``today``."""
    draft = Draft(Maker(seed, today))
    employers = _employers(draft)
    _family(draft, employers)
    _bereaved(draft, employers)
    _retiree(draft, employers)
    _restaurant(draft)
    _neighbours(draft, employers)
    return draft.freeze(seed)


def _employers(draft: Draft) -> dict[str, Company]:
    """Five employers; their legal representatives are neighbours (made here)."""
    make = draft.make
    specs = [
        ("tech", "330108", "科技有限公司", "软件开发；信息技术咨询服务；数据处理和存储支持服务。"),
        ("logistics", "330105", "物流有限公司", "道路货物运输（不含危险货物）；国内货物运输代理。"),
        (
            "machinery",
            "330110",
            "机械制造有限公司",
            "通用设备制造（不含特种设备制造）；机械零件加工。",
        ),
        ("silk", "330102", "丝绸有限公司", "丝绸制品制造；服装服饰批发；针纺织品销售。"),
        (
            "trading",
            "330106",
            "商贸有限公司",
            "日用百货销售；五金产品零售；食品销售（仅销售预包装食品）。",
        ),
    ]
    found: dict[str, Company] = {}
    for index, (key, division, suffix, scope) in enumerate(specs):
        boss = draft.person(
            f"boss-{index + 1}", sex=make.rng.choice("12"), born=make.age(40, 62), division=division
        )
        draft.household(boss)
        company = make.company(
            key,
            name=f"杭州{make.trade_name()}{suffix}",
            representative=boss.key,
            division=division,
            scope=scope,
            founded=make.days_ago(3000, 11000),
            capital_10k=float(make.rng.choice((100, 500, 1000, 2000))),
        )
        draft.companies.append(company)
        holdings.employ(draft, boss, company)
        found[key] = company
    return found


def _family(draft: Draft, employers: dict[str, Company]) -> None:
    make, today = draft.make, draft.make.today
    child_born = make.age(6, 8)
    father = draft.person("father", "father", sex="1", born=make.age(33, 36), division="330106")
    mother = draft.person(
        "mother",
        "mother",
        sex="2",
        born=make.age(30, 33),
        division="330106",
        birth_division="340104",
        address=father.address,
    )
    married = child_born - timedelta(days=make.rng.randint(300, 700))
    draft.marriage(father, mother, married)
    child_sex = make.rng.choice("12")
    child = draft.person(
        "child",
        "child",
        sex=child_sex,
        born=child_born,
        division="330106",
        surname=father.name[0],
        address=father.address,
    )
    newborn_sex = make.rng.choice("12")
    newborn = draft.person(
        "newborn",
        "newborn",
        sex=newborn_sex,
        born=today - timedelta(days=make.rng.randint(4, 9)),
        division="330106",
        surname=father.name[0],
        registered=False,
        address=father.address,
    )
    draft.household(
        father,
        (mother, "10", married + timedelta(days=make.rng.randint(20, 90))),
        (child, "20" if child_sex == "1" else "30", child_born + timedelta(days=20)),
    )
    vital.birth(draft, newborn, mother, father)
    holdings.employ(draft, father, employers["logistics"], driver=True, home=True)
    holdings.employ(draft, mother, employers["tech"])
    holdings.resident_cover(draft, child)


def _bereaved(draft: Draft, employers: dict[str, Company]) -> None:
    make, today = draft.make, draft.make.today
    died = today - timedelta(days=make.rng.randint(6, 12))
    deceased = draft.person(
        "deceased", "deceased", sex="1", born=make.age(78, 85), division="330102", died=died
    )
    widow = draft.person(
        "widow",
        "widow",
        sex="2",
        born=deceased.birth_date + timedelta(days=make.rng.randint(400, 1200)),
        division="330102",
        address=deceased.address,
    )
    married = years_before(deceased.birth_date, -25) + timedelta(days=make.rng.randint(0, 300))
    draft.marriage(deceased, widow, married)
    draft.household(deceased, (widow, "10", married + timedelta(days=30)))
    son = draft.person(
        "son",
        "next_of_kin",
        sex="1",
        born=married + timedelta(days=make.rng.randint(400, 900)),
        division="330105",
        surname=deceased.name[0],
    )
    draft.household(son)
    holdings.employ(draft, son, employers["trading"], driver=True)
    holdings.retired(draft, deceased, employers["silk"], driver=True)
    holdings.retired(draft, widow, employers["silk"])
    vital.death(draft, deceased, next_of_kin=son)


def _retiree(draft: Draft, employers: dict[str, Company]) -> None:
    make = draft.make
    born = years_before(make.today, 60) + timedelta(days=make.rng.randint(10, 40))
    retiree = draft.person("retiree", "retiree", sex="1", born=born, division="330110")
    wife = draft.person(
        "retiree-wife", sex="2", born=make.age(55, 58), division="330110", address=retiree.address
    )
    married = years_before(born, -26) + timedelta(days=make.rng.randint(0, 700))
    draft.marriage(retiree, wife, married)
    draft.household(retiree, (wife, "10", married + timedelta(days=45)))
    holdings.employ(draft, retiree, employers["machinery"], since_age=24, home=True)
    holdings.retired(draft, wife, employers["machinery"])


def _restaurant(draft: Draft) -> None:
    make = draft.make
    representative = draft.person(
        "restaurateur",
        "legal_representative",
        sex=make.rng.choice("12"),
        born=make.age(33, 40),
        division="330106",
    )
    draft.household(representative)
    landlord = draft.person(
        "landlord", "landlord", sex="1", born=make.age(50, 60), division="330106"
    )
    draft.household(landlord)
    founded = make.days_ago(12, 30)
    premises = make.address("330106", home=False)
    company = make.company(
        "restaurant",
        name=f"杭州{make.trade_name()}餐饮管理有限公司",
        representative=representative.key,
        division="330106",
        scope="许可项目：餐饮服务；食品销售。一般项目：餐饮管理；食品销售（仅销售预包装食品）。",
        founded=founded,
        capital_10k=50.0,
        term_years=None,
        address=premises,
    )
    draft.companies.append(company)
    draft.roles["company"] = company.key
    business.premises(draft, company, landlord, start=founded - timedelta(days=10))
    holdings.employ(draft, representative, None, driver=True)


def _neighbours(draft: Draft, employers: dict[str, Company]) -> None:
    """Ten couples in their own households; one of them runs a licensed noodle shop."""
    make = draft.make
    staff = list(employers.values())
    for index in range(10):
        division = make.rng.choice(sorted(DISTRICTS))
        husband = draft.person(
            f"resident-{2 * index + 1:02d}", sex="1", born=make.age(27, 68), division=division
        )
        wife = draft.person(
            f"resident-{2 * index + 2:02d}",
            sex="2",
            born=husband.birth_date + timedelta(days=make.rng.randint(-1500, 1200)),
            division=division,
            address=husband.address,
        )
        married = years_before(husband.birth_date, -make.rng.randint(25, 31))
        married = min(married, make.today - timedelta(days=400))
        draft.marriage(husband, wife, married)
        draft.household(husband, (wife, "10", married + timedelta(days=60)))
        for person in (husband, wife):
            if (make.today - person.birth_date).days > 60 * 365:
                holdings.retired(draft, person, make.rng.choice(staff))
            else:
                holdings.employ(
                    draft,
                    person,
                    make.rng.choice(staff),
                    driver=make.rng.random() < 0.5,
                    home=person is husband and make.rng.random() < 0.6,
                )
        if index == 0:
            business.noodle_shop(draft, husband)
