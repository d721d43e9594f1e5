"""杭州市市场监督管理局: registrations behind the department's HTTP JSON interface, served by
``tongban demo market-service`` from ``market/scztdj.json``.

``GET /api/ent/{uscc}`` answers a 营业执照 record, ``GET /api/spjyxk/{uscc}`` a 食品经营许可证
record, each as ``{"code": "00000", "msg": "成功", "data": {...}}``; an unknown USCC is a 404.
Field names are the registration system's abbreviations: uniscid 统一社会信用代码, entname 名称,
enttypecn 类型, lerep 法定代表人, cerno 其证件号码, regcap 注册资本(万元), estdate 成立日期,
opto 营业期限至 (null 为长期), dom 住所, domdistrict 住所行政区划, opscope 经营范围, regorgcn
登记机关, apprdate 核准日期, regstate 登记状态代码 (1 存续 …); xkzbh 许可证编号, ztyt 主体业态 …
"""

from __future__ import annotations

from typing import Any

from tongban.demo.facts import Company, World
from tongban.demo.sources import DataFile, Holding, Served

DOCUMENT = "market/scztdj.json"
LICENCES, FOOD_LICENCES = "ent", "spjyxk"
STATE = {"存续": "1", "在业": "2", "吊销": "3", "注销": "4", "迁出": "6"}


def _licence(world: World, company: Company) -> dict[str, Any]:
    representative = world.person(company.legal_representative)
    return {
        "uniscid": company.uscc,
        "entname": company.name,
        "enttypecn": company.entity_type,
        "lerep": representative.name,
        "cerno": representative.id_number,
        "regcap": company.capital_10k,
        "estdate": company.founded_on.isoformat(),
        "opto": company.term_until.isoformat() if company.term_until else None,
        "dom": company.address,
        "domdistrict": company.division,
        "opscope": company.scope,
        "regorgcn": company.registration_authority,
        "apprdate": company.approved_on.isoformat(),
        "regstate": STATE[company.status],
    }


def records(world: World) -> dict[str, dict[str, Any]]:
    """The interface's data: USCC → record, for each of the two endpoints."""
    food: dict[str, Any] = {}
    for licence in world.food_licences:
        company = world.company(licence.company)
        food[company.uscc] = {
            "xkzbh": licence.number,
            "jyzmc": company.name,
            "shxydm": company.uscc,
            "fddbr": world.person(company.legal_representative).name,
            "zs": company.address,
            "jycs": licence.premises,
            "ztyt": licence.business_form,
            "jyxm": licence.items,
            "fzjg": company.registration_authority,
            "fzrq": licence.issued_on.isoformat(),
            "yxqz": licence.valid_until.isoformat(),
        }
    return {
        LICENCES: {c.uscc: _licence(world, c) for c in world.companies},
        FOOD_LICENCES: food,
    }


def holding(world: World, market_url: str) -> Holding:
    document = DataFile(DOCUMENT, "json", document=records(world))
    base = market_url.rstrip("/")

    def source(endpoint: str) -> dict[str, Any]:
        return {"type": "http", "url": f"{base}/api/{endpoint}/{{key}}", "record_path": "data"}

    key = {"subject": "company", "case": "upper", "property": "uscc"}
    return Holding(
        "market",
        (document,),
        {
            "102001/000001": Served(
                "market.business_licence", source(LICENCES), "market-business-licence.yaml", key
            ),
            "104001/000001": Served(
                "market.business_licence", source(LICENCES), "market-business-licence.yaml", key
            ),
            "105004/000001": Served(
                "market.food_licence", source(FOOD_LICENCES), "market-food-licence.yaml", key
            ),
        },
    )
