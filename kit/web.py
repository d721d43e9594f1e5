"""What every domain's router needs from the web edge, without importing the composition root.

The composition root (``tongban.app.create_app``) puts three things on ``app.state``:
``session_factory`` (a sessionmaker), ``authenticate`` (request -> Principal, raising
``Unauthorized``) and ``settings``. Routers depend on :data:`DbSession`, :func:`require`
and :func:`principal` only.

A department system's token is single-use: authentication records its ``jti`` in a
transaction of its own. A route that writes in one transaction anyway may take that over
(``require(..., spends_token=True)`` and :func:`unit_spending_token`), saving the hub a
write transaction per call; the authenticator then leaves a :data:`SpendToken` on
``request.state.spend_token`` instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Protocol

from anyio import CancelScope
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from kit.actors import Principal
from kit.db import SessionFactory, transaction
from kit.errors import Forbidden


def _session(request: Request) -> Iterator[Session]:
    with transaction(request.app.state.session_factory) as session:
        yield session


# One transaction per request, committed before the response is sent.
DbSession = Annotated[Session, Depends(_session, scope="function")]


DEFER_TOKEN = "defer_token"  # request.state: the route spends the token (see require)
SPEND_TOKEN = "spend_token"  # request.state: the SpendToken left for it


class SpendToken(Protocol):
    """Records the caller's token as used in ``session``; with ``strict`` a token already
    used is refused (``Unauthorized``), without it the call only makes sure it is recorded."""

    def __call__(self, session: Session, *, strict: bool = True) -> None: ...


def principal(request: Request) -> Principal:
    authenticate: Callable[[Request], Principal] = request.app.state.authenticate
    return authenticate(request)


def require(*roles: str, spends_token: bool = False) -> Any:
    """A dependency that authenticates the caller and checks it has one of ``roles``.

    With ``spends_token`` the route records a system token as used in its own transaction
    (:func:`unit_spending_token`); a token the route did not get to spend (it failed before
    its transaction, or never opened one) is recorded once the route is over.

    Both are coroutines that hand only the authentication to the threadpool (it reads the
    database), so a route crosses threads once for its caller and once for its own work: a
    plain ``def`` dependency is a crossing of its own, and a ``def`` generator two."""

    def allowed(who: Principal) -> Principal:
        if roles and not who.has(*roles):
            raise Forbidden(
                f"this needs one of the roles {', '.join(sorted(roles))}; "
                f"the caller has {', '.join(sorted(who.roles)) or 'none'}"
            )
        return who

    if not spends_token:

        async def check(request: Request) -> Principal:
            return allowed(await run_in_threadpool(principal, request))

        return Depends(check)

    async def check_spending(request: Request) -> AsyncIterator[Principal]:
        setattr(request.state, DEFER_TOKEN, True)
        try:
            yield allowed(await run_in_threadpool(principal, request))
        finally:
            spend: SpendToken | None = getattr(request.state, SPEND_TOKEN, None)
            if spend is not None:  # rarely: the route failed before its transaction
                setattr(request.state, SPEND_TOKEN, None)
                with CancelScope(shield=True):
                    await run_in_threadpool(_spend_unclaimed, request, spend)

    return Depends(check_spending, scope="function")


def _spend_unclaimed(request: Request, spend: SpendToken) -> None:
    with transaction(request.app.state.session_factory) as session:
        spend(session, strict=False)


def token_to_spend(request: Request) -> SpendToken | None:
    """Take over recording the caller's token as used (``require(..., spends_token=True)``):
    None for a caller without a single-use token. Whoever takes it must record it, in the
    work's transaction or, if the work fails, in one of its own (:func:`unit_spending_token`
    does both)."""
    spend: SpendToken | None = getattr(request.state, SPEND_TOKEN, None)
    setattr(request.state, SPEND_TOKEN, None)
    return spend


@contextmanager
def unit_spending_token(request: Request) -> Iterator[Session]:
    """The route's transaction, which first records the caller's token as used when the
    route took that over (``require(..., spends_token=True)``): see :func:`spending_unit`."""
    with spending_unit(request.app.state.session_factory, token_to_spend(request)) as session:
        yield session


@contextmanager
def spending_unit(factory: SessionFactory, spend: SpendToken | None) -> Iterator[Session]:
    """A transaction that first records a token as used (``spend``, if any): a replayed
    token is refused before any work. If the work fails, the token is still recorded, in a
    transaction of its own, so a refused request cannot be replayed either."""
    if spend is None:
        with transaction(factory) as session:
            yield session
        return
    claimed = False
    try:
        with transaction(factory) as session:
            spend(session)
            claimed = True
            yield session
    except BaseException:
        if claimed:  # the claim rolled back with the work
            with transaction(factory) as session:
                spend(session, strict=False)
        raise
