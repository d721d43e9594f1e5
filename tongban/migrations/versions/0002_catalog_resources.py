"""Catalog resources: entries (one row per version), their items, reserved codes, history,
and the search index generation counter.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:13:20.660071
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kit.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    state = op.create_table(
        "resource_index_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_index_state")),
    )
    op.bulk_insert(state, [{"id": 1, "generation": 0}])
    op.create_table(
        "resource_codes",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("provider_code", sa.String(length=18), nullable=False),
        sa.Column("reserved_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_resource_codes")),
    )
    op.create_table(
        "resource_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_department", sa.String(length=18), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_transitions")),
    )
    with op.batch_alter_table("resource_transitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_transitions_code"), ["code"], unique=False)

    op.create_table(
        "resources",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("provider_code", sa.String(length=18), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("share_type", sa.String(length=16), nullable=False),
        sa.Column("share_condition", sa.Text(), nullable=False),
        sa.Column("share_mode", sa.String(length=16), nullable=False),
        sa.Column("open_type", sa.String(length=16), nullable=False),
        sa.Column("update_cycle", sa.String(length=16), nullable=False),
        sa.Column("grade", sa.String(length=16), nullable=False),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.Column("schema_id", sa.String(length=100), nullable=False),
        sa.Column("schema_version", sa.String(length=20), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("published_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retired_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.Column("retire_requested_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retire_requested_by", sa.String(length=64), nullable=True),
        sa.Column("retire_reason", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_code"],
            ["departments.code"],
            name=op.f("fk_resources_provider_code_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("code", "version", name="uq_resources_code_version"),
    )
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resources_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_resources_code"), ["code"], unique=False)
        batch_op.create_index("ix_resources_current", ["status", "superseded"], unique=False)
        batch_op.create_index(batch_op.f("ix_resources_grade"), ["grade"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_resources_provider_code"), ["provider_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_resources_share_type"), ["share_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_resources_status"), ["status"], unique=False)

    op.create_table(
        "resource_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("data_type", sa.String(length=1), nullable=False),
        sa.Column("length", sa.Integer(), nullable=True),
        sa.Column("share_type", sa.String(length=16), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("personal", sa.Boolean(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("element", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_resource_items_resource_id_resources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_items")),
        sa.UniqueConstraint("resource_id", "key", name="uq_resource_items_key"),
    )
    with op.batch_alter_table("resource_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_items_element"), ["element"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_resource_items_resource_id"), ["resource_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("resource_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_items_resource_id"))
        batch_op.drop_index(batch_op.f("ix_resource_items_element"))

    op.drop_table("resource_items")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resources_status"))
        batch_op.drop_index(batch_op.f("ix_resources_share_type"))
        batch_op.drop_index(batch_op.f("ix_resources_provider_code"))
        batch_op.drop_index(batch_op.f("ix_resources_grade"))
        batch_op.drop_index("ix_resources_current")
        batch_op.drop_index(batch_op.f("ix_resources_code"))
        batch_op.drop_index(batch_op.f("ix_resources_category"))

    op.drop_table("resources")
    with op.batch_alter_table("resource_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_transitions_code"))

    op.drop_table("resource_transitions")
    op.drop_table("resource_codes")
    op.drop_table("resource_index_state")
