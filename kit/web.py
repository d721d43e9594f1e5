"""What every domain's router needs from the web edge, without importing the composition root.

The composition root (``tongban.app.create_app``) puts three things on ``app.state``:
``session_factory`` (a sessionmaker), ``authenticate`` (request -> Principal, raising
``Unauthorized``) and ``settings``. Routers depend on :data:`DbSession`, :func:`require`
and :func:`principal` only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from kit.actors import Principal
from kit.db import transaction
from kit.errors import Forbidden


def _session(request: Request) -> Iterator[Session]:
    with transaction(request.app.state.session_factory) as session:
        yield session


# One transaction per request, committed before the response is sent.
DbSession = Annotated[Session, Depends(_session, scope="function")]


def principal(request: Request) -> Principal:
    authenticate: Callable[[Request], Principal] = request.app.state.authenticate
    return authenticate(request)


def require(*roles: str) -> Any:
    """A dependency that authenticates the caller and checks it has one of ``roles``."""

    def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if roles and not who.has(*roles):
            raise Forbidden(
                f"this needs one of the roles {', '.join(sorted(roles))}; "
                f"the caller has {', '.join(sorted(who.roles)) or 'none'}"
            )
        return who

    return Depends(check)
