"""The verifiable audit log: leaves in the caller's transaction, RFC 6962 Merkle tree,
signed checkpoints, proofs, export and offline verification."""

from audit.api import install_audit
from audit.api import router as audit_router
from audit.checkpointer import (
    CHECKPOINT_TOPIC,
    Checkpointer,
    StoredCheckpoint,
    checkpoint_of_size,
    latest_checkpoint,
    list_checkpoints,
)
from audit.errors import (
    CheckpointerMissing,
    CheckpointInTransaction,
    CheckpointNotFound,
    LeafNotFound,
    LogBroken,
    NotYourLeaf,
    SizeBeyondTree,
)
from audit.export import ExportSummary, export_log
from audit.leaf import Action, Leaf, subject_commitment
from audit.log import Entry, LeafDraft, commitment, record, record_many, subject_ref
from audit.proofs import ConsistencyProof, InclusionProof, ProofCache, tree_size
from audit.query import LeafView, entries
from audit.verify import Finding, Report, Tampering, verify_export

__all__ = [
    "CHECKPOINT_TOPIC",
    "Action",
    "CheckpointInTransaction",
    "CheckpointNotFound",
    "Checkpointer",
    "CheckpointerMissing",
    "ConsistencyProof",
    "Entry",
    "ExportSummary",
    "Finding",
    "InclusionProof",
    "Leaf",
    "LeafDraft",
    "LeafNotFound",
    "LeafView",
    "LogBroken",
    "NotYourLeaf",
    "ProofCache",
    "Report",
    "SizeBeyondTree",
    "StoredCheckpoint",
    "Tampering",
    "audit_router",
    "checkpoint_of_size",
    "commitment",
    "entries",
    "export_log",
    "install_audit",
    "latest_checkpoint",
    "list_checkpoints",
    "record",
    "record_many",
    "subject_commitment",
    "subject_ref",
    "tree_size",
    "verify_export",
]
