"""``HubClient``: calling the hub's REST API as a department system, a user or a citizen.

A system signs a fresh short-lived token with its own key for every request (the hub
remembers each token's ``jti``, so none is reused); a user logs in once; a citizen brings a
token from the identity provider. Any answer outside 2xx raises :class:`HubError` with the
hub's error body (``{"error", "detail", ...}``).

``http`` may be any ``httpx.Client`` — a FastAPI ``TestClient`` runs the same calls in-process.

A department system asks for exchanges and checks the provider's signature on each answer
against the provider department's published keys (``/v1/departments/{code}/jwks``, cached)::

    hub = HubClient("https://hub.example", "sys-health-01", Path("keys/health.pem"))
    answer = hub.exchange(grant_id, "person", "33010619900307185X", ["name"], "newborn-birth")
    claims = hub.verify(answer)       # raises VerificationFailed unless it all matches
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from kit.crypto import (
    Ed25519PrivateKey,
    jws_header,
    jws_verify,
    load_private_key,
    public_key_from_jwk,
)
from kit.errors import TongbanError
from tongban.auth import system_token


class HubError(Exception):
    """The hub answered outside 2xx: ``status`` and its error body."""

    def __init__(self, status: int, body: Any) -> None:
        detail = body.get("detail") if isinstance(body, dict) else body
        error = body.get("error") if isinstance(body, dict) else None
        super().__init__(f"{status} {error or ''}: {detail}".strip())
        self.status = status
        self.body = body
        self.error = error


class VerificationFailed(ValueError):
    """A signed payload does not verify, or does not say what the answer around it says."""


def signed_payload_of(answer: Mapping[str, Any]) -> str:
    """The provider's compact JWS in an exchange answer."""
    result = answer.get("result") or {}
    token = result.get("signed_payload") if isinstance(result, Mapping) else None
    if not isinstance(token, str):
        raise VerificationFailed("the answer carries no signed payload (no data was delivered)")
    return token


