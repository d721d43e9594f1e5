"""Fixtures for the citizen-facing API: the demo identity provider and a client that
trusts it (the client must be built after the provider's JWKS exists)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from kit.crypto import Ed25519PrivateKey
from tests.conftest import make_client
from tongban.auth import citizen_token
from tongban.cli.citizen import ensure_idp
from tongban.settings import Settings
from tongban.wiring import Hub


@pytest.fixture
def idp(settings: Settings) -> Ed25519PrivateKey:
    return ensure_idp(settings)


@pytest.fixture
def api(hub: Hub, idp: Ed25519PrivateKey) -> Iterator[TestClient]:
    with make_client(hub) as client:
        yield client


@pytest.fixture
def as_citizen(settings: Settings, idp: Ed25519PrivateKey) -> Callable[[str], dict[str, str]]:
    """``as_citizen(id)`` → request headers carrying an identity-provider token for ``id``."""

    def headers(ident: str) -> dict[str, str]:
        token = citizen_token(
            ident, idp, issuer=settings.idp_issuer, audience=settings.hub_id, name="测试"
        )
        return {"Authorization": f"Bearer {token}"}

    return headers
