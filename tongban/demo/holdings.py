"""What the departments record about someone in work or retired: pension and the social
security card, medical insurance, the housing fund, a driving licence, the home they own.
Each function adds consistent facts to a :class:`Draft`."""

from __future__ import annotations

from datetime import date, timedelta

from tongban.demo.draft import Draft
from tongban.demo.facts import (
    Company,
    DrivingLicence,
    FundAccount,
    MedicalCover,
    Pension,
    Person,
    Property,
)
from tongban.demo.people import years_after


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + (end.month - start.month)


def employ(
    draft: Draft,
    person: Person,
    employer: Company | None,
    *,
    driver: bool = False,
    home: bool = False,
    since_age: int | None = None,
) -> None:
    """Someone in work: contributing to pension, medical insurance and the housing fund."""
    make, today = draft.make, draft.today
    age = since_age or make.rng.randint(22, 27)
    first = max(years_after(person.birth_date, age), today - timedelta(days=40 * 365))
    first = first.replace(day=1)
    months = max(1, months_between(first, today) - make.rng.randint(0, 6))
    base = float(make.rng.randrange(6000, 24000, 100))
    insure(draft, person, employer, first=first, months=months, status="参保缴费", base=base)
    last = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    _fund(draft, person, employer, first=first, base=base, status="正常", last=last)
    if driver:
        driving_licence(draft, person)
    if home:
        home_of(draft, person)


def retired(
    draft: Draft, person: Person, employer: Company | None, *, driver: bool = False
) -> None:
    """A pensioner: contributions ended at retirement; the housing fund account is sealed."""
    make = draft.make
    retired_on = years_after(person.birth_date, 60 if person.sex == "1" else 55)
    first = years_after(person.birth_date, make.rng.randint(20, 24)).replace(day=1)
    months = months_between(first, retired_on) - make.rng.randint(0, 24)
    base = float(make.rng.randrange(3000, 9000, 100))
    insure(draft, person, employer, first=first, months=months, status="暂停缴费", base=base)
    last = (retired_on.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    _fund(draft, person, employer, first=first, base=base, status="封存", last=last)
    if driver:
        driving_licence(draft, person)


def resident_cover(draft: Draft, person: Person) -> None:
    """城乡居民医保 for someone without an employer (a child), from soon after birth."""
    enrolled = person.birth_date + timedelta(days=draft.make.rng.randint(10, 60))
    draft.medical.append(
        MedicalCover(
            person=person.key,
            category="城乡居民基本医疗保险",
            status="参保缴费",
            division="330100",
            enrolled_on=enrolled,
            employer=None,
            years=round((draft.today - enrolled).days / 365.25, 1),
            balance=0.0,
        )
    )


def insure(
    draft: Draft,
    person: Person,
    employer: Company | None,
    *,
    first: date,
    months: int,
    status: str,
    base: float,
) -> None:
    """职工基本养老保险 with a social security card, and 职工基本医疗保险."""
    make = draft.make
    employer_key = employer.key if employer else None
    draft.pensions.append(
        Pension(
            person=person.key,
            employer=employer_key,
            division="330100",
            first_insured_on=first,
            months=months,
            status=status,
            balance=round(months * base * 0.08 * make.rng.uniform(0.5, 0.8), 2),
            card_number=make.rng.choice("ABCDEFGH") + make.digits(8),
            base=base,
        )
    )
    enrolled = first if first.year >= 2000 else date(2000, 1, 1)  # 杭州 started 职工医保 then
    years = min(round((draft.today - enrolled).days / 365.25, 1), round(months / 12, 1))
    draft.medical.append(
        MedicalCover(
            person=person.key,
            category="职工基本医疗保险",
            status="参保缴费",
            division="330100",
            enrolled_on=enrolled,
            employer=employer_key,
            years=years,
            balance=round(make.rng.uniform(800, 1600) * max(1.0, years), 2),
        )
    )


def _fund(
    draft: Draft,
    person: Person,
    employer: Company | None,
    *,
    first: date,
    base: float,
    status: str,
    last: str,
) -> None:
    make = draft.make
    opened = max(first, date(1999, 1, 1)) + timedelta(days=make.rng.randint(0, 400))
    monthly = round(base * 0.24, 2)  # 12% from the employee and 12% from the employer
    years = max(1.0, (min(draft.today, _month_end(last)) - opened).days / 365.25)
    draft.funds.append(
        FundAccount(
            person=person.key,
            account=make.digits(12),
            employer=employer.key if employer else None,
            status=status,
            opened_on=opened,
            base=base,
            monthly=monthly,
            balance=round(monthly * 12 * years * make.rng.uniform(0.3, 0.7), 2),
            last_month=last,
        )
    )


def _month_end(month: str) -> date:
    year, number = (int(part) for part in month.split("-"))
    following = date(year + number // 12, number % 12 + 1, 1)
    return following - timedelta(days=1)


def driving_licence(draft: Draft, person: Person) -> None:
    make, today = draft.make, draft.today
    first = years_after(person.birth_date, make.rng.randint(19, 32))
    first = min(first, today - timedelta(days=400))
    renewed, years = first, 6  # the first licence runs six years, each renewal ten
    while years_after(renewed, years) <= today:
        renewed, years = years_after(renewed, years), 10
    draft.licences.append(
        DrivingLicence(
            person=person.key,
            first_issued_on=first,
            classes=make.rng.choice(("C1", "C1", "C1", "C2", "B2C1")),
            valid_from=renewed,
            valid_until=years_after(renewed, years),
            file_number="3301" + make.digits(8),
            status="正常",
            points=make.rng.choice((0, 0, 0, 1, 2, 3, 6)),
        )
    )


def home_of(draft: Draft, person: Person) -> None:
    """The person owns the home of their household (不动产权, 住宅)."""
    make = draft.make
    registered = draft.today - timedelta(days=make.rng.randint(800, 5000))
    draft.properties.append(
        Property(
            number=f"浙({registered.year})杭州市不动产权第{make.digits(7)}号",
            unit=unit_number(draft, person.division),
            holder=person.key,
            address=person.address,
            division=person.division,
            usage="住宅",
            area=make.between(60, 160),
            registered_on=registered,
        )
    )


def unit_number(draft: Draft, division: str) -> str:
    """不动产单元号: 宗地 (12 digits + 2 letters + 5 digits) then 定着物 (F + 8 digits)."""
    make = draft.make
    return f"{division}{make.digits(6)}GB{make.digits(5)}F{make.digits(8)}"
