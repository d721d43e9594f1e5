"""What the audit log refuses, each rendered by the one error handler (see ``kit.errors``)."""

from __future__ import annotations

from kit.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable


class SizeBeyondTree(Invalid):
    """A tree size (or leaf index) past the leaves the log holds."""

    def __init__(self, what: str, value: int, size: int) -> None:
        super().__init__(f"{what} {value} is beyond the log, which holds {size} leaves", size=size)


class LeafNotFound(NotFound):
    def __init__(self, index: int, size: int) -> None:
        super().__init__(f"there is no leaf {index}: the log holds {size} leaves", size=size)


class CheckpointNotFound(NotFound):
    """No signed checkpoint (of the size asked for) has been stored."""


class NotYourLeaf(Forbidden):
    """A department reads only the leaves that concern it (actor or referenced department)."""


class LogBroken(Conflict):
    """The stored leaves have a gap or no longer hash to a root the hub signed: the log was
    tampered with below the application. The checkpointer refuses to sign over it."""


class CheckpointInTransaction(Conflict):
    """A checkpoint is signed in a transaction that wrote no leaves of its own, so that the
    root it signs covers committed leaves only."""


class CheckpointerMissing(Unavailable):
    """This process was started without the hub's signing key for checkpoints."""
