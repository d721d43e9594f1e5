"""Who used my data (谁用了我的数据): the exchanges about one subject, read from the audit log
through the subject's commitment, never through anything else."""

from __future__ import annotations

from sqlalchemy.orm import Session

from audit import Action, LeafView, commitment, entries
from consent.values import Use

USAGE_ACTIONS = (str(Action.EXCHANGE_REQUEST), str(Action.EXCHANGE_FULFIL))
MAX_PAGE = 500


def _use(leaf: LeafView) -> Use:
    refs = leaf.refs
    items = tuple(k for k in refs.get("items", "").split(",") if k)
    return Use(
        leaf_index=leaf.index,
        time=leaf.time,
        action=leaf.action,
        outcome=leaf.outcome,
        exchange=refs.get("exchange"),
        requester=refs.get("requester"),
        system=refs.get("system"),
        provider=refs.get("provider"),
        resource=refs.get("resource"),
        version=refs.get("version"),
        items=items,
        purpose=refs.get("purpose"),
        basis=refs.get("basis"),
        consent=refs.get("consent"),
        consent_leaf=refs.get("consent_leaf"),
    )


def usage(session: Session, *, subject: str, after_index: int = -1, limit: int = 100) -> list[Use]:
    """The ``exchange:request`` and ``exchange:fulfil`` leaves about ``subject`` (a checked
    subject reference), oldest first, after ``after_index``. A subject with no salt yet —
    no leaf ever named them — has no usage."""
    mine = commitment(session, subject, create=False)
    if mine is None:
        return []
    leaves = entries(
        session,
        subject=subject,
        actions=USAGE_ACTIONS,
        after_index=after_index,
        limit=max(1, min(limit, MAX_PAGE)),
    )
    return [_use(leaf) for leaf in leaves if leaf.subject == mine]
