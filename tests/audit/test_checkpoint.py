"""Signed checkpoints: the C2SP signed-note and tlog-checkpoint formats, keys and refusals."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.checkpoint import (
    Checkpoint,
    CheckpointInvalid,
    checkpoint_body,
    key_id,
    load_public_key,
    parse_checkpoint,
    parse_note,
    parse_verifier_key,
    sign_checkpoint,
    sign_note,
    verifier_key,
    verify_checkpoint,
    verify_note,
)
from kit.crypto import Ed25519PrivateKey, generate_key, public_pem

ORIGIN = "tongban.example/audit"
ROOT = hashlib.sha256(b"a root").digest()
KEY = generate_key()
OTHER = generate_key()

# The example of golang.org/x/mod/sumdb/note: a verifier key and a note signed by it.
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_the_go_sumdb_example_note_verifies_with_its_published_key() -> None:
    verifier = parse_verifier_key(GO_VERIFIER_KEY)
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id.hex() == "c74f20a3"
    assert str(verifier) == GO_VERIFIER_KEY
    note = verify_note(GO_NOTE, verifier.public_key, verifier.name)
    assert note.text == GO_TEXT
    with pytest.raises(CheckpointInvalid):
        verify_note(GO_NOTE.replace("cryptography", "cryptographY"), verifier.public_key)


def test_the_key_id_is_the_c2sp_hash_of_name_type_and_key() -> None:
    expected = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + _raw(KEY)).digest()[:4]
    assert key_id(ORIGIN, KEY.public_key()) == expected


def test_a_signed_checkpoint_is_body_blank_line_and_signature_line() -> None:
    note = sign_checkpoint(ORIGIN, 42, ROOT, KEY)
    body = f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n"
    assert note.startswith(body + "\n— " + ORIGIN + " ")
    assert note.endswith("\n")
    blob = base64.b64decode(note[len(body) + 1 :].split(" ")[-1])
    assert blob[:4] == key_id(ORIGIN, KEY.public_key())
    KEY.public_key().verify(blob[4:], body.encode())
    assert checkpoint_body(ORIGIN, 42, ROOT) == body


def test_a_checkpoint_verifies_with_its_key_and_parses_back() -> None:
    note = sign_checkpoint(ORIGIN, 42, ROOT, KEY)
    checkpoint = verify_checkpoint(note, KEY.public_key(), ORIGIN)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (ORIGIN, 42, ROOT)
    assert checkpoint == parse_checkpoint(note)
    assert verify_checkpoint(note, KEY.public_key()) == checkpoint  # name taken from the note


def test_another_key_or_name_is_refused() -> None:
    note = sign_checkpoint(ORIGIN, 42, ROOT, KEY)
    with pytest.raises(CheckpointInvalid, match="no signature by this key"):
        verify_checkpoint(note, OTHER.public_key())
    with pytest.raises(CheckpointInvalid):
        verify_checkpoint(note, KEY.public_key(), "someone.else/log")


@pytest.mark.parametrize(
    ("old", "new"),
    [("\n42\n", "\n43\n"), (ORIGIN, "tongban.example/other"), ("=\n", "=\nextension\n")],
)
def test_a_changed_body_no_longer_verifies(old: str, new: str) -> None:
    note = sign_checkpoint(ORIGIN, 42, ROOT, KEY).replace(old, new, 1)
    with pytest.raises(CheckpointInvalid):
        verify_checkpoint(note, KEY.public_key())


def test_a_forged_signature_with_the_right_key_id_is_refused() -> None:
    note = sign_checkpoint(ORIGIN, 42, ROOT, KEY)
    forged = sign_checkpoint(ORIGIN, 43, ROOT, KEY).split("\n\n")[1]
    with pytest.raises(CheckpointInvalid, match="does not verify"):
        verify_checkpoint(note.split("\n\n")[0] + "\n\n" + forged, KEY.public_key())


def test_signatures_by_unknown_keys_are_ignored() -> None:
    body = checkpoint_body(ORIGIN, 42, ROOT)
    cosigned = (
        sign_note(body, OTHER, "witness.example/w1") + sign_note(body, KEY, ORIGIN).split("\n\n")[1]
    )
    checkpoint = verify_checkpoint(cosigned, KEY.public_key(), ORIGIN)
    assert [s.name for s in checkpoint.signatures] == ["witness.example/w1", ORIGIN]
    assert verify_checkpoint(cosigned, OTHER.public_key()).size == 42


def test_extension_lines_are_kept() -> None:
    note = sign_note(checkpoint_body(ORIGIN, 3, ROOT, ["ext one", "ext two"]), KEY, ORIGIN)
    checkpoint = verify_checkpoint(note, KEY.public_key())
    assert checkpoint.extensions == ("ext one", "ext two")
    assert checkpoint.body == checkpoint_body(ORIGIN, 3, ROOT, ["ext one", "ext two"])


def _root64() -> str:
    return base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n42\n{_root64()}\n",  # no signatures
        f"{ORIGIN}\n42\n{_root64()}\n\n",  # a blank line, then nothing
        f"{ORIGIN}\n42\n{_root64()}\n\n— {ORIGIN} AAAA\n",  # a signature too short
        f"{ORIGIN}\n42\n{_root64()}\n\n- {ORIGIN} AAAAAAAA\n",  # a hyphen, not an em dash
        f"{ORIGIN}\n42\n{_root64()}\n\n— two names AAAAAAAA\n",
        f"{ORIGIN}\n42\n{_root64()}\n\n— {ORIGIN} AAAAAAA\n",  # not base64
        f"{ORIGIN}\n42\n{_root64()}\n\n— {ORIGIN} AAAAAAAA",  # no final newline
        f"{ORIGIN}\n42\n{_root64()}\n\n— {ORIGIN} AAAAAAAA\n\n",  # an empty signature line
        f"{ORIGIN}\r\n42\n{_root64()}\n\n— {ORIGIN} AAAAAAAA\n",  # a control character
        f"{ORIGIN}\n42\n{_root64()}\n\n— {ORIGIN}\u2028x AAAAAAAA\n",  # a space in a name
    ],
)
def test_malformed_notes_are_refused(text: str) -> None:
    with pytest.raises(CheckpointInvalid):
        parse_note(text)


@pytest.mark.parametrize(
    "body",
    [
        f"\n42\n{_root64()}\n",  # no origin
        f"{ORIGIN}\n042\n{_root64()}\n",  # a leading zero
        f"{ORIGIN}\n-1\n{_root64()}\n",
        f"{ORIGIN}\n4x\n{_root64()}\n",
        f"{ORIGIN}\n42\n{base64.b64encode(ROOT[:31]).decode()}\n",  # a short root
        f"{ORIGIN}\n42\n{_root64().rstrip('=')}\n",  # unpadded base64
        f"{ORIGIN}\n42\n{_root64()}\n\nextension\n",  # an empty line inside
        f"{ORIGIN}\n42\n",  # no root
    ],
)
def test_malformed_checkpoint_bodies_are_refused(body: str) -> None:
    note = sign_note(body, KEY, ORIGIN)
    with pytest.raises(CheckpointInvalid):
        parse_checkpoint(note)


def test_more_signatures_than_the_limit_are_refused() -> None:
    body = checkpoint_body(ORIGIN, 1, ROOT)
    lines = "".join(sign_note(body, KEY, f"w{i}").split("\n\n")[1] for i in range(65))
    with pytest.raises(CheckpointInvalid):
        parse_note(body + "\n" + lines)


def test_the_verifier_key_string_round_trips() -> None:
    text = verifier_key(ORIGIN, KEY.public_key())
    name, hex_id, encoded = text.split("+", 2)  # base64 may hold "+" too
    assert name == ORIGIN
    assert hex_id == key_id(ORIGIN, KEY.public_key()).hex()
    assert base64.b64decode(encoded) == b"\x01" + _raw(KEY)
    parsed = parse_verifier_key(text)
    assert (parsed.name, parsed.key) == (ORIGIN, _raw(KEY))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.replace("+", "+0", 1),  # a wrong key id
        lambda t: t.split("+", 1)[1],  # no name
        lambda t: t[: t.rindex("+")] + "+" + base64.b64encode(b"\x02" + bytes(32)).decode(),
        lambda t: t[: t.rindex("+")] + "+" + base64.b64encode(b"\x01" + bytes(31)).decode(),
        lambda t: t + "A",
        lambda t: "bad name" + t[t.index("+") :],
    ],
)
def test_mangled_verifier_keys_are_refused(mangle: Callable[[str], str]) -> None:
    text = verifier_key(ORIGIN, KEY.public_key())
    with pytest.raises(CheckpointInvalid):
        parse_verifier_key(mangle(text))


def test_an_auditor_may_hold_the_key_as_pem_or_verifier_key() -> None:
    pem = public_pem(KEY.public_key())
    for held in (pem, pem.decode(), verifier_key(ORIGIN, KEY.public_key()), KEY.public_key()):
        key, name = load_public_key(held)
        assert public_pem(key) == pem
        assert name in (None, ORIGIN)
    with pytest.raises(CheckpointInvalid):
        load_public_key("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")


@settings(max_examples=50, deadline=None)
@given(
    origin=st.from_regex(r"[a-z0-9.]{1,20}/[a-z0-9]{1,10}", fullmatch=True),
    size=st.integers(0, 2**63),
    root=st.binary(min_size=32, max_size=32),
)
def test_any_checkpoint_round_trips(origin: str, size: int, root: bytes) -> None:
    note = sign_checkpoint(origin, size, root, KEY)
    assert verify_checkpoint(note, KEY.public_key(), origin) == Checkpoint(
        origin, size, root, (), parse_note(note).signatures
    )
