"""Field mapping: every step, empty values and defaults, and the start-up coverage check."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.sources import Mapping, MappingFailed, MappingInvalid
from connectors.sources import mapping as mapping_module

SEX = {"男": "1", "女": "2", "未知的性别": "0", "未说明的性别": "9"}


def one(steps: list[Any], value: Any) -> Any:
    """Map one source field ``v`` through ``steps`` into the property ``p``."""
    mapping = Mapping.from_dict({"properties": {"p": {"from": "v", "steps": steps}}})
    return mapping.apply({"v": value}).get("p")


def test_trim_removes_surrounding_blanks_including_full_width_ones() -> None:
    assert one(["trim"], "\u3000张三 ") == "张三"


def test_upper_makes_the_id_check_character_a_capital_x() -> None:
    assert one(["upper"], "11010519491231002x") == "11010519491231002X"


def test_date_with_a_format_gives_an_iso_date() -> None:
    assert one([{"date": "%Y%m%d"}], "19491231") == "1949-12-31"


def test_date_without_a_format_reads_an_iso_date() -> None:
    assert one(["date"], "1949-12-31") == "1949-12-31"


def test_date_accepts_a_database_date_value() -> None:
    assert one(["date"], date(1949, 12, 31)) == "1949-12-31"


def test_month_gives_year_and_month_from_a_format_an_iso_text_or_a_date() -> None:
    assert one([{"month": "%Y%m"}], "199004") == "1990-04"
    assert [one(["month"], v) for v in ("2024-03", "2024-03-05")] == ["2024-03", "2024-03"]
    assert one(["month"], date(2024, 3, 5)) == "2024-03"


def test_month_refuses_a_month_that_does_not_exist() -> None:
    with pytest.raises(MappingFailed, match=r"'p'.*'month'"):
        one(["month"], "2024-13")


def test_date_that_does_not_match_its_format_fails_naming_the_property() -> None:
    with pytest.raises(MappingFailed, match=r"'p'.*'date'"):
        one([{"date": "%Y%m%d"}], "1949-12-31")


def test_datetime_without_a_zone_is_taken_as_beijing_time() -> None:
    steps = [{"datetime": "%Y-%m-%d %H:%M:%S"}]
    assert one(steps, "2025-09-26 10:30:00") == "2025-09-26T10:30:00+08:00"


def test_datetime_with_a_zone_is_converted_to_beijing_time() -> None:
    assert one(["datetime"], "2025-09-26T02:30:00Z") == "2025-09-26T10:30:00+08:00"


def test_datetime_accepts_a_database_datetime_value() -> None:
    moment = datetime(2025, 9, 26, 2, 30, tzinfo=UTC)
    assert one(["datetime"], moment) == "2025-09-26T10:30:00+08:00"


def test_code_maps_sex_to_its_gb_t_2261_code() -> None:
    assert [one([{"code": SEX}], sex) for sex in ("男", "女")] == ["1", "2"]


def test_code_refuses_a_value_outside_its_table() -> None:
    with pytest.raises(MappingFailed, match="code table"):
        one([{"code": SEX}], "M")


def test_code_gives_the_configured_default_for_a_value_outside_its_table() -> None:
    assert one([{"code": SEX, "unknown": "9"}], "M") == "9"


def test_code_matches_a_numeric_source_value_against_text_keys() -> None:
    assert one([{"code": {"1": "男", "2": "女"}}], 2) == "女"


def test_steps_apply_in_order() -> None:
    assert one(["trim", {"code": SEX}], " 女 ") == "2"


def test_join_joins_several_fields_with_the_separator_skipping_empty_ones() -> None:
    mapping = Mapping.from_dict(
        {"properties": {"address": {"from": ["sheng", "shi", "xian"], "steps": [{"join": "/"}]}}}
    )
    raw = {"sheng": "内蒙古自治区", "shi": "", "xian": "新城区"}
    assert mapping.apply(raw) == {"address": "内蒙古自治区/新城区"}


def test_const_gives_its_value_without_a_source_field() -> None:
    mapping = Mapping.from_dict({"properties": {"nationality": {"const": "CHN"}}})
    assert mapping.apply({}) == {"nationality": "CHN"}


def test_int_reads_a_whole_number_from_text() -> None:
    assert one(["int"], " 004 ") == 4


def test_int_refuses_a_fraction() -> None:
    with pytest.raises(MappingFailed, match="not a whole number"):
        one(["int"], "3.5")


def test_float_reads_a_decimal_number() -> None:
    assert one(["float"], Decimal("1234.50")) == 1234.5


def test_float_refuses_text_that_is_not_a_number() -> None:
    with pytest.raises(MappingFailed, match="'float'"):
        one(["float"], "一千")


def test_bool_reads_chinese_yes_and_no() -> None:
    assert [one(["bool"], v) for v in ("是", "否", "1", "false")] == [True, False, True, False]


def test_bool_refuses_an_unknown_word() -> None:
    with pytest.raises(MappingFailed, match="yes/no"):
        one(["bool"], "maybe")


def test_a_failure_does_not_reveal_the_source_value() -> None:
    with pytest.raises(MappingFailed) as caught:
        one([{"date": "%Y%m%d"}], "11010519491231002X")
    assert "11010519491231002X" not in caught.value.detail


def test_an_empty_source_value_leaves_the_property_out() -> None:
    assert one(["trim"], "") is None


def test_a_value_that_trims_to_nothing_leaves_the_property_out() -> None:
    mapping = Mapping.from_dict({"properties": {"p": {"from": "v", "steps": ["trim"]}}})
    assert mapping.apply({"v": "   "}) == {}


def test_a_default_stands_in_for_an_empty_source_value() -> None:
    mapping = Mapping.from_dict(
        {"properties": {"n": {"from": "v", "steps": ["int"], "default": 1}}}
    )
    assert mapping.apply({"v": None}) == {"n": 1}


def test_only_mapped_properties_are_in_the_result() -> None:
    mapping = Mapping.from_dict({"properties": {"name": {"from": "XM"}}})
    assert mapping.apply({"XM": "张三", "SFZH": "11010519491231002X"}) == {"name": "张三"}


def test_check_covers_names_the_missing_required_properties() -> None:
    mapping = Mapping.from_dict(
        {"resource": "101001/000123", "properties": {"name": {"from": "XM"}}}
    )
    with pytest.raises(MappingInvalid, match="birth_date, id_number") as caught:
        mapping.check_covers({"name", "id_number", "birth_date"})
    assert caught.value.to_dict()["missing"] == ["birth_date", "id_number"]


def test_check_covers_accepts_a_mapping_that_fills_every_required_property() -> None:
    mapping = Mapping.from_dict({"properties": {"name": {"from": "XM"}, "sex": {"const": "9"}}})
    mapping.check_covers({"name", "sex"})


def test_an_unknown_step_is_refused_when_the_mapping_loads() -> None:
    with pytest.raises(MappingInvalid, match="lower"):
        Mapping.from_dict({"properties": {"p": {"from": "v", "steps": ["lower"]}}})


def test_an_unknown_step_option_is_refused_when_the_mapping_loads() -> None:
    with pytest.raises(MappingInvalid, match="fallback"):
        Mapping.from_dict(
            {"properties": {"p": {"from": "v", "steps": [{"code": SEX, "fallback": "9"}]}}}
        )


def test_several_source_fields_without_join_are_refused() -> None:
    with pytest.raises(MappingInvalid, match="join"):
        Mapping.from_dict({"properties": {"p": {"from": ["a", "b"], "steps": ["trim"]}}})


def test_a_property_with_both_from_and_const_is_refused() -> None:
    with pytest.raises(MappingInvalid, match="exactly one"):
        Mapping.from_dict({"properties": {"p": {"from": "v", "const": "x"}}})


def test_a_mapping_loads_from_yaml_text() -> None:
    mapping = Mapping.from_yaml(
        "properties:\n  sex:\n    from: XB\n    steps:\n      - code: {男: '1', 女: '2'}\n"
    )
    assert mapping.apply({"XB": "女"}) == {"sex": "2"}


def test_a_mapping_loads_from_a_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "people.yaml"
    path.write_text("properties:\n  name: {from: XM, steps: [trim]}\n", encoding="utf-8")
    assert Mapping.from_yaml(str(path)).apply({"XM": " 张三 "}) == {"name": "张三"}


def test_the_documented_example_mapping_loads_and_applies() -> None:
    assert mapping_module.__doc__ is not None
    example = mapping_module.__doc__.split("::\n", 1)[1].split("\n\n", 1)[0]
    mapping = Mapping.from_yaml("\n".join(line[4:] for line in example.splitlines()))
    raw = {"SFZH": "11010519491231002x", "XM": "张三", "XB": "男", "CSRQ": "19491231"}
    assert mapping.apply(raw) == {
        "id_number": "11010519491231002X",
        "name": "张三",
        "sex": "1",
        "birth_date": "1949-12-31",
        "nationality": "CHN",
        "household_size": 1,
    }
    months = {"AAE002": "199004|199005", "AAE180": "3000|3100", "AAE022": "240|248"}
    assert mapping.apply({**raw, **months})["contributions.month"] == ["1990-04", "1990-05"]


def test_split_turns_one_field_holding_several_values_into_a_list() -> None:
    assert one([{"split": ";"}], "202401;202402;;202403") == ["202401", "202402", "202403"]


def test_split_with_trim_strips_each_part_and_drops_blank_ones() -> None:
    assert one([{"split": ",", "trim": True}], " 张三 ,\u3000张山, ") == ["张三", "张山"]
    assert one([{"split": ","}], " 张三 , 张山") == [" 张三 ", " 张山"]


def test_split_of_a_value_that_is_not_text_names_the_field_not_the_value() -> None:
    mapping = Mapping.from_dict(
        {"properties": {"months": {"from": "JFNY", "steps": [{"split": ";"}]}}}
    )
    with pytest.raises(MappingFailed) as caught:
        mapping.apply({"JFNY": 202401})
    detail = str(caught.value.detail)
    assert "'months'" in detail
    assert "JFNY" in detail
    assert "split needs text, not int" in detail
    assert "202401" not in detail


@pytest.mark.parametrize(
    ("step", "why"),
    [
        ({"split": ""}, "non-empty text separator"),
        ({"split": 1}, "non-empty text separator"),
        ({"split": ";", "trim": "yes"}, "'trim' is true or false"),
        ({"split": ";", "unknown": "x"}, "does not take options"),
    ],
)
def test_a_malformed_split_step_is_refused_at_load(step: dict[str, Any], why: str) -> None:
    with pytest.raises(MappingInvalid, match=why):
        Mapping.from_dict({"properties": {"p": {"from": "v", "steps": [step]}}})


def test_split_must_be_the_last_step() -> None:
    with pytest.raises(MappingInvalid, match="'split' gives a list and must be the last step"):
        Mapping.from_dict({"properties": {"p": {"from": "v", "steps": [{"split": ";"}, "upper"]}}})
    assert one(["trim", {"split": "、"}], " 甲、乙 ") == ["甲", "乙"]


CONTRIBUTIONS = {
    "resource": "201001/000003",
    "properties": {
        "id_number": {"from": "AAC002"},
        "contributions": {
            "split": "|",
            "entries": {
                "month": {"from": "AAE002", "steps": ["trim", {"month": "%Y%m"}]},
                "employer_uscc": {"from": "AAB998", "steps": ["trim", "upper"]},
                "base": {"from": "AAE180", "steps": ["float"]},
                "amount": {"from": "AAE022", "steps": ["float"]},
            },
        },
    },
}
USCC = "91330100MA2XXXXX1X"


def contributions(**changes: Any) -> dict[str, Any]:
    return Mapping.from_dict(CONTRIBUTIONS).apply(
        {
            "AAC002": "11010519491231002X",
            "AAE002": "202401|202402|202403",
            "AAB998": f"{USCC.lower()}|{USCC}|{USCC}",
            "AAE180": "8000|8000|8500",
            "AAE022": "640|640|680",
            **changes,
        }
    )


def test_a_list_joins_its_fields_by_position_into_one_value_per_entry() -> None:
    assert contributions() == {
        "id_number": "11010519491231002X",
        "contributions.month": ["2024-01", "2024-02", "2024-03"],
        "contributions.employer_uscc": [USCC, USCC, USCC],
        "contributions.base": [8000.0, 8000.0, 8500.0],
        "contributions.amount": [640.0, 640.0, 680.0],
    }


def test_a_lists_properties_are_its_entries_dotted_keys() -> None:
    assert Mapping.from_dict(CONTRIBUTIONS).properties == {
        "id_number",
        "contributions.month",
        "contributions.employer_uscc",
        "contributions.base",
        "contributions.amount",
    }


def test_a_list_field_empty_as_a_whole_fills_no_entry_and_all_empty_leaves_the_list_out() -> None:
    without_employer = contributions(AAB998="")
    assert "contributions.employer_uscc" not in without_employer
    assert without_employer["contributions.month"] == ["2024-01", "2024-02", "2024-03"]
    assert contributions(AAE002="", AAB998=None, AAE180="", AAE022="") == {
        "id_number": "11010519491231002X"
    }


def test_an_empty_part_keeps_its_position_and_gives_the_default_or_no_value() -> None:
    assert contributions(AAB998=f"{USCC}||{USCC}")["contributions.employer_uscc"] == [
        USCC,
        None,
        USCC,
    ]
    spec = {
        "properties": {
            "rows": {
                "split": ";",
                "entries": {"a": {"from": "A"}, "b": {"from": "B", "default": "-"}},
            }
        }
    }
    mapping = Mapping.from_dict(spec)
    assert mapping.apply({"A": "1;2", "B": "x;"}) == {"rows.a": ["1", "2"], "rows.b": ["x", "-"]}
    assert mapping.apply({"A": "1;2"}) == {"rows.a": ["1", "2"], "rows.b": ["-", "-"]}


def test_a_const_in_a_list_goes_into_every_entry() -> None:
    spec = {
        "properties": {
            "rows": {"split": ";", "entries": {"a": {"from": "A"}, "k": {"const": "CHN"}}}
        }
    }
    assert Mapping.from_dict(spec).apply({"A": "1;2"}) == {
        "rows.a": ["1", "2"],
        "rows.k": ["CHN", "CHN"],
    }


def test_a_list_takes_fields_the_source_already_gives_as_lists() -> None:
    spec = {"properties": {"rows": {"entries": {"a": {"from": "A", "steps": ["int"]}}}}}
    mapping = Mapping.from_dict(spec)
    assert mapping.apply({"A": ["1", 2]}) == {"rows.a": [1, 2]}
    assert mapping.apply({"A": []}) == {}
    with pytest.raises(MappingFailed, match="give the list a 'split' separator"):
        mapping.apply({"A": "1;2"})


def test_fields_with_different_numbers_of_parts_fail_naming_the_fields_not_the_values() -> None:
    with pytest.raises(MappingFailed) as caught:
        contributions(AAE022="640|640")
    detail = str(caught.value.detail)
    assert "list 'contributions'" in detail
    assert "AAE022 2" in detail
    assert "AAE002 3" in detail
    assert "joined by position" in detail
    assert "640" not in detail


def test_a_part_a_step_cannot_convert_fails_naming_the_property_and_the_entry() -> None:
    with pytest.raises(MappingFailed, match=r"'contributions.base': step 'float'.*entry 2") as e:
        contributions(AAE180="8000|八千|8500")
    assert "八千" not in e.value.detail


def test_a_list_that_leaves_out_a_property_its_entries_require_is_refused() -> None:
    spec = {
        "resource": "201001/000003",
        "properties": {
            "id_number": {"from": "AAC002"},
            "contributions": {"split": "|", "entries": {"month": {"from": "AAE002"}}},
        },
    }
    mapping = Mapping.from_dict(spec)
    within = {"contributions.month", "contributions.base", "contributions.amount"}
    with pytest.raises(MappingInvalid) as caught:
        mapping.check_covers({"id_number"}, within=within)
    assert caught.value.detail == (
        "the mapping for resource 201001/000003 does not fill the required properties: "
        "contributions.amount, contributions.base"
    )
    assert caught.value.to_dict()["missing"] == ["contributions.amount", "contributions.base"]


def test_properties_required_inside_an_optional_array_are_needed_only_once_it_is_filled() -> None:
    within = {"contributions.month", "contributions.base", "contributions.amount", "id_number"}
    Mapping.from_dict({"properties": {"id_number": {"from": "AAC002"}}}).check_covers(
        {"id_number"}, within=within
    )
    Mapping.from_dict(CONTRIBUTIONS).check_covers({"id_number"}, within=within)
    with pytest.raises(MappingInvalid, match="id_number"):
        Mapping.from_dict({"properties": {"name": {"from": "XM"}}}).check_covers(
            set(), within=within
        )


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ({"entries": {}}, "'entries' is a table"),
        ({"entries": ["month"]}, "'entries' is a table"),
        ({"entries": {"a": {"from": "A"}}, "split": ""}, "'split' is a non-empty text"),
        ({"entries": {"a": {"from": "A"}}, "join": ";"}, r"unknown keys \['join'\]"),
        ({"entries": {"a": {"const": 1}}}, "at least one entry property needs 'from'"),
        (
            {"entries": {"a": {"from": ["A", "B"], "steps": [{"join": ""}]}}},
            "an entry rule reads one field",
        ),
        (
            {"entries": {"a": {"from": "A", "steps": [{"split": ","}]}}},
            "an entry rule takes no 'split' step",
        ),
        ({"entries": {"a": {"from": "A", "steps": ["lower"]}}}, "'rows.a': unknown step"),
    ],
)
def test_a_malformed_list_is_refused_at_load(spec: dict[str, Any], why: str) -> None:
    with pytest.raises(MappingInvalid, match=why):
        Mapping.from_dict({"properties": {"rows": spec}})


def test_a_property_mapped_both_on_its_own_and_in_a_list_is_refused() -> None:
    spec = {
        "properties": {
            "rows.a": {"from": "X"},
            "rows": {"split": ";", "entries": {"a": {"from": "A"}}},
        }
    }
    with pytest.raises(
        MappingInvalid, match=r"'rows\.a' is mapped on its own and in the list 'rows'"
    ):
        Mapping.from_dict(spec)
