"""Realistic example records for every shipped schema, built from valid synthetic codes."""

from __future__ import annotations

from datetime import date
from typing import Any

from schemas import make_resident_id, make_uscc

FATHER_ID = make_resident_id("330106", date(1990, 3, 7), 12, "1")
MOTHER_ID = make_resident_id("330110", date(1992, 11, 23), 40, "2")
GRANDFATHER_ID = make_resident_id("440305", date(1941, 5, 2), 3, "1")
COMPANY_USCC = make_uscc("440305", 36_170_521)
EMPLOYER_USCC = make_uscc("330106", 7_081_344)


def identity() -> dict[str, Any]:
    return {
        "name": "张伟",
        "sex": "1",
        "ethnicity": "01",
        "birth_date": "1990-03-07",
        "id_number": FATHER_ID,
        "address": "浙江省杭州市西湖区文三路100号3幢201室",
        "issuing_authority": "杭州市公安局西湖分局",
        "valid_from": "2015-06-01",
        "valid_until": "2035-06-01",
    }


def household() -> dict[str, Any]:
    return {
        "household_number": "330106012345",
        "household_type": "家庭户",
        "head_name": "张伟",
        "head_id_number": FATHER_ID,
        "name": "李娜",
        "id_number": MOTHER_ID,
        "relationship_to_head": "10",
        "address": "浙江省杭州市西湖区文三路100号3幢201室",
        "division_code": "330106",
        "registration_authority": "杭州市公安局西湖分局翠苑派出所",
        "moved_in_on": "2019-10-08",
    }


def marriage() -> dict[str, Any]:
    return {
        "certificate_number": "J330106-2019-004521",
        "registration_type": "结婚",
        "registered_on": "2019-09-12",
        "registry": "杭州市西湖区民政局",
        "registry_division": "330106",
        "husband": {
            "name": "张伟",
            "id_number": FATHER_ID,
            "birth_date": "1990-03-07",
            "nationality": "CHN",
        },
        "wife": {
            "name": "李娜",
            "id_number": MOTHER_ID,
            "birth_date": "1992-11-23",
            "nationality": "CHN",
        },
    }


def birth_certificate() -> dict[str, Any]:
    return {
        "certificate_number": "R330123456",
        "newborn_name": "张一诺",
        "newborn_sex": "2",
        "birth_time": "2024-05-01T08:30:00+08:00",
        "gestational_weeks": 39,
        "birth_weight_g": 3250,
        "birth_place": {"division_code": "330106", "address": "浙江省杭州市西湖区保俶路1号"},
        "hospital": "浙江省妇幼保健院",
        "mother": {"name": "李娜", "id_number": MOTHER_ID, "ethnicity": "01", "nationality": "CHN"},
        "father": {"name": "张伟", "id_number": FATHER_ID, "ethnicity": "01", "nationality": "CHN"},
        "issued_on": "2024-05-03",
        "issuing_institution": "浙江省妇幼保健院",
    }


def death_certificate() -> dict[str, Any]:
    return {
        "certificate_number": "4403052024001187",
        "name": "王建国",
        "sex": "1",
        "ethnicity": "01",
        "id_number": GRANDFATHER_ID,
        "birth_date": "1941-05-02",
        "death_date": "2024-03-15",
        "death_place_category": "医疗卫生机构",
        "cause_category": "疾病",
        "underlying_cause_icd10": "I21.9",
        "residence_division": "440305",
        "issuing_institution": "深圳市南山区人民医院",
        "issued_on": "2024-03-15",
    }


def cremation() -> dict[str, Any]:
    return {
        "certificate_number": "SZ-HH-2024-003318",
        "deceased_name": "王建国",
        "deceased_sex": "1",
        "deceased_id_number": GRANDFATHER_ID,
        "death_date": "2024-03-15",
        "cremated_on": "2024-03-18",
        "funeral_home": "深圳市殡仪馆",
        "funeral_home_division": "440300",
        "applicant_name": "李娜",
        "applicant_id_number": MOTHER_ID,
        "applicant_relationship": "外孙女",
        "applicant_phone": "13812345678",
    }


def business_licence() -> dict[str, Any]:
    return {
        "uscc": COMPANY_USCC,
        "name": "深圳市南山区好味道餐饮有限公司",
        "entity_type": "有限责任公司(自然人投资或控股)",
        "legal_representative": "李娜",
        "legal_representative_id_number": MOTHER_ID,
        "registered_capital": 50.0,
        "founded_on": "2023-08-18",
        "address": "深圳市南山区科技园南区高新南一道8号101",
        "division_code": "440305",
        "business_scope": "餐饮服务; 食品销售(仅销售预包装食品)。",
        "registration_authority": "深圳市市场监督管理局南山监管局",
        "approved_on": "2023-08-18",
        "status": "存续",
    }


