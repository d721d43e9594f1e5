"""杭州市规划和自然资源局: two CSV exports, the real-estate register (不动产登记, looked up by
the right holder's certificate number QLRZJH, a resident ID or a USCC) and the lease filings
(房屋租赁登记备案, looked up by the lessee's certificate number CZRZJH).

Columns: BDCQZH 不动产权证书号, BDCDYH 不动产单元号, QLRMC 权利人名称, QLRSFZH / QLRTYSHXYDM
权利人身份证号 / 统一社会信用代码, ZL 坐落, QXDM 区县代码, GHYT 规划用途, JZMJ 建筑面积, DJSJ
登记时间 (2019-06-18 10:22:31), DJJG 登记机构; BAH 备案号, FWZL 房屋坐落, CZRMC 承租人, CZFMC
出租人, ZLQSRQ / ZLZZRQ 租赁起止日期 (2024/03/05), BARQ 备案日期 (20240305), BAJG 备案机关.
"""

from __future__ import annotations

from tongban.demo.facts import World
from tongban.demo.people import district_name
from tongban.demo.sources import DataFile, Holding, Row, Served, Table

RIGHTS, LEASES = "nature/bdcdj.csv", "nature/zlba.csv"
REGISTRY = "杭州市不动产登记服务中心"


def _holder_ids(world: World, key: str) -> tuple[str, str]:
    """(resident ID number, USCC) of a holder: one of them is empty."""
    if any(c.key == key for c in world.companies):
        return "", world.company(key).uscc
    return world.identifier(key), ""


def right_rows(world: World) -> tuple[Row, ...]:
    rows: list[Row] = []
    for index, right in enumerate(world.properties):
        person_id, uscc = _holder_ids(world, right.holder)
        at = f"{9 + index % 8:02d}:{index * 7 % 60:02d}:15"  # the time of day it was entered
        rows.append(
            {
                "QLRZJH": person_id or uscc,
                "QLRMC": world.holder_name(right.holder),
                "QLRSFZH": person_id,
                "QLRTYSHXYDM": uscc,
                "BDCQZH": right.number,
                "BDCDYH": right.unit,
                "ZL": right.address,
                "QXDM": right.division,
                "GHYT": right.usage,
                "JZMJ": f"{right.area:.2f}",
                "DJSJ": f"{right.registered_on:%Y-%m-%d} {at}",
                "DJJG": REGISTRY,
            }
        )
    return tuple(rows)


def lease_rows(world: World) -> tuple[Row, ...]:
    rows: list[Row] = []
    for lease in world.leases:
        person_id, uscc = _holder_ids(world, lease.lessee)
        rows.append(
            {
                "CZRZJH": person_id or uscc,
                "BAH": lease.number,
                "FWZL": lease.address,
                "QXDM": lease.division,
                "CZRMC": world.holder_name(lease.lessee),
                "CZRSFZH": person_id,
                "CZRTYSHXYDM": uscc,
                "CZFMC": world.holder_name(lease.lessor),
                "GHYT": lease.usage,
                "JZMJ": f"{lease.area:.2f}",
                "ZLQSRQ": f"{lease.start:%Y/%m/%d}",
                "ZLZZRQ": f"{lease.end:%Y/%m/%d}",
                "BARQ": f"{lease.registered_on:%Y%m%d}",
                "BAJG": f"杭州市{district_name(lease.division)}住房和城乡建设局",
            }
        )
    return tuple(rows)


def holding(world: World, market_url: str) -> Holding:
    rights, leases = right_rows(world), lease_rows(world)
    files = (
        DataFile(RIGHTS, "csv", tables=(Table("bdcdj", tuple(rights[0]), rights),)),
        DataFile(LEASES, "csv", tables=(Table("zlba", tuple(leases[0]), leases),)),
    )
    return Holding(
        "nature",
        files,
        {
            "103001/000001": Served(
                "realestate.premises",
                {"type": "csv", "path": f"../sources/{RIGHTS}", "key_column": "QLRZJH"},
                "nature-real-estate.yaml",
                {"case": "upper"},
            ),
            "103001/000002": Served(
                "realestate.premises",
                {"type": "csv", "path": f"../sources/{LEASES}", "key_column": "CZRZJH"},
                "nature-lease.yaml",
                {"case": "upper"},
            ),
        },
    )
