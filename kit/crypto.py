"""Key and signature helpers over ``cryptography`` and ``pyjwt``. Nothing hand-rolled.

Ed25519 keys, their PEM and JWK (RFC 8037 OKP) forms, RFC 7638 key ids, and compact JWS
with the EdDSA algorithm.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kit.canonical import canonical_json
from kit.errors import Invalid

__all__ = [
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "b64url",
    "b64url_decode",
    "generate_key",
    "jwk_thumbprint",
    "jws_header",
    "jws_sign",
    "jws_verify",
    "load_private_key",
    "private_key_from_pem",
    "private_pem",
    "public_jwk",
    "public_key_from_jwk",
    "public_key_from_pem",
    "public_pem",
    "write_private_key",
]


_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def private_key_from_pem(data: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise Invalid("the private key is not an Ed25519 key")
    return key


def public_key_from_pem(data: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise Invalid("the public key is not an Ed25519 key")
    return key


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write ``key`` as PKCS#8 PEM readable by the owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_pem(key))
    os.chmod(path, 0o600)


def create_private_key_file(path: Path) -> bool:
    """Generate a key into ``path`` (mode 0600) unless a key is there already; True if this
    call created it. The file appears whole or not at all, and of processes starting side by
    side exactly one creates it (written aside, then hard-linked into place): a reader never
    sees a half-written key, and no two processes go on with different keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    write_private_key(aside, generate_key())
    try:
        os.link(aside, path)
    except FileExistsError:
        return False
    finally:
        aside.unlink()
    return True


def load_private_key(path: Path) -> Ed25519PrivateKey:
    return private_key_from_pem(path.read_bytes())


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an OKP key: SHA-256 over its required members, base64url."""
    required = {name: jwk[name] for name in ("crv", "kty", "x")}
    digest = hashlib.sha256(
        json.dumps(required, sort_keys=True, separators=(",", ":")).encode()
    ).digest()
    return b64url(digest)


def public_jwk(key: Ed25519PublicKey | Ed25519PrivateKey) -> dict[str, str]:
    """The public JWK of ``key`` with ``kid`` set to its RFC 7638 thumbprint."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(_raw_public(public))}
    return {**jwk, "kid": jwk_thumbprint(jwk), "alg": "EdDSA", "use": "sig"}


def public_key_from_jwk(jwk: dict[str, Any]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not jwk.get("x"):
        raise Invalid("the key must be an Ed25519 OKP JWK with kty, crv and x")
    try:
        raw = b64url_decode(str(jwk["x"]))
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise Invalid(f"the JWK's x is not a 32-byte Ed25519 public key: {exc}") from exc


def jws_sign(payload: dict[str, Any], key: Ed25519PrivateKey, *, kid: str, typ: str = "JWT") -> str:
    """Sign ``payload`` (canonical JSON) as a compact JWS with EdDSA and header ``kid``."""
    return jwt.api_jws.encode(
        canonical_json(payload), key, algorithm="EdDSA", headers={"kid": kid, "typ": typ}
    )


def _segments(token: str) -> tuple[str, str, str, dict[str, Any]]:
    """A compact JWS's three segments and its decoded protected header. Each segment must be
    strict base64url (no padding, nothing outside the alphabet): a signature segment that
    decoded the same from two spellings would make the stored JWS text malleable."""
    parts = token.split(".")
    if len(parts) != 3 or not all(_BASE64URL.fullmatch(p) for p in parts[::2]) or not parts[0]:
        raise Invalid("not a compact JWS: expected three base64url segments")
    if parts[1] and not _BASE64URL.fullmatch(parts[1]):
        raise Invalid("not a compact JWS: the payload segment is not base64url")
    try:
        header = json.loads(_strict_b64url(parts[0]))
    except ValueError as exc:
        raise Invalid(f"not a compact JWS: its header is not base64url JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise Invalid("not a compact JWS: its header is not a JSON object")
    return parts[0], parts[1], parts[2], header


def _strict_b64url(text: str) -> bytes:
    """Decode base64url that is spelled the one canonical way: its last character's unused
    bits zero (otherwise several spellings decode to the same bytes)."""
    if len(text) % 4 == 1:
        raise ValueError("a base64url text cannot be 1 more than a multiple of 4 long")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url(raw) != text:
        raise ValueError("not the canonical base64url spelling of its bytes")
    return raw


def jws_header(token: str) -> dict[str, Any]:
    """The unverified protected header of a compact JWS (to pick the key by ``kid``)."""
    return _segments(token)[3]


def jws_verify(token: str, key: Ed25519PublicKey) -> dict[str, Any]:
    """Verify a compact EdDSA JWS and return its JSON payload; raise ``Invalid`` if bad.

    The signature is checked over the segments' text as received (RFC 7515 §5.2), before the
    payload is decoded; a header naming another algorithm, or extensions it must understand
    (``crit``), is refused."""
    head, body, signature, header = _segments(token)
    if header.get("alg") != "EdDSA":
        raise Invalid(f"signature check failed: the algorithm is not EdDSA: {header.get('alg')}")
    if "crit" in header:
        raise Invalid("signature check failed: the header names critical extensions")
    try:
        key.verify(_strict_b64url(signature), f"{head}.{body}".encode("ascii"))
    except (InvalidSignature, ValueError) as exc:
        raise Invalid("signature check failed: the signature does not verify") from exc
    try:
        value = json.loads(_strict_b64url(body))
    except ValueError as exc:
        raise Invalid(f"the signed payload is not JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise Invalid("the signed payload is not a JSON object")
    return value