def food_licence() -> dict[str, Any]:
    return {
        "licence_number": "JY24403050123456",
        "operator_name": "深圳市南山区好味道餐饮有限公司",
        "uscc": COMPANY_USCC,
        "legal_representative": "李娜",
        "residence": "深圳市南山区科技园南区高新南一道8号101",
        "premises_address": "深圳市南山区科技园南区高新南一道8号101",
        "main_business_form": "餐饮服务经营者",
        "business_items": "热食类食品制售; 冷食类食品制售",
        "issuing_authority": "深圳市市场监督管理局南山监管局",
        "issued_on": "2023-09-01",
        "valid_until": "2028-08-31",
    }


def premises() -> dict[str, Any]:
    return {
        "record_type": "房屋租赁备案",
        "certificate_number": "深南租备2023第018842号",
        "unit_number": "440305006001GB00012F00010101",
        "right_holder_name": "深圳市科技园物业发展有限公司",
        "right_holder_uscc": make_uscc("440305", 1_920_033),
        "address": "深圳市南山区科技园南区高新南一道8号101",
        "division_code": "440305",
        "usage": "商业",
        "building_area_m2": 86.5,
        "lessee_name": "深圳市南山区好味道餐饮有限公司",
        "lessee_uscc": COMPANY_USCC,
        "lease_start": "2023-08-01",
        "lease_end": "2026-07-31",
        "registered_on": "2023-08-10",
        "registration_authority": "深圳市南山区住房和建设局",
    }


def social_insurance() -> dict[str, Any]:
    return {
        "name": "张伟",
        "id_number": FATHER_ID,
        "social_security_card_number": "A33010612",
        "card_status": "正常",
        "insured_division": "330106",
        "employer_uscc": EMPLOYER_USCC,
        "employer_name": "杭州西湖数据科技有限公司",
        "pension_status": "参保缴费",
        "first_insured_on": "2012-07-01",
        "contribution_months": 142,
        "contribution_years": 11.83,
        "pension_account_balance": 98765.43,
        "contributions": [
            {"month": "2024-03", "employer_uscc": EMPLOYER_USCC, "base": 12000, "amount": 960},
            {"month": "2024-04", "employer_uscc": EMPLOYER_USCC, "base": 12000, "amount": 960},
        ],
    }


def medical_insurance() -> dict[str, Any]:
    return {
        "name": "张伟",
        "id_number": FATHER_ID,
        "insurance_category": "职工基本医疗保险",
        "enrolment_status": "参保缴费",
        "insured_division": "330100",
        "enrolled_on": "2012-07-01",
        "employer_uscc": EMPLOYER_USCC,
        "employer_name": "杭州西湖数据科技有限公司",
        "contribution_years": 11.8,
        "personal_account_balance": 6532.1,
    }


def housing_fund() -> dict[str, Any]:
    return {
        "account_number": "330100201207001234",
        "name": "张伟",
        "id_number": FATHER_ID,
        "employer_uscc": EMPLOYER_USCC,
        "employer_name": "杭州西湖数据科技有限公司",
        "account_status": "正常",
        "opened_on": "2012-07-15",
        "deposit_base": 12000,
        "monthly_deposit": 2880,
        "balance": 156320.55,
        "last_deposit_month": "2024-04",
        "fund_centre": "杭州住房公积金管理中心",
    }


def driving_licence() -> dict[str, Any]:
    return {
        "licence_number": GRANDFATHER_ID,
        "name": "王建国",
        "sex": "1",
        "nationality": "CHN",
        "address": "广东省深圳市南山区南头街道南山大道2001号",
        "birth_date": "1941-05-02",
        "first_issued_on": "1995-04-20",
        "vehicle_classes": "C1",
        "valid_from": "2015-04-20",
        "valid_until": "2025-04-20",
        "file_number": "440300123456",
        "status": "正常",
        "points": 0,
        "issuing_authority": "深圳市公安局交通警察支队",
    }


EXAMPLES = {
    "person.identity": identity,
    "person.household": household,
    "civil.marriage": marriage,
    "health.birth_certificate": birth_certificate,
    "health.death_certificate": death_certificate,
    "civil.cremation": cremation,
    "market.business_licence": business_licence,
    "market.food_licence": food_licence,
    "realestate.premises": premises,
    "social.insurance": social_insurance,
    "medical.insurance": medical_insurance,
    "housing_fund.account": housing_fund,
    "traffic.driving_licence": driving_licence,
}
"""Each shipped schema id with a function that makes a record valid under it."""
