"""Signed checkpoints in the C2SP formats (tlog-checkpoint over signed-note), Ed25519 only.

A checkpoint body is three lines, optionally followed by extension lines::

    <origin>
    <tree size in decimal>
    <base64 root hash>

A signed note is the body, a blank line, and one line per signature::

    — <key name> <base64(4-byte key id || Ed25519 signature of the body)>

The key id is the first four bytes of SHA-256(key name || 0x0A || 0x01 || public key). The
verifier key string ``<name>+<hex key id>+<base64(0x01 || public key)>`` is what auditors,
witnesses and the Go sumdb/note tooling exchange.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.merkle import HASH_SIZE
from kit.errors import Invalid

__all__ = [
    "Checkpoint",
    "CheckpointInvalid",
    "Note",
    "NoteSignature",
    "VerifierKey",
    "checkpoint_body",
    "key_id",
    "load_public_key",
    "parse_checkpoint",
    "parse_note",
    "parse_verifier_key",
    "sign_checkpoint",
    "sign_note",
    "verifier_key",
    "verify_checkpoint",
    "verify_note",
]

ED25519 = 0x01
MAX_SIGNATURES = 64
_DASH = "— "
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_NAME = re.compile(r"[^\s+]+")
_SIZE = re.compile(r"0|[1-9][0-9]*")


class CheckpointInvalid(Invalid):
    """A note, checkpoint or key that is malformed or whose signature does not verify."""


def _b64decode(text: str, what: str) -> bytes:
    """Strict standard base64: the alphabet, padding, and the canonical encoding only."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointInvalid(f"{what} is not base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointInvalid(f"{what} is not canonical base64")
    return raw


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise CheckpointInvalid(f"key name {name!r} is empty or has spaces or '+'")


