"""The synthetic world as facts, before any department writes them down in its own way.

People and companies are named by a ``key`` (``mother``, ``resident-07``, ``restaurant``);
each fact refers to them by that key. The department modules (``tongban.demo.departments``)
turn these facts into rows with the department's own column names, codes and date formats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    sex: str  # GB/T 2261.1: "1" 男, "2" 女
    birth_date: date
    id_number: str | None  # None until the birth is registered (the newborn)
    ethnicity: str  # GB/T 3304 code
    phone: str
    address: str  # 户籍地址
    division: str  # 户籍地行政区划 (district)
    id_issued_on: date | None = None  # 居民身份证签发日期
    death_date: date | None = None


@dataclass(frozen=True)
class Company:
    key: str
    uscc: str
    name: str
    entity_type: str
    legal_representative: str  # person key
    capital_10k: float  # 注册资本(万元)
    founded_on: date
    term_until: date | None  # None: 长期
    address: str
    division: str
    scope: str
    approved_on: date
    registration_authority: str
    status: str = "存续"


@dataclass(frozen=True)
class Member:
    person: str
    relation: str  # GB/T 4761: 02 户主, 10 配偶, 20 子, 30 女, ...
    moved_in_on: date


@dataclass(frozen=True)
class Household:
    number: str
    address: str
    division: str
    police_station: str
    members: tuple[Member, ...]
    kind: str = "家庭户"

    @property
    def head(self) -> str:
        return next(m.person for m in self.members if m.relation == "02")


@dataclass(frozen=True)
class Marriage:
    number: str
    husband: str
    wife: str
    registered_on: date
    registry: str
    registry_division: str


@dataclass(frozen=True)
class Birth:
    number: str  # 出生医学证明编号
    child: str
    mother: str
    father: str
    born_at: datetime  # Beijing time
    weeks: int
    weight_g: int
    hospital: str
    division: str
    place: str
    issued_on: date


@dataclass(frozen=True)
class Death:
    number: str
    person: str
    place_category: str
    cause_category: str
    icd10: str
    institution: str
    issued_on: date


@dataclass(frozen=True)
class Cremation:
    number: str
    person: str
    cremated_on: date
    funeral_home: str
    division: str
    applicant: str  # person key
    relationship: str


@dataclass(frozen=True)
class Pension:
    """职工基本养老保险 and the social security card (人社)."""

    person: str
    employer: str | None  # company key
    division: str
    first_insured_on: date
    months: int
    status: str  # 参保缴费 | 暂停缴费 | 终止参保
    balance: float
    card_number: str
    card_status: str = "正常"
    base: float = 0.0  # the monthly contribution base (缴费基数) of the last year contributed


@dataclass(frozen=True)
class MedicalCover:
    person: str
    category: str  # 职工基本医疗保险 | 城乡居民基本医疗保险
    status: str
    division: str
    enrolled_on: date
    employer: str | None
    years: float
    balance: float


@dataclass(frozen=True)
class FundAccount:
    person: str
    account: str
    employer: str | None
    status: str  # 正常 | 封存 | 冻结 | 销户
    opened_on: date
    base: float
    monthly: float
    balance: float
    last_month: str  # YYYY-MM


@dataclass(frozen=True)
class DrivingLicence:
    person: str
    first_issued_on: date
    classes: str
    valid_from: date
    valid_until: date
    file_number: str
    status: str
    points: int


@dataclass(frozen=True)
class Property:
    number: str  # 不动产权证书号
    unit: str  # 不动产单元号
    holder: str  # person or company key
    address: str
    division: str
    usage: str
    area: float
    registered_on: date


@dataclass(frozen=True)
class Lease:
    number: str  # 备案号
    address: str
    division: str
    lessor: str
    lessee: str  # person or company key
    start: date
    end: date
    registered_on: date
    usage: str
    area: float


@dataclass(frozen=True)
class FoodLicence:
    number: str
    company: str
    premises: str
    business_form: str
    items: str
    issued_on: date
    valid_until: date


@dataclass(frozen=True)
class World:
    """Everything the departments hold about the synthetic people and companies."""

    seed: int
    today: date
    people: tuple[Person, ...]
    companies: tuple[Company, ...]
    households: tuple[Household, ...]
    marriages: tuple[Marriage, ...]
    births: tuple[Birth, ...]
    deaths: tuple[Death, ...]
    cremations: tuple[Cremation, ...]
    pensions: tuple[Pension, ...]
    medical: tuple[MedicalCover, ...]
    funds: tuple[FundAccount, ...]
    licences: tuple[DrivingLicence, ...]
    properties: tuple[Property, ...]
    leases: tuple[Lease, ...]
    food_licences: tuple[FoodLicence, ...]
    roles: Mapping[str, str] = field(default_factory=dict)  # role → person or company key

    def person(self, key: str) -> Person:
        for person in self.people:
            if person.key == key:
                return person
        raise KeyError(key)

    def company(self, key: str) -> Company:
        for company in self.companies:
            if company.key == key:
                return company
        raise KeyError(key)

    def identifier(self, key: str) -> str:
        """The resident ID number of a person or the USCC of a company."""
        if any(c.key == key for c in self.companies):
            return self.company(key).uscc
        number = self.person(key).id_number
        if number is None:
            raise KeyError(f"{key} has no resident ID number yet")
        return number

    def holder_name(self, key: str) -> str:
        if any(c.key == key for c in self.companies):
            return self.company(key).name
        return self.person(key).name

    def household_of(self, person: str) -> tuple[Household, Member] | None:
        for household in self.households:
            for member in household.members:
                if member.person == person:
                    return household, member
        return None
