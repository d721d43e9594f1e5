"""Keys, RFC 7638 key ids and EdDSA JWS, checked against the RFC 8037 Ed25519 examples."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kit.crypto import (
    b64url,
    b64url_decode,
    generate_key,
    jwk_thumbprint,
    jws_header,
    jws_sign,
    jws_verify,
    private_key_from_pem,
    private_pem,
    public_jwk,
    public_key_from_jwk,
    public_key_from_pem,
    public_pem,
)
from kit.errors import Invalid

# RFC 8037 appendix A.1-A.4 (Ed25519 key, its thumbprint, and a signature over a fixed input)
RFC_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
RFC_SIGNING_INPUT = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
RFC_SIGNATURE = (
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)


def rfc_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(b64url_decode(RFC_D))


def test_the_public_jwk_of_the_rfc_key_has_the_rfc_x_and_thumbprint_kid() -> None:
    jwk = public_jwk(rfc_key())
    assert jwk["x"] == RFC_X
    assert jwk["kid"] == RFC_THUMBPRINT
    assert jwk_thumbprint({"kty": "OKP", "crv": "Ed25519", "x": RFC_X}) == RFC_THUMBPRINT


def test_signing_the_rfc_input_gives_the_rfc_signature() -> None:
    signature = rfc_key().sign(RFC_SIGNING_INPUT.encode())
    assert b64url(signature) == RFC_SIGNATURE


def test_a_signed_payload_verifies_and_decodes_to_the_same_object() -> None:
    key = generate_key()
    kid = public_jwk(key)["kid"]
    token = jws_sign({"出生": "2024-01-01", "n": 1}, key, kid=kid)
    assert jws_header(token)["kid"] == kid
    assert jws_verify(token, key.public_key()) == {"出生": "2024-01-01", "n": 1}


def test_changing_one_character_of_the_payload_breaks_the_signature() -> None:
    key = generate_key()
    token = jws_sign({"value": "a"}, key, kid="k")
    head, payload, sig = token.split(".")
    tampered = b64url(b64url_decode(payload).replace(b'"a"', b'"b"'))
    with pytest.raises(Invalid, match="signature check failed"):
        jws_verify(f"{head}.{tampered}.{sig}", key.public_key())


def test_a_signature_from_another_key_is_refused() -> None:
    token = jws_sign({"value": 1}, generate_key(), kid="k")
    with pytest.raises(Invalid):
        jws_verify(token, generate_key().public_key())


def test_pem_forms_round_trip() -> None:
    key = generate_key()
    again = private_key_from_pem(private_pem(key))
    assert public_jwk(again) == public_jwk(key)
    assert public_jwk(public_key_from_pem(public_pem(key.public_key()))) == public_jwk(key)


def test_a_jwk_that_is_not_an_ed25519_okp_key_is_refused() -> None:
    with pytest.raises(Invalid, match="Ed25519 OKP"):
        public_key_from_jwk({"kty": "RSA", "n": "x", "e": "AQAB"})
    with pytest.raises(Invalid, match="32-byte"):
        public_key_from_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64url(b"short")})


def _signed_with_header(header: dict[str, object], key: Ed25519PrivateKey) -> str:
    head = b64url(json.dumps(header).encode())
    body = b64url(b'{"value":1}')
    return f"{head}.{body}.{b64url(key.sign(f'{head}.{body}'.encode()))}"


def test_the_rfc_example_verifies_as_a_compact_jws_and_its_payload_must_be_json() -> None:
    token = f"{RFC_SIGNING_INPUT}.{RFC_SIGNATURE}"
    assert jws_header(token) == {"alg": "EdDSA"}
    # the RFC's payload is the text "Example of Ed25519 signing": signed, but not JSON
    with pytest.raises(Invalid, match="not JSON"):
        jws_verify(token, rfc_key().public_key())


def test_only_eddsa_without_critical_extensions_is_accepted() -> None:
    key = generate_key()
    good = _signed_with_header({"alg": "EdDSA", "kid": "k"}, key)
    assert jws_verify(good, key.public_key()) == {"value": 1}
    for header, words in (
        ({"alg": "none", "kid": "k"}, "not EdDSA"),
        ({"alg": "HS256", "kid": "k"}, "not EdDSA"),
        ({"alg": "EdDSA", "crit": ["exp"], "kid": "k"}, "critical"),
    ):
        with pytest.raises(Invalid, match=words):
            jws_verify(_signed_with_header(header, key), key.public_key())


@pytest.mark.parametrize(
    "spoil",
    [
        lambda t: t + "=",  # padding
        lambda t: t[:-2] + "+/",  # standard base64, not base64url
        lambda t: t.replace(".", "..", 1),  # four segments
        lambda t: t.rsplit(".", 1)[0],  # two segments
        lambda t: t[:-1] + " " + t[-1],  # a stray character the decoder would skip
        # the same signature bytes spelled another way: the last character's unused bits set
        lambda t: t[:-1] + ALPHABET[ALPHABET.index(t[-1]) | 1],
    ],
)
def test_a_jws_that_is_not_strict_compact_base64url_is_refused(spoil: Any) -> None:
    key = generate_key()
    token = jws_sign({"value": 1}, key, kid="k")
    with pytest.raises(Invalid):
        jws_verify(spoil(token), key.public_key())
