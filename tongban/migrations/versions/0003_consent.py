"""Consent: records (ISO/IEC TS 27560 shaped), their events, use counters, delegations.

The consent tables have no foreign keys into other branches: a record names its recipient
department by code and its subject by reference plus audit commitment.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23 18:13:35.123702
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kit.db

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("schema_version", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("subject_commitment", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=18), nullable=False),
        sa.Column("recipient_system", sa.String(length=64), nullable=True),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("purpose_text", sa.Text(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=16), nullable=False),
        sa.Column("legal_reference", sa.Text(), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("sensitive_requested", sa.JSON(), nullable=False),
        sa.Column("sensitive_items", sa.JSON(), nullable=False),
        sa.Column("onward_requested", sa.Boolean(), nullable=False),
        sa.Column("onward_transfer", sa.Boolean(), nullable=False),
        sa.Column("valid_from", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("use_period", sa.String(length=16), nullable=False),
        sa.Column("notice_id", sa.String(length=128), nullable=True),
        sa.Column("notice_sha256", sa.String(length=64), nullable=True),
        sa.Column("notice_text", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("jurisdiction", sa.String(length=16), nullable=False),
        sa.Column("withdrawal_method", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=16), nullable=False),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("active_leaf_index", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index("ix_consents_due", ["state", "valid_until"], unique=False)
        batch_op.create_index(
            "ix_consents_lookup", ["subject", "recipient", "purpose"], unique=False
        )

    op.create_table(
        "delegations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("delegate", sa.String(length=64), nullable=False),
        sa.Column("delegate_commitment", sa.String(length=64), nullable=False),
        sa.Column("principal", sa.String(length=64), nullable=False),
        sa.Column("principal_commitment", sa.String(length=64), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("valid_from", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("registered_by_kind", sa.String(length=16), nullable=False),
        sa.Column("registered_by_id", sa.String(length=64), nullable=False),
        sa.Column("registered_by_department", sa.String(length=18), nullable=True),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegations")),
    )
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.create_index("ix_delegations_pair", ["delegate", "principal"], unique=False)

    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("consent_id", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("delegation_id", sa.String(length=32), nullable=True),
        sa.Column("time", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consents.id"], name=op.f("fk_consent_events_consent_id_consents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_events_consent_id"), ["consent_id"], unique=False
        )

    op.create_table(
        "consent_uses",
        sa.Column("consent_id", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("last_used_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consents.id"], name=op.f("fk_consent_uses_consent_id_consents")
        ),
        sa.PrimaryKeyConstraint("consent_id", "period", name=op.f("pk_consent_uses")),
    )


def downgrade() -> None:
    op.drop_table("consent_uses")
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_events_consent_id"))

    op.drop_table("consent_events")
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.drop_index("ix_delegations_pair")

    op.drop_table("delegations")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index("ix_consents_lookup")
        batch_op.drop_index("ix_consents_due")

    op.drop_table("consents")
