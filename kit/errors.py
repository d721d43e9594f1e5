"""The error tree shared by every package.

Services raise these; the API renders every one of them with a single handler as
``{"error": "ClassName", "detail": "..."}`` and the status of its branch. Expected outcomes
are always 4xx: a service never raises an HTTP exception of its own.
"""

from __future__ import annotations

from typing import Any, ClassVar


class TongbanError(Exception):
    """Base of every expected failure. ``status`` is the HTTP status it renders as."""

    status: ClassVar[int] = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def code(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "detail": self.detail}
        body.update(self.extra)
        return body


class Invalid(TongbanError):
    """The input breaks a rule (a missing field, a bad code, an illegal value)."""

    status = 422


class NotFound(TongbanError):
    status = 404


class Conflict(TongbanError):
    """The input is well formed but the current state does not allow it."""

    status = 409


class Unauthorized(TongbanError):
    """The caller could not be authenticated; ``detail`` says why."""

    status = 401


class Forbidden(TongbanError):
    """The caller is known but may not do this."""

    status = 403


class TooManyRequests(TongbanError):
    status = 429

    def __init__(self, detail: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, retry_after=retry_after, **extra)
        self.retry_after = retry_after


class UpstreamFailed(TongbanError):
    """Another party (a provider, a source) answered with something the hub cannot accept."""

    status = 502


class Unavailable(TongbanError):
    status = 503
