"""Companies' premises and licences: a shop leased and filed, a restaurant licensed."""

from __future__ import annotations

from datetime import date, timedelta

from tongban.demo.draft import Draft
from tongban.demo.facts import Company, FoodLicence, Lease, Person, Property
from tongban.demo.holdings import unit_number
from tongban.demo.people import years_after


def premises(draft: Draft, company: Company, landlord: Person, *, start: date) -> None:
    """The company leases its premises (a shop the landlord owns) and has the lease filed."""
    make = draft.make
    area = make.between(60, 180)
    registered = draft.today - timedelta(days=make.rng.randint(2000, 6000))
    draft.properties.append(
        Property(
            number=f"浙({registered.year})杭州市不动产权第{make.digits(7)}号",
            unit=unit_number(draft, company.division),
            holder=landlord.key,
            address=company.address,
            division=company.division,
            usage="商业",
            area=area,
            registered_on=registered,
        )
    )
    draft.leases.append(
        Lease(
            number=f"杭租备字({start.year})第{make.digits(6)}号",
            address=company.address,
            division=company.division,
            lessor=landlord.key,
            lessee=company.key,
            start=start,
            end=years_after(start, 5) - timedelta(days=1),
            registered_on=min(draft.today, start + timedelta(days=make.rng.randint(1, 5))),
            usage="商业",
            area=area,
        )
    )


def noodle_shop(draft: Draft, owner: Person) -> Company:
    """A noodle shop run by ``owner`` for years, with its food business licence."""
    make = draft.make
    founded = draft.today - timedelta(days=make.rng.randint(1500, 3000))
    shop = make.company(
        "noodle-shop",
        name=f"杭州{make.trade_name()}面馆有限公司",
        representative=owner.key,
        division=owner.division,
        scope="许可项目：餐饮服务。一般项目：餐饮管理。",
        founded=founded,
        capital_10k=10.0,
        term_years=None,
    )
    draft.companies.append(shop)
    issued = founded + timedelta(days=make.rng.randint(20, 60))
    while years_after(issued, 5) < draft.today:  # a licence runs five years, then renewed
        issued = years_after(issued, 5)
    draft.food_licences.append(
        FoodLicence(
            number=f"JY2{shop.division}{make.digits(7)}",
            company=shop.key,
            premises=shop.address,
            business_form="餐饮服务经营者",
            items="热食类食品制售；冷食类食品制售（不含冷加工糕点）",
            issued_on=issued,
            valid_until=years_after(issued, 5) - timedelta(days=1),
        )
    )
    return shop
