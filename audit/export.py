"""Export the stored log for offline verification (layout: :mod:`audit.export_format`).

The export holds every leaf up to the newest stored checkpoint and every stored checkpoint,
read in one transaction, so what it ships is exactly what the hub has signed. Leaves are
streamed in primary-key ranges: memory stays flat however long the log is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from audit.checkpointer import latest_checkpoint, list_checkpoints
from audit.export_format import build_export
from audit.models import LEAVES
from audit.proofs import stream_leaves


@dataclass(frozen=True)
class ExportSummary:
    directory: Path
    leaves: int
    checkpoints: int
    root: bytes | None  # the root of the newest checkpoint (None when there is none)


def export_log(
    session: Session, directory: Path | str, *, public_key: Ed25519PublicKey, name: str
) -> ExportSummary:
    """Write the leaves up to the newest checkpoint, every checkpoint and the public key
    (``name`` is the key name the checkpoints are signed under) into ``directory``."""
    latest = latest_checkpoint(session)
    size = latest.size if latest else 0
    notes: list[str] = []
    after = 0
    while batch := list_checkpoints(session, after_id=after, limit=1000):
        notes.extend(item.note for item in batch)
        after = batch[-1].id
    path = build_export(
        directory,
        stream_leaves(session, 0, size, column=LEAVES.c.leaf),
        notes,
        public_key,
        name=name,
    )
    return ExportSummary(path, size, len(notes), latest.root if latest else None)
