"""Runtime exchanges: one row per data call, idempotent per (system, key).

No foreign keys into other branches: grants, resources and systems are referred to by their
codes and ids, so this branch depends on the foundation only.

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-23 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kit.db

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchanges",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("requester_system", sa.String(length=64), nullable=False),
        sa.Column("requester_code", sa.String(length=18), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("grant_id", sa.String(length=64), nullable=False),
        sa.Column("resource_code", sa.String(length=32), nullable=False),
        sa.Column("resource_version", sa.Integer(), nullable=False),
        sa.Column("schema_id", sa.String(length=100), nullable=False),
        sa.Column("schema_version", sa.String(length=20), nullable=False),
        sa.Column("provider_code", sa.String(length=18), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("subject_commitment", sa.String(length=64), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("consent_id", sa.String(length=64), nullable=True),
        sa.Column("consent_leaf", sa.BigInteger(), nullable=True),
        sa.Column("legal_reference", sa.Text(), nullable=True),
        sa.Column("objections", sa.JSON(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("request_leaf", sa.BigInteger(), nullable=False),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("provider_system", sa.String(length=64), nullable=True),
        sa.Column("kid", sa.String(length=64), nullable=True),
        sa.Column("jws", sa.Text(), nullable=True),
        sa.Column("jws_sha256", sa.String(length=64), nullable=True),
        sa.Column("issued_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("result_leaf", sa.BigInteger(), nullable=True),
        sa.Column("callback_status", sa.String(length=16), nullable=True),
        sa.Column("callback_attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchanges")),
        sa.UniqueConstraint("requester_system", "idempotency_key", name="uq_exchanges_idempotency"),
    )
    op.create_index(op.f("ix_exchanges_grant_id"), "exchanges", ["grant_id"], unique=False)
    op.create_index("ix_exchanges_pending", "exchanges", ["status", "sent_at"], unique=False)
    op.create_index(
        op.f("ix_exchanges_provider_code"), "exchanges", ["provider_code"], unique=False
    )
    op.create_index(
        "ix_exchanges_requester", "exchanges", ["requester_system", "created_at"], unique=False
    )
    op.create_index(
        op.f("ix_exchanges_requester_code"), "exchanges", ["requester_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_exchanges_requester_code"), table_name="exchanges")
    op.drop_index("ix_exchanges_requester", table_name="exchanges")
    op.drop_index(op.f("ix_exchanges_provider_code"), table_name="exchanges")
    op.drop_index("ix_exchanges_pending", table_name="exchanges")
    op.drop_index(op.f("ix_exchanges_grant_id"), table_name="exchanges")
    op.drop_table("exchanges")