def verify_with_keys(token: str, keys: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Verify a compact JWS with the JWK (of ``keys``, a JWKS's ``keys``) its header names,
    and, when the JWK names its system, that the payload names the same signer."""
    try:
        kid = jws_header(token).get("kid")
    except TongbanError as exc:
        raise VerificationFailed(exc.detail) from exc
    jwk = next((k for k in keys if k.get("kid") == kid), None)
    if jwk is None:
        raise VerificationFailed(f"no published key {kid}: the signer is not known")
    try:
        claims = jws_verify(token, public_key_from_jwk(dict(jwk)))
    except TongbanError as exc:
        raise VerificationFailed(
            f"the signature of key {kid} does not verify: {exc.detail}"
        ) from exc
    system = jwk.get("system")
    if system is not None and claims.get("provider_system") != system:
        raise VerificationFailed(f"key {kid} belongs to system {system}, not to the one named")
    return claims


def check_answer(answer: Mapping[str, Any], claims: Mapping[str, Any]) -> None:
    """The signed claims must say what the exchange answer around them says."""
    result = answer.get("result") or {}
    provenance = result.get("provenance") or {}
    expected = {
        "exchange_id": answer.get("id"),
        "data": result.get("data"),
        "provider_code": provenance.get("department"),
        "provider_system": provenance.get("system"),
        "resource_code": provenance.get("resource_code"),
        "resource_version": provenance.get("resource_version"),
    }
    for name, value in expected.items():
        if value is not None and claims.get(name) != value:
            raise VerificationFailed(f"the signed {name} is not the answer's")


def _signing(system_id: str, key: Ed25519PrivateKey, audience: str) -> Callable[[], str]:
    def token() -> str:
        return system_token(system_id, key, audience=audience)

    return token


class HubClient:
    """One caller of the hub. ``HubClient(base_url, system_id, key_file)`` is a department
    system signing with its key file; or build one with :meth:`system`, :meth:`user` or
    :meth:`citizen`."""

    def __init__(
        self,
        base_url: str,
        system_id: str | None = None,
        key_file: Path | str | None = None,
        audience: str = "tongban-hub",
        *,
        token: Callable[[], str] | None = None,
        http: httpx.Client | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        if token is None and system_id is not None and key_file is not None:
            token = _signing(system_id, load_private_key(Path(key_file)), audience)
        self.token = token
        self.http = http or httpx.Client(timeout=timeout_s)
        self._jwks: dict[str, list[dict[str, Any]]] = {}

    @classmethod
    def system(
        cls,
        base_url: str,
        system_id: str,
        key: Ed25519PrivateKey,
        *,
        audience: str = "tongban-hub",
        http: httpx.Client | None = None,
    ) -> HubClient:
        """A department system, signing each request's token with its own key."""
        return cls(base_url, token=_signing(system_id, key, audience), http=http)

    @classmethod
    def citizen(cls, base_url: str, token: str, *, http: httpx.Client | None = None) -> HubClient:
        """A citizen with a token from the identity provider the hub trusts."""
        return cls(base_url, token=lambda: token, http=http)

    @classmethod
    def user(
        cls, base_url: str, username: str, password: str, *, http: httpx.Client | None = None
    ) -> HubClient:
        """A user (steward, reviewer, auditor), logged in once."""
        anonymous = cls(base_url, http=http)
        answer = anonymous.post("/v1/auth/login", {"username": username, "password": password})
        token = str(answer["access_token"])
        return cls(base_url, token=lambda: token, http=http)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request; the decoded JSON answer, or :class:`HubError`."""
        sent = dict(headers or {})
        if self.token is not None:
            sent["Authorization"] = f"Bearer {self.token()}"
        response = self.http.request(
            method, f"{self.base_url}{path}", json=body, params=params, headers=sent
        )
        try:
            answer = response.json() if response.content else None
        except ValueError:
            answer = response.text
        if not response.is_success:
            raise HubError(response.status_code, answer)
        return answer

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.request("POST", path, body=body, headers=headers or None)

    def department_jwks(self, code: str, *, refresh: bool = False) -> list[dict[str, Any]]:
        """The public keys the department's systems sign with (cached per client)."""
        if refresh or code not in self._jwks:
            found = self.get(f"/v1/departments/{code}/jwks")
            self._jwks[code] = list(found.get("keys", []) if isinstance(found, dict) else found)
        return self._jwks[code]

    def verify_signed(self, jws: str, department: str) -> dict[str, Any]:
        """Verify a provider's signed answer against the department's published keys and
        return its claims; raises :class:`VerificationFailed` (a ``ValueError``) when no key
        fits or the signature fails. A key not cached yet is looked up again once."""
        try:
            kid = jws_header(jws).get("kid")
        except TongbanError as exc:
            raise VerificationFailed(exc.detail) from exc
        keys = self.department_jwks(department)
        if not any(k.get("kid") == kid for k in keys):
            keys = self.department_jwks(department, refresh=True)
        return verify_with_keys(jws, keys)

    # -- exchanges (数据调用) -------------------------------------------------------------
    def exchange(
        self,
        grant_id: str,
        subject_type: str,
        subject_id: str,
        items: Sequence[str],
        purpose: str,
        *,
        consent_id: str | None = None,
        mode: str = "sync",
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Ask for one subject's record under a grant. A ``PENDING`` answer (HTTP 202: async,
        or not answered within the hub's budget) completes later: :meth:`wait` for it. A
        refusal, or a reply the hub refused (502), raises :class:`HubError`. Sending the same
        ``idempotency_key`` again returns the same exchange."""
        body = {
            "grant_id": grant_id,
            "subject": {"type": subject_type, "id": subject_id},
            "items": list(items),
            "purpose": purpose,
            "consent_id": consent_id,
            "mode": mode,
            "idempotency_key": idempotency_key or uuid.uuid4().hex,
        }
        answer: dict[str, Any] = self.post("/v1/exchanges", body)
        return answer

    def get_exchange(self, exchange_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.get(f"/v1/exchanges/{exchange_id}")
        return answer

    def wait(self, exchange_id: str, *, timeout_s: float = 30.0, every_s: float = 0.2) -> Any:
        """Poll an exchange until it is no longer PENDING, or ``timeout_s`` has passed."""
        deadline = time.monotonic() + timeout_s
        answer = self.get_exchange(exchange_id)
        while answer.get("status") == "PENDING" and time.monotonic() < deadline:
            time.sleep(every_s)
            answer = self.get_exchange(exchange_id)
        return answer

    def list_exchanges(self, **filters: Any) -> dict[str, Any]:
        """The caller's usage record: ``{"exchanges": [...], "next_cursor": ...}``; filters
        status, grant_id, resource_code, since, until, limit, cursor."""
        page: dict[str, Any] = self.get(
            "/v1/exchanges", **{k: v for k, v in filters.items() if v is not None}
        )
        return page

    def prefill(
        self,
        scenario: str,
        subjects: Mapping[str, str],
        *,
        consents: Mapping[str, str] | None = None,
        grants: Sequence[str] = (),
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Pre-fill a one-thing scenario's form (``POST /v1/prefill``, see docs/prefill.md)."""
        body = {
            "scenario": scenario,
            "subjects": dict(subjects),
            "consents": dict(consents or {}),
            "grants": list(grants),
            "idempotency_key": idempotency_key or uuid.uuid4().hex,
        }
        form: dict[str, Any] = self.post("/v1/prefill", body)
        return form

    def verify(self, answer: Mapping[str, Any]) -> dict[str, Any]:
        """Check an exchange answer on its own: the provider's signature against the provider
        department's published keys, and that the signed claims say what the answer says
        (exchange, data, department, system, resource). Returns the signed claims; raises
        :class:`VerificationFailed`."""
        token = signed_payload_of(answer)
        provenance = (answer.get("result") or {}).get("provenance") or {}
        claims = self.verify_signed(token, str(provenance.get("department")))
        check_answer(answer, claims)
        return claims

    def close(self) -> None:
        self.http.close()
