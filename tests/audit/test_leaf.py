"""The leaf format: exact bytes, strict parsing, the fast path the verifier uses, commitments."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.leaf import LEAF_PREFIX, Action, Leaf, LeafInvalid, leaf_index, subject_commitment
from kit.canonical import canonical_json

SUBJECT = hashlib.sha256(b"a commitment").hexdigest()
DIGEST = hashlib.sha256(b"a payload").hexdigest()


def make_leaf(**changes: Any) -> Leaf:
    values: dict[str, Any] = {
        "index": 7,
        "time": datetime(2025, 8, 1, 9, 30, tzinfo=UTC),
        "action": Action.CONSENT_WITHDRAW,
        "actor": {"kind": "system", "id": "sys-1", "department": "11100000000013127D"},
        "subject": SUBJECT,
        "refs": {"grant": "g-9", "consent": "c-1"},
        "outcome": "ok",
        "reason": "申请人撤回",
        "digests": {"payload": DIGEST},
    }
    values.update(changes)
    return Leaf(**values)


def test_a_leaf_is_the_prefix_then_canonical_json_of_its_fields() -> None:
    body = (
        '{"action":"consent:withdraw",'
        '"actor":{"department":"11100000000013127D","id":"sys-1","kind":"system"},'
        f'"digests":{{"payload":"{DIGEST}"}},"index":7,"outcome":"ok","reason":"申请人撤回",'
        f'"refs":{{"consent":"c-1","grant":"g-9"}},"subject":"{SUBJECT}",'
        '"time":"2025-08-01T09:30:00.000000Z"}'
    )
    assert make_leaf().to_bytes() == b"tongban-audit-leaf/1\n" + body.encode("utf-8")
    assert LEAF_PREFIX == b"tongban-audit-leaf/1\n"


def test_a_leaf_parses_back_to_an_equal_value() -> None:
    leaf = make_leaf(subject=None, reason=None, refs={}, digests={})
    parsed = Leaf.from_bytes(leaf.to_bytes())
    assert parsed == leaf
    assert hash(parsed) == hash(leaf)
    assert leaf_index(leaf.to_bytes()) == 7


def test_the_time_is_kept_in_utc_with_microseconds() -> None:
    beijing = timezone(timedelta(hours=8))
    leaf = make_leaf(time=datetime(2025, 8, 1, 17, 30, 0, 42, tzinfo=beijing))
    assert leaf.time == datetime(2025, 8, 1, 9, 30, 0, 42, tzinfo=UTC)
    assert b'"time":"2025-08-01T09:30:00.000042Z"' in leaf.to_bytes()


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(LeafInvalid):
        make_leaf(time=datetime(2025, 8, 1, 9, 30))


@pytest.mark.parametrize(
    "changes",
    [
        {"index": -1},
        {"index": True},
        {"action": "withdraw"},
        {"action": "Consent:Withdraw"},
        {"actor": {"kind": "system", "id": "sys-1"}},
        {"actor": {"kind": "", "id": None, "department": None}},
        {"actor": {"kind": "system", "id": 5, "department": None}},
        {"subject": "not-a-commitment"},
        {"subject": SUBJECT.upper()},
        {"refs": {"grant": 9}},
        {"refs": {"not a name": "x"}},
        {"digests": {"payload": "abc"}},
        {"outcome": ""},
        {"reason": 3},
    ],
)
def test_a_leaf_with_a_bad_field_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(LeafInvalid):
        make_leaf(**changes)


def _variants() -> list[bytes]:
    good = make_leaf().to_bytes()
    body = json.loads(good[len(LEAF_PREFIX) :])
    swapped = dict(reversed(list(body.items())))
    unsorted = json.dumps(swapped, separators=(",", ":"), ensure_ascii=False).encode()
    return [
        good.replace(b'"index":7', b'"index": 7'),
        good.replace(b'"index":7', b'"index":07'),
        good.replace(b'"index":7', b'"index":7.0'),
        good.replace(b'"ok"', b'"\\u006fk"'),
        good.replace("申请人".encode(), b"\\u7533\\u8bf7\\u4eba"),
        good.replace(b'"ok"', b'"ok","outcome":"ok"'),
        good.replace(b',"outcome":"ok"', b""),
        good.replace(b'"reason"', b'"extra":1,"reason"'),
        good.replace(b"2025-08-01", b"2025-02-30"),
        good.replace(b"00.000000Z", b"00Z"),
        good.replace(b"00.000000Z", b"00.000000+00:00"),
        good.replace(b'"ok"', b'"\\ud800"'),
        good.replace(b"tongban-audit-leaf/1", b"tongban-audit-leaf/2"),
        good[len(LEAF_PREFIX) :],
        good + b"\n",
        good.replace("申".encode(), b"\xff"),
        LEAF_PREFIX + b"[]",
        LEAF_PREFIX + canonical_json(swapped)[:-1] + b" }",
        LEAF_PREFIX + json.dumps(body, ensure_ascii=True, sort_keys=True).encode(),
        LEAF_PREFIX + unsorted,
    ]


@pytest.mark.parametrize("data", _variants())
def test_bytes_that_are_not_exactly_canonical_are_refused(data: bytes) -> None:
    with pytest.raises(LeafInvalid):
        Leaf.from_bytes(data)
    with pytest.raises(LeafInvalid):
        leaf_index(data)


def test_the_action_tags_cover_the_domains() -> None:
    expected = {
        "catalog:submit", "catalog:publish", "catalog:return", "catalog:retire",
        "catalog:revise", "department:add", "system:add", "system:rotate-key",
        "system:disable", "user:add", "auth:login", "application:submit",
        "application:review", "application:return", "application:grant",
        "application:refuse", "application:overdue", "application:dispute",
        "application:coordinate", "grant:suspend", "grant:resume", "grant:revoke",
        "grant:close", "grant:change-request", "consent:request", "consent:give",
        "consent:refuse", "consent:pause", "consent:resume", "consent:withdraw",
        "consent:revoke", "consent:expire", "delegation:add", "exchange:request",
        "exchange:fulfil", "exchange:fail", "exchange:dead-letter", "prefill:run",
        "objection:raise", "objection:accept", "objection:reject", "objection:forward",
        "objection:correct", "objection:confirm", "objection:close", "objection:overdue",
        "key:rotate", "audit:checkpoint",
    }  # fmt: skip
    assert expected <= {action.value for action in Action}
    assert Action("consent:withdraw") is Action.CONSENT_WITHDRAW
    assert make_leaf(action="consent:withdraw") == make_leaf(action=Action.CONSENT_WITHDRAW)


def test_a_subject_commitment_is_the_salted_sha256_of_the_subject() -> None:
    salt = bytes(range(16))
    expected = hashlib.sha256(salt + b"person:11010519491231002X").hexdigest()
    assert subject_commitment(salt, "person:11010519491231002X") == expected
    assert subject_commitment(bytes(16), "person:11010519491231002X") != expected


def test_a_short_salt_is_refused() -> None:
    with pytest.raises(LeafInvalid):
        subject_commitment(b"short", "person:1")


# --- properties: the verifier's fast path accepts exactly what the full parse accepts --------

NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,6}", fullmatch=True)
HEX = st.binary(min_size=32, max_size=32).map(bytes.hex)
TEXT = st.text(max_size=12)
LEAVES = st.builds(
    Leaf,
    index=st.integers(0, 10**15),
    time=st.datetimes(datetime(1970, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)),
    action=st.sampled_from(list(Action))
    | st.from_regex(r"[a-z][a-z0-9-]{0,6}:[a-z][a-z0-9-]{0,6}", fullmatch=True),
    actor=st.fixed_dictionaries(
        {
            "kind": st.text(min_size=1, max_size=8),
            "id": st.none() | TEXT,
            "department": st.none() | TEXT,
        }
    ),
    subject=st.none() | HEX,
    refs=st.dictionaries(NAMES, TEXT, max_size=4),
    outcome=st.text(min_size=1, max_size=8),
    reason=st.none() | TEXT,
    digests=st.dictionaries(NAMES, HEX, max_size=3),
)


def _reference(data: bytes) -> int | None:
    try:
        return Leaf.from_bytes(data).index
    except LeafInvalid:
        return None


def _fast(data: bytes) -> int | None:
    try:
        return leaf_index(data)
    except LeafInvalid:
        return None


@settings(max_examples=100, deadline=None)
@given(LEAVES)
def test_every_leaf_round_trips_through_both_parsers(leaf: Leaf) -> None:
    data = leaf.to_bytes()
    assert Leaf.from_bytes(data) == leaf
    assert leaf_index(data) == leaf.index


@settings(max_examples=200, deadline=None)
@given(LEAVES, st.data())
def test_the_fast_path_and_the_full_parse_agree_on_damaged_bytes(
    leaf: Leaf, data: st.DataObject
) -> None:
    original = leaf.to_bytes()
    at = data.draw(st.integers(0, len(original) - 1), label="at")
    how = data.draw(st.sampled_from(["replace", "delete", "insert"]), label="how")
    byte = data.draw(st.sampled_from(b'\\"{}:,0123456789aAz \x00\x1f\xc3\x7f'), label="byte")
    if how == "replace":
        damaged = original[:at] + bytes([byte]) + original[at + 1 :]
    elif how == "delete":
        damaged = original[:at] + original[at + 1 :]
    else:
        damaged = original[:at] + bytes([byte]) + original[at:]
    assert _fast(damaged) == _reference(damaged)
