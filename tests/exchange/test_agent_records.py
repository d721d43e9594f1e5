"""A mapped record is flat with dotted keys for nested properties (``mother.name``); the
reply keeps only the requested items that have a value, by item key."""

from __future__ import annotations

from typing import Any

import schemas
from exchange.agent import nested, pick
from tests.schemas.factories import MOTHER_ID, birth_certificate


def flat(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def test_a_flat_record_with_dotted_keys_is_nested_for_the_schema() -> None:
    assert nested({"mother.name": "李娜", "mother.nationality": "CHN", "hospital": "妇幼"}) == {
        "mother": {"name": "李娜", "nationality": "CHN"},
        "hospital": "妇幼",
    }


def test_pick_keeps_the_requested_items_that_have_a_value() -> None:
    record = {**flat(birth_certificate()), "hospital": None}
    picked = pick(record, ["mother.id_number", "newborn_name", "father.occupation", "hospital"])
    assert picked == {"mother.id_number": MOTHER_ID, "newborn_name": "张一诺"}


def test_picked_nested_items_are_what_the_partial_schema_check_reads() -> None:
    items = ["mother.name", "mother.id_number", "issued_on"]
    picked = pick(flat(birth_certificate()), items)
    assert schemas.validate_partial("health.birth_certificate", picked, items, "1.0.0") == []
