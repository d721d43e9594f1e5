"""Foundation: departments, systems, keys, users, outbox, inbox, the audit log.

The audit tables are append-only: triggers refuse UPDATE and DELETE on both backends and
TRUNCATE on PostgreSQL, set to fire always (also for replication sessions). That is defence
in depth; detection comes from the Merkle proofs.

Role layout for production on PostgreSQL (run by the DBA, not by this migration):

    CREATE ROLE tongban_owner;            -- owns the schema, runs migrations
    CREATE ROLE tongban_app LOGIN;        -- what the hub connects as
    GRANT SELECT, INSERT ON audit_leaves, audit_refs, audit_checkpoints TO tongban_app;
    GRANT SELECT, INSERT, UPDATE ON audit_head TO tongban_app;
    GRANT SELECT, INSERT, DELETE ON audit_subject_salts TO tongban_app;  -- erasure
    -- and SELECT, INSERT, UPDATE, DELETE on the other tables

Revision ID: 0001
Revises:
Create Date: 2026-11-23 18:00:37.046188
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kit.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    with op.batch_alter_table("audit_checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_checkpoints_size"), ["size"], unique=False)

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_leaves",
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("time", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_department", sa.String(length=18), nullable=True),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("index", name=op.f("pk_audit_leaves")),
    )
    with op.batch_alter_table("audit_leaves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_leaves_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_leaves_actor_department"), ["actor_department"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_leaves_subject"), ["subject"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_leaves_time"), ["time"], unique=False)

    op.create_table(
        "audit_subject_salts",
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject_key", name=op.f("pk_audit_subject_salts")),
    )
    op.create_table(
        "departments",
        sa.Column("code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("is_authority", sa.Boolean(), nullable=False),
        sa.Column("parent_code", sa.String(length=18), nullable=True),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["departments.code"],
            name=op.f("fk_departments_parent_code_departments"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departments")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["sent_at", "id"], unique=False)

    op.create_table(
        "processed_messages",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("processed_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "message_id", name=op.f("pk_processed_messages")),
    )
    op.create_table(
        "used_token_ids",
        sa.Column("jti", sa.String(length=128), nullable=False),
        sa.Column("system_id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_used_token_ids")),
    )
    with op.batch_alter_table("used_token_ids", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_used_token_ids_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "audit_refs",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["leaf_index"],
            ["audit_leaves.index"],
            name=op.f("fk_audit_refs_leaf_index_audit_leaves"),
        ),
        sa.PrimaryKeyConstraint("leaf_index", "name", "value", name=op.f("pk_audit_refs")),
    )
    with op.batch_alter_table("audit_refs", schema=None) as batch_op:
        batch_op.create_index("ix_audit_refs_name_value", ["name", "value"], unique=False)

    op.create_table(
        "systems",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("department_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("callback_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_systems_department_code_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_systems")),
    )
    with op.batch_alter_table("systems", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_systems_department_code"), ["department_code"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("department_code", sa.String(length=18), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_users_department_code_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_users_department_code"), ["department_code"], unique=False
        )

    op.create_table(
        "system_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("system_id", sa.String(length=64), nullable=False),
        sa.Column("jwk", sa.JSON(), nullable=False),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["system_id"], ["systems.id"], name=op.f("fk_system_keys_system_id_systems")
        ),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_system_keys")),
    )
    with op.batch_alter_table("system_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_system_keys_system_id"), ["system_id"], unique=False)

    op.execute("INSERT INTO audit_head (id, size) VALUES (1, 0)")
    _protect_audit_tables()


APPEND_ONLY = ("audit_leaves", "audit_refs", "audit_checkpoints")


def _protect_audit_tables() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
                )
        return
    op.execute(
        "CREATE FUNCTION tongban_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION tongban_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION tongban_append_only()"
        )
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_change")
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    else:
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS tongban_append_only()")
    with op.batch_alter_table("system_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_system_keys_system_id"))

    op.drop_table("system_keys")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_department_code"))

    op.drop_table("users")
    with op.batch_alter_table("systems", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_systems_department_code"))

    op.drop_table("systems")
    with op.batch_alter_table("audit_refs", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_refs_name_value")

    op.drop_table("audit_refs")
    with op.batch_alter_table("used_token_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_token_ids_expires_at"))

    op.drop_table("used_token_ids")
    op.drop_table("processed_messages")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox")
    op.drop_table("departments")
    op.drop_table("audit_subject_salts")
    with op.batch_alter_table("audit_leaves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_leaves_time"))
        batch_op.drop_index(batch_op.f("ix_audit_leaves_subject"))
        batch_op.drop_index(batch_op.f("ix_audit_leaves_actor_department"))
        batch_op.drop_index(batch_op.f("ix_audit_leaves_action"))

    op.drop_table("audit_leaves")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_checkpoints_size"))

    op.drop_table("audit_checkpoints")
