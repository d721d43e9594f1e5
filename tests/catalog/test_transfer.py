"""Import (Excel in the 2017 layout, YAML, JSON) all or nothing, and export that round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit import entries
from catalog import (
    ImportFailed,
    Resource,
    export_workbook,
    import_resources,
    published_resource,
    read_file,
)
from catalog.resources.excel import read_workbook
from catalog.resources.rules import check
from kit.actors import operator
from kit.db import transaction
from tests.catalog.factories import TOPIC, City, city
from tongban.wiring import Hub

HEADINGS = [
    "信息资源分类",
    "信息资源名称",
    "信息资源代码",
    "提供方",
    "提供方代码",
    "摘要",
    "格式",
    "信息项名称",
    "信息项标识",
    "数据类型",
    "数据长度",
    "共享类型",
    "共享条件",
    "共享方式",
    "开放属性",
    "更新周期",
    "发布日期",
    "数据分级",
    "关联资源",
    "统一标准",
    "个人信息",
    "敏感",
]
BASIS = "《中华人民共和国基本医疗卫生与健康促进法》第九十二条"


def entry(c: City, which: str) -> dict[str, str]:
    common = {"格式": "数据库", "共享方式": "接口", "开放属性": "不予开放", "更新周期": "每日"}
    common |= {"发布日期": "2025-08-01", "数据分级": "重要"}
    if which == "identity":
        own = ["101001", "居民身份信息", "杭州市公安局", c.police, "person.identity", ""]
    elif which == "birth":
        own = ["105001", "出生医学证明信息", "杭州市卫生健康委员会", c.health]
        own += ["health.birth_certificate", "101001/000001"]
    else:
        own = ["105002", "居民死亡原因信息", "杭州市卫生健康委员会", c.health]
        own += ["health.death_certificate", ""]
        common["数据分级"] = "核心"
    keys = ["信息资源分类", "信息资源名称", "提供方", "提供方代码", "统一标准", "关联资源"]
    values = dict(zip(keys, own, strict=True))
    values["信息资源代码"] = f"{values['信息资源分类']}/000001"
    values["摘要"] = f"{values['信息资源名称']}的登记信息"
    return common | values


def item(name: str, key: str, length: str, share: str, condition: str = "") -> dict[str, str]:
    return {
        "信息项名称": name,
        "信息项标识": key,
        "数据类型": "C",
        "数据长度": length,
        "共享类型": share,
        "共享条件": condition,
        "个人信息": "是" if key in ("name", "id_number") else "",
        "敏感": {"name": "否", "id_number": "是"}.get(key, ""),
    }


def rows(c: City) -> list[dict[str, str]]:
    """Three entries, seven items; the row numbers Excel shows start at 2."""
    identity, birth, death = entry(c, "identity"), entry(c, "birth"), entry(c, "death")
    return [
        identity | item("姓名", "name", "50", "无条件共享"),
        identity | item("公民身份号码", "id_number", "18", "无条件共享"),
        identity | item("住址", "address", "200", "有条件共享", "仅用于户籍登记业务办理"),
        birth | item("出生医学证明编号", "certificate_number", "10", "无条件共享"),
        birth
        | item(
            "新生儿姓名",
            "newborn_name",
            "50",
            "有条件共享",
            "仅用于新生儿出生一件事办理；不得向第三方提供",
        ),
        death | item("根本死亡原因(ICD-10)", "underlying_cause_icd10", "6", "不予共享", BASIS),
        death | item("死亡原因类别", "cause_category", "", "不予共享", BASIS),
    ]


def write_xlsx(path: Path, body: list[dict[str, str]], sheet: str = "信息资源") -> Path:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(HEADINGS)
    for row in body:
        ws.append([row.get(heading, "") for heading in HEADINGS])
    book.save(path)
    return path


@pytest.fixture
def c(hub: Hub) -> City:
    with transaction(hub.factory) as session:
        return city(session)


def count(hub: Hub) -> int:
    with transaction(hub.factory) as session:
        return session.scalar(select(func.count()).select_from(Resource)) or 0


def test_an_excel_file_with_three_resources_imports_as_drafts(
    hub: Hub, c: City, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "catalog.xlsx", rows(c))
    with transaction(hub.factory) as session:
        created = import_resources(
            session, parsed=read_file(path.name, path.read_bytes()), actor=operator(), topic=TOPIC
        )
        assert [r.code for r in created] == ["101001/000001", "105001/000001", "105002/000001"]
        assert [r.status for r in created] == ["DRAFT"] * 3
        assert [r.share_type for r in created] == ["conditional", "conditional", "not_shared"]
        assert created[1].items[1].conditions == ["仅用于新生儿出生一件事办理", "不得向第三方提供"]
        assert created[2].items[0].legal_basis == BASIS
        assert created[1].related == ["101001/000001"]


def test_one_bad_row_imports_nothing_and_names_sheet_row_and_column(
    hub: Hub, c: City, tmp_path: Path
) -> None:
    body = rows(c)
    body[3] |= {"共享类型": "有条件共享", "共享条件": ""}  # Excel row 5
    path = write_xlsx(tmp_path / "bad.xlsx", body)
    parsed = read_file(path.name, path.read_bytes())
    with pytest.raises(ImportFailed) as caught, transaction(hub.factory) as session:
        import_resources(session, parsed=parsed, actor=operator(), topic=TOPIC)
    assert caught.value.problems == (
        "工作表「信息资源」第 5 行「共享条件」: 有条件共享的信息项必须填写共享条件",
    )
    assert caught.value.status == 422
    assert count(hub) == 0


def test_a_file_failing_on_a_used_code_rolls_back_the_entries_before_it(
    hub: Hub, c: City, tmp_path: Path
) -> None:
    first = write_xlsx(tmp_path / "first.xlsx", rows(c)[5:])
    with transaction(hub.factory) as session:
        import_resources(
            session,
            parsed=read_file("first.xlsx", first.read_bytes()),
            actor=operator(),
            topic=TOPIC,
        )
    again = write_xlsx(tmp_path / "again.xlsx", rows(c))
    parsed = read_file("again.xlsx", again.read_bytes())
    with pytest.raises(ImportFailed) as caught, transaction(hub.factory) as session:
        import_resources(session, parsed=parsed, actor=operator(), topic=TOPIC)
    [problem] = caught.value.problems
    assert problem.startswith(
        "工作表「信息资源」第 7 行「信息资源代码」: 信息资源代码 105002/000001 已被使用"
    )
    assert count(hub) == 1


def test_rows_of_one_resource_must_agree_on_the_entry_columns(
    hub: Hub, c: City, tmp_path: Path
) -> None:
    body = rows(c)
    body[1]["共享方式"] = "文件"
    path = write_xlsx(tmp_path / "mixed.xlsx", body)
    with pytest.raises(ImportFailed) as caught:
        read_file(path.name, path.read_bytes())
    assert caught.value.problems == (
        "工作表「信息资源」第 3 行「共享方式」: 同一信息资源各行的取值应一致",
    )


def test_a_sheet_missing_required_columns_is_refused(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["信息资源代码", "信息资源名称"])
    book.active.append(["101001/000001", "居民身份信息"])
    book.save(tmp_path / "thin.xlsx")
    with pytest.raises(ImportFailed) as caught:
        read_file("thin.xlsx", (tmp_path / "thin.xlsx").read_bytes())
    assert "缺少列" in caught.value.detail
    assert "共享类型" in caught.value.detail


def test_export_then_import_round_trips_every_field(hub: Hub, c: City, tmp_path: Path) -> None:
    original = write_xlsx(tmp_path / "catalog.xlsx", rows(c)).read_bytes()
    with transaction(hub.factory) as session:
        parsed = read_file("catalog.xlsx", original)
        import_resources(session, parsed=parsed, actor=operator(), topic=TOPIC, publish_now=True)
        exported = export_workbook(session)
    again, problems = read_workbook(exported)
    before, _ = read_workbook(original)
    assert problems == []
    assert [check(p.entry) for p in again] == [check(p.entry) for p in before]


def test_the_operators_publishing_import_logs_each_step(hub: Hub, c: City, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "catalog.xlsx", rows(c))
    with transaction(hub.factory) as session:
        parsed = read_file(path.name, path.read_bytes())
        import_resources(session, parsed=parsed, actor=operator(), topic=TOPIC, publish_now=True)
    with transaction(hub.factory) as session:
        resource = published_resource(session, "105001/000001")
        assert resource.published_on is not None
        assert resource.published_on.isoformat() == "2025-08-01"
        actions = [leaf.action for leaf in entries(session, refs={"resource": "105001/000001"})]
        assert actions == ["catalog:create", "catalog:submit", "catalog:publish"]


def yaml_entries(c: City) -> list[dict[str, object]]:
    return [
        {
            "code": "101002/000001",
            "name": "常住人口户籍信息",
            "category": "101002",
            "provider_code": c.police,
            "abstract": "户籍登记信息",
            "format": "数据库",
            "share_mode": "接口",
            "open_type": "不予开放",
            "update_cycle": "实时",
            "grade": "重要",
            "schema_id": "person.household",
            "items": [
                {"key": "household_number"},
                {
                    "key": "address",
                    "share_type": "有条件共享",
                    "conditions": "仅用于户籍登记业务办理",
                },
            ],
        }
    ]


def test_a_yaml_file_imports(session: Session, c: City) -> None:
    text = yaml.safe_dump({"resources": yaml_entries(c)}, allow_unicode=True)
    parsed = read_file("catalog.yaml", text.encode())
    [created] = import_resources(session, parsed=parsed, actor=operator(), topic=TOPIC)
    assert created.items[0].name == "户号"
    assert created.items[1].conditions == ["仅用于户籍登记业务办理"]


def test_a_json_file_reports_problems_by_entry_and_field(c: City) -> None:
    data = yaml_entries(c)
    data[0]["items"] = [{"key": "address", "share_type": "conditional", "colour": "red"}]
    with pytest.raises(ImportFailed) as caught:
        read_file("catalog.json", json.dumps(data, ensure_ascii=False).encode())
    assert caught.value.problems == ("第 1 个资源(101002/000001)「items[0].colour」: 未知字段",)


def test_a_json_rule_problem_names_the_entry_and_field(session: Session, c: City) -> None:
    data = yaml_entries(c)
    data[0]["items"] = [{"key": "address", "share_type": "conditional"}]
    parsed = read_file("catalog.json", json.dumps(data, ensure_ascii=False).encode())
    with pytest.raises(ImportFailed) as caught:
        import_resources(session, parsed=parsed, actor=operator(), topic=TOPIC)
    assert caught.value.problems == (
        "第 1 个资源(101002/000001)「items[0].conditions」: 有条件共享的信息项必须填写共享条件",
    )


def test_other_file_types_are_refused() -> None:
    with pytest.raises(ImportFailed) as caught:
        read_file("catalog.csv", b"a,b")
    assert ".xlsx" in caught.value.detail
