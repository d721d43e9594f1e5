"""Making synthetic people, companies and document numbers: Faker (zh_CN) for names, one
seeded ``random.Random`` for everything else, so a seed always gives the same world.

Resident ID numbers come from :func:`schemas.make_resident_id` (division of birth, birth
date, sequence with the sex's parity, MOD 11-2 check character); USCCs from
:func:`schemas.make_uscc` (GB 32100, MOD 31). Nothing here reads the clock: ``today`` is given.
"""

from __future__ import annotations

import random
from datetime import date, timedelta, timezone

from faker import Faker

from schemas import is_mobile_phone, make_resident_id, make_uscc
from tongban.demo.facts import Company, Person

#: 杭州市's districts used by the demo, with a road of each and its police station.
DISTRICTS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "330102": ("上城区", ("延安路", "中山中路", "解放路", "清泰街"), "湖滨派出所"),
    "330105": ("拱墅区", ("莫干山路", "湖墅南路", "上塘路", "大关路"), "米市巷派出所"),
    "330106": ("西湖区", ("文三路", "教工路", "天目山路", "古墩路"), "文新派出所"),
    "330108": ("滨江区", ("江南大道", "滨盛路", "长河路", "江晖路"), "西兴派出所"),
    "330110": ("余杭区", ("文一西路", "五常大道", "临平大道", "良睦路"), "五常派出所"),
}
CITY = "浙江省杭州市"
#: Beijing time, in which departments record times.
CHINA_TIME = timezone(timedelta(hours=8))

#: GB/T 3304 codes and names of the ethnic groups the demo gives its people.
ETHNIC_NAMES = {"01": "汉族", "03": "回族", "06": "苗族", "08": "壮族", "11": "满族", "22": "畲族"}
_ETHNIC_WEIGHTS = {"01": 90, "03": 2, "06": 2, "08": 2, "11": 2, "22": 2}


def district_name(division: str) -> str:
    return DISTRICTS[division][0]


def police_station(division: str) -> str:
    name, _, station = DISTRICTS[division]
    return f"杭州市公安局{name}分局{station}"


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def years_after(day: date, years: int) -> date:
    return years_before(day, -years)


def id_card_valid_until(born: date, issued: date) -> date | None:
    """The end of a resident identity card's validity (居民身份证法 第五条): five years when
    issued under 16, ten to 25, twenty to 45, long-term (None) from 46."""
    age = issued.year - born.year - ((issued.month, issued.day) < (born.month, born.day))
    years = 5 if age < 16 else 10 if age < 26 else 20 if age < 46 else None
    return years_after(issued, years) if years is not None else None


class Maker:
    """The one source of randomness for a world; call it in a fixed order."""

    def __init__(self, seed: int, today: date) -> None:
        self.today = today
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self._ids: set[str] = set()
        self._names: set[str] = set()
        self._serials: set[int] = set()

    # --- small values -------------------------------------------------------------------

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def between(self, low: float, high: float, places: int = 2) -> float:
        return round(self.rng.uniform(low, high), places)

    def days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def age(self, low: int, high: int) -> date:
        """A birth date for someone aged ``low`` to ``high`` whole years today."""
        earliest = years_before(self.today, high + 1) + timedelta(days=1)
        latest = years_before(self.today, low)
        return earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))

    def phone(self) -> str:
        while True:
            number = str(self.fake.phone_number())
            if is_mobile_phone(number):
                return number

    def address(self, division: str, *, home: bool = True) -> str:
        name, roads, _ = DISTRICTS[division]
        road = self.rng.choice(roads)
        number = self.rng.randint(1, 399)
        if not home:
            return f"{CITY}{name}{road}{number}号{self.rng.randint(1, 3)}层"
        building, unit, room = (
            self.rng.randint(1, 30),
            self.rng.randint(1, 4),
            self.rng.randint(1, 25),
        )
        door = f"{room}{self.rng.randint(1, 4):02d}"
        return f"{CITY}{name}{road}{number}号{building}幢{unit}单元{door}室"

    def ethnicity(self) -> str:
        codes = list(_ETHNIC_WEIGHTS)
        return self.rng.choices(codes, weights=[_ETHNIC_WEIGHTS[c] for c in codes])[0]

    def given_name(self, sex: str) -> str:
        name = self.fake.first_name_male() if sex == "1" else self.fake.first_name_female()
        return str(name)

    def name(self, sex: str, surname: str | None = None) -> str:
        """A full name nobody else in the world has (a child never shares a parent's)."""
        family = surname or self.surname()
        while (name := family + self.given_name(sex)) in self._names:
            pass
        self._names.add(name)
        return name

    def surname(self) -> str:
        return str(self.fake.last_name())

    def serial(self, low: int = 10_000_000, high: int = 99_999_999) -> int:
        while True:
            value = self.rng.randint(low, high)
            if value not in self._serials:
                self._serials.add(value)
                return value

    # --- people and companies -----------------------------------------------------------

    def resident_id(self, division: str, born: date, sex: str) -> str:
        while True:
            number = make_resident_id(division, born, self.rng.randint(0, 499), sex)
            if number not in self._ids:
                self._ids.add(number)
                return number

    def person(
        self,
        key: str,
        *,
        sex: str,
        born: date,
        division: str,
        birth_division: str | None = None,
        surname: str | None = None,
        registered: bool = True,
        address: str | None = None,
        died: date | None = None,
    ) -> Person:
        """A person with a household in ``division``; ``registered`` False leaves the
        resident ID number out (a newborn whose birth is not registered yet)."""
        number = self.resident_id(birth_division or division, born, sex) if registered else None
        return Person(
            key=key,
            name=self.name(sex, surname),
            sex=sex,
            birth_date=born,
            id_number=number,
            ethnicity=self.ethnicity(),
            phone=self.phone(),
            address=address or self.address(division),
            division=division,
            id_issued_on=self.id_issued_on(born) if registered else None,
            death_date=died,
        )

    def id_issued_on(self, born: date) -> date:
        """When the person's current identity card was issued: the first card at sixteen (or
        earlier for a child), then a new one each time the old one runs out."""
        age = (self.today - born).days // 366
        first_age = 16 if age >= 16 else self.rng.randint(0, max(0, age - 1))
        issued = years_after(born, first_age) + timedelta(days=self.rng.randint(20, 200))
        issued = min(issued, self.today - timedelta(days=1))
        while (until := id_card_valid_until(born, issued)) is not None and until <= self.today:
            issued = until - timedelta(days=self.rng.randint(0, 60))
        return issued

    def company(
        self,
        key: str,
        *,
        name: str,
        representative: str,
        division: str,
        scope: str,
        founded: date,
        entity_type: str = "有限责任公司(自然人投资或控股)",
        capital_10k: float = 100.0,
        term_years: int | None = 30,
        address: str | None = None,
    ) -> Company:
        return Company(
            key=key,
            uscc=make_uscc(division, self.serial()),
            name=name,
            entity_type=entity_type,
            legal_representative=representative,
            capital_10k=capital_10k,
            founded_on=founded,
            term_until=years_after(founded, term_years) - timedelta(1) if term_years else None,
            address=address or self.address(division, home=False),
            division=division,
            scope=scope,
            approved_on=founded,
            registration_authority=f"杭州市{district_name(division)}市场监督管理局",
        )

    def trade_name(self) -> str:
        """A two-character trade name (字号) such as 鸿睿."""
        return str(self.fake.company_prefix())[:2]