def _key_id(name: str, raw: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + raw).digest()[:4]


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte C2SP key id of an Ed25519 key under ``name``."""
    _check_name(name)
    return _key_id(name, _raw(public_key))


@dataclass(frozen=True)
class VerifierKey:
    """A named Ed25519 public key as auditors hold it."""

    name: str
    key: bytes  # the raw 32-byte public key

    @property
    def public_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.key)

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The verifier key string ``<name>+<hex key id>+<base64(0x01 || key)>``."""
    _check_name(name)
    return str(VerifierKey(name, _raw(public_key)))


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse a verifier key string; refuse a wrong algorithm, length or key id."""
    name, sep, rest = text.strip().partition("+")
    hex_id, sep2, encoded = rest.partition("+")
    if not sep or not sep2 or not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise CheckpointInvalid("a verifier key is <name>+<8 hex digits>+<base64>")
    _check_name(name)
    raw = _b64decode(encoded, "the verifier key")
    if len(raw) != 33 or raw[0] != ED25519:
        raise CheckpointInvalid("the verifier key is not an Ed25519 key (type 0x01, 32 bytes)")
    try:
        key = VerifierKey(name, raw[1:])
        computed = key.key_id
    except ValueError as exc:
        raise CheckpointInvalid(f"the verifier key is not an Ed25519 key: {exc}") from exc
    if computed.hex() != hex_id:
        raise CheckpointInvalid("the verifier key's id does not match its name and key")
    return key


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class Note:
    text: str  # ends with a newline; this is what is signed
    signatures: tuple[NoteSignature, ...]


def sign_note(text: str, key: Ed25519PrivateKey, name: str) -> str:
    """Sign ``text`` (which must end with a newline) as a C2SP signed note."""
    _check_text(text)
    blob = key_id(name, key.public_key()) + key.sign(text.encode("utf-8"))
    return f"{text}\n{_DASH}{name} {base64.b64encode(blob).decode('ascii')}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n") or _CONTROL.search(text):
        raise CheckpointInvalid("note text must end with a newline and hold no control chars")


def _parse_signature(line: str) -> NoteSignature:
    if not line.startswith(_DASH):
        raise CheckpointInvalid(f"not a signature line: {line[:40]!r}")
    name, sep, encoded = line[len(_DASH) :].partition(" ")
    _check_name(name)
    blob = _b64decode(encoded, "a signature") if sep else b""
    if len(blob) < 5:
        raise CheckpointInvalid("a signature line holds a key id and a signature")
    return NoteSignature(name, blob[:4], blob[4:])


def parse_note(note: str) -> Note:
    """Split a signed note into its text and signatures, without checking any signature."""
    _check_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointInvalid("a signed note needs a blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    lines = block[:-1].split("\n") if block else []  # the note ends with a newline
    if not lines or len(lines) > MAX_SIGNATURES:
        raise CheckpointInvalid(f"a signed note has 1 to {MAX_SIGNATURES} signatures")
    return Note(text, tuple(_parse_signature(line) for line in lines))


def verify_note(note: str, public_key: Ed25519PublicKey, name: str | None = None) -> Note:
    """Check ``note`` is signed by ``public_key`` (under ``name``, or under any name whose
    key id matches the key) and return it; raise :class:`CheckpointInvalid` otherwise."""
    parsed = parse_note(note)
    _check_signature(parsed, public_key, name)
    return parsed


def _check_signature(note: Note, public_key: Ed25519PublicKey, name: str | None) -> None:
    raw = _raw(public_key)
    mine = [
        sig
        for sig in note.signatures
        if (name is None or sig.name == name) and sig.key_id == _key_id(sig.name, raw)
    ]
    if not mine:
        raise CheckpointInvalid("the note carries no signature by this key")
    for sig in mine:
        try:
            public_key.verify(sig.signature, note.text.encode("utf-8"))
        except InvalidSignature as exc:
            raise CheckpointInvalid(f"the signature by {sig.name} does not verify") from exc


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()
    signatures: tuple[NoteSignature, ...] = ()

    @property
    def body(self) -> str:
        return checkpoint_body(self.origin, self.size, self.root, self.extensions)


def checkpoint_body(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    if not origin or "\n" in origin or size < 0 or len(root) != HASH_SIZE:
        raise CheckpointInvalid("a checkpoint needs an origin line, a size and a 32-byte root")
    if any(not line or "\n" in line for line in extensions):
        raise CheckpointInvalid("extension lines must be single non-empty lines")
    lines = [origin, str(size), base64.b64encode(root).decode("ascii"), *extensions]
    return "".join(f"{line}\n" for line in lines)


def sign_checkpoint(
    origin: str, size: int, root: bytes, key: Ed25519PrivateKey, name: str | None = None
) -> str:
    """The signed note of the checkpoint; the key name defaults to the origin."""
    return sign_note(checkpoint_body(origin, size, root), key, origin if name is None else name)


def _parse_body(text: str) -> tuple[str, int, bytes, tuple[str, ...]]:
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not lines[0]:
        raise CheckpointInvalid("a checkpoint starts with origin, size and root lines")
    if not _SIZE.fullmatch(lines[1]):
        raise CheckpointInvalid(f"tree size {lines[1][:24]!r} is not a decimal number")
    root = _b64decode(lines[2], "the root hash")
    if len(root) != HASH_SIZE:
        raise CheckpointInvalid("the root hash is not 32 bytes")
    if any(not line for line in lines[3:]):
        raise CheckpointInvalid("a checkpoint has no empty lines")
    return lines[0], int(lines[1]), root, tuple(lines[3:])


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a signed checkpoint without checking its signatures."""
    note = parse_note(text)
    origin, size, root, extensions = _parse_body(note.text)
    return Checkpoint(origin, size, root, extensions, note.signatures)


def verify_checkpoint(
    text: str, public_key: Ed25519PublicKey, name: str | None = None
) -> Checkpoint:
    """Parse a signed checkpoint and check its signature by ``public_key`` (under ``name``
    when given); raise :class:`CheckpointInvalid` if malformed or not signed by that key."""
    note = parse_note(text)
    origin, size, root, extensions = _parse_body(note.text)
    _check_signature(note, public_key, name)
    return Checkpoint(origin, size, root, extensions, note.signatures)


def load_public_key(value: str | bytes | Ed25519PublicKey) -> tuple[Ed25519PublicKey, str | None]:
    """The key and, when known, the key name from what an auditor holds: a verifier key
    string, PEM text or bytes, or a key object."""
    if isinstance(value, Ed25519PublicKey):
        return value, None
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    if "-----BEGIN" not in text:
        parsed = parse_verifier_key(text)
        return parsed.public_key, parsed.name
    try:
        key = serialization.load_pem_public_key(text.encode("ascii"))
    except ValueError as exc:
        raise CheckpointInvalid(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointInvalid("the public key is not an Ed25519 key")
    return key, None
