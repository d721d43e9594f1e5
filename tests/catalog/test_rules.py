"""The rules an entry must satisfy on its own, each proved by trying to break it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from catalog import InvalidResource, ItemInput, ResourceInput, SecretRefused, ShareType
from catalog.resources.rules import check, entry_share_type
from schemas import make_uscc
from tests.catalog.factories import birth_entry, identity_entry

PROVIDER = make_uscc("330100", 7, authority="1", entity_type="1")


def fields_of(exc: pytest.ExceptionInfo[InvalidResource]) -> list[str]:
    return [p.field for p in exc.value.problems]


def with_item(index: int, **changes: Any) -> ResourceInput:
    entry = birth_entry(PROVIDER)
    items = list(entry.items)
    items[index] = replace(items[index], **changes)
    return replace(entry, items=tuple(items))


def test_chinese_labels_are_stored_as_canonical_values() -> None:
    clean = check(birth_entry(PROVIDER))
    assert (clean.format, clean.share_mode, clean.open_type) == ("database", "api", "not_open")
    assert (clean.update_cycle, clean.grade) == ("realtime", "important")
    assert clean.items[1].share_type == "unconditional"


def test_items_take_name_type_length_and_flags_from_the_unified_schema() -> None:
    clean = check(birth_entry(PROVIDER))
    mother_id = clean.items[5]
    assert (mother_id.name, mother_id.data_type, mother_id.length) == ("母亲公民身份号码", "C", 18)
    assert mother_id.personal is True
    assert mother_id.sensitive is True
    assert clean.schema_version == "1.0.0"


def test_a_conditional_item_without_conditions_is_refused_naming_the_item() -> None:
    with pytest.raises(InvalidResource) as caught:
        check(with_item(3, conditions=()))
    assert fields_of(caught) == ["items[3].conditions"]
    assert caught.value.status == 422
    assert caught.value.detail == "items[3].conditions: 有条件共享的信息项必须填写共享条件"


def test_an_unconditional_item_may_not_carry_conditions() -> None:
    with pytest.raises(InvalidResource) as caught:
        check(with_item(0, conditions=("仅限本部门",)))
    assert fields_of(caught) == ["items[0].conditions"]


def test_a_not_shared_item_without_a_legal_basis_is_refused() -> None:
    with pytest.raises(InvalidResource) as caught:
        check(with_item(2, share_type="不予共享"))
    assert fields_of(caught) == ["items[2].legal_basis"]


def test_a_legal_basis_must_name_a_law_regulation_or_state_council_decision() -> None:
    with pytest.raises(InvalidResource) as caught:
        check(with_item(2, share_type="not_shared", legal_basis="本单位内部要求"))
    assert fields_of(caught) == ["items[2].legal_basis"]


def test_an_entry_not_shared_must_not_be_open() -> None:
    basis = "《中华人民共和国个人信息保护法》第二十八条"
    items = tuple(
        replace(i, share_type="not_shared", conditions=(), legal_basis=basis)
        for i in birth_entry(PROVIDER).items
    )
    with pytest.raises(InvalidResource) as caught:
        check(birth_entry(PROVIDER, items=items, open_type="有条件开放"))
    assert fields_of(caught) == ["open_type"]
    assert check(birth_entry(PROVIDER, items=items)).open_type == "not_open"


def test_secret_data_is_refused_before_any_other_rule() -> None:
    with pytest.raises(SecretRefused) as caught:
        check(birth_entry(PROVIDER, secret=True, name=""))
    assert "涉密" in caught.value.detail
    assert caught.value.status == 422


def test_an_item_missing_from_the_referenced_schema_is_refused() -> None:
    with pytest.raises(InvalidResource) as caught:
        check(with_item(1, key="blood_type"))
    assert fields_of(caught) == ["items[1].key"]
    assert "health.birth_certificate" in caught.value.detail


def test_an_item_whose_data_type_differs_from_the_schema_is_refused() -> None:
    with pytest.raises(InvalidResource) as caught:
        check(with_item(2, data_type="D"))
    assert fields_of(caught) == ["items[2].data_type"]


def test_a_personal_element_cannot_be_declared_not_personal() -> None:
    with pytest.raises(InvalidResource) as caught:
        check(with_item(5, personal=False))
    assert fields_of(caught) == ["items[5].personal"]


def test_the_code_prefix_must_match_the_category() -> None:
    with pytest.raises(InvalidResource) as caught:
        check(birth_entry(PROVIDER, code="101001/000001"))
    assert fields_of(caught) == ["code"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("format", "纸质"), ("share_mode", "邮件"), ("update_cycle", "随时"), ("grade", "绝密")],
)
def test_closed_list_values_outside_the_list_are_refused(field: str, value: str) -> None:
    with pytest.raises(InvalidResource) as caught:
        check(birth_entry(PROVIDER, **{field: value}))
    assert fields_of(caught) == [field]


def test_an_unknown_schema_is_refused() -> None:
    with pytest.raises(InvalidResource) as caught:
        check(identity_entry(PROVIDER, schema_id="person.passport"))
    assert fields_of(caught) == ["schema_id"]


def test_duplicate_item_keys_are_refused() -> None:
    entry = identity_entry(PROVIDER)
    entry = replace(entry, items=(*entry.items, ItemInput(key="name")))
    with pytest.raises(InvalidResource) as caught:
        check(entry)
    assert fields_of(caught) == ["items[3].key"]


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        (["unconditional", "unconditional"], ShareType.UNCONDITIONAL),
        (["unconditional", "conditional"], ShareType.CONDITIONAL),
        (["unconditional", "not_shared"], ShareType.CONDITIONAL),
        (["not_shared", "not_shared"], ShareType.NOT_SHARED),
    ],
)
def test_the_entry_share_type_is_derived_from_its_items(
    kinds: list[str], expected: ShareType
) -> None:
    assert entry_share_type(kinds) is expected
