"""Applications, grants and objections: share applications with their step events, grants
with provider change requests and daily use counts, objections with their step events.

Depends on 0002 (catalog resources): applications, grants and objections refer to a resource
version by its row id.

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-23 18:16:29.644803
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kit.db

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = "0002"


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.String(length=32), nullable=True),
        sa.Column("requester_code", sa.String(length=18), nullable=False),
        sa.Column("provider_code", sa.String(length=18), nullable=False),
        sa.Column("authority_code", sa.String(length=18), nullable=False),
        sa.Column("applicant_kind", sa.String(length=16), nullable=False),
        sa.Column("applicant_id", sa.String(length=64), nullable=False),
        sa.Column("systems", sa.JSON(), nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("resource_code", sa.String(length=32), nullable=False),
        sa.Column("resource_version", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("share_type", sa.String(length=16), nullable=False),
        sa.Column("duty_basis", sa.Text(), nullable=False),
        sa.Column("statutory_duty", sa.Boolean(), nullable=False),
        sa.Column("scenario", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.Column("share_mode", sa.String(length=16), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("expected_volume", sa.Integer(), nullable=False),
        sa.Column("frequency_per_day", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("step_started_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("publish_first", sa.Boolean(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("coordinated", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["authority_code"],
            ["departments.code"],
            name=op.f("fk_applications_authority_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["applications.id"], name=op.f("fk_applications_parent_id_applications")
        ),
        sa.ForeignKeyConstraint(
            ["provider_code"],
            ["departments.code"],
            name=op.f("fk_applications_provider_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["requester_code"],
            ["departments.code"],
            name=op.f("fk_applications_requester_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_applications_resource_id_resources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applications_authority_code"), ["authority_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_applications_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_applications_provider_code"), ["provider_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_applications_requester_code"), ["requester_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_applications_resource_code"), ["resource_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_applications_share_type"), ["share_type"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_applications_status"), ["status"], unique=False)

    op.create_table(
        "objections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("resource_code", sa.String(length=32), nullable=False),
        sa.Column("resource_version", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("provider_code", sa.String(length=18), nullable=False),
        sa.Column("authority_code", sa.String(length=18), nullable=False),
        sa.Column("raiser_kind", sa.String(length=16), nullable=False),
        sa.Column("raiser_id", sa.String(length=64), nullable=True),
        sa.Column("raiser_department", sa.String(length=18), nullable=True),
        sa.Column("value_seen", sa.Text(), nullable=False),
        sa.Column("value_claimed", sa.Text(), nullable=False),
        sa.Column("evidence_text", sa.Text(), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("step_started_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("corrected_value", sa.Text(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("raised_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["authority_code"],
            ["departments.code"],
            name=op.f("fk_objections_authority_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_code"],
            ["departments.code"],
            name=op.f("fk_objections_provider_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_objections_resource_id_resources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_objections_authority_code"), ["authority_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_objections_provider_code"), ["provider_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_objections_raiser_department"), ["raiser_department"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_objections_resource_code"), ["resource_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_objections_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_objections_subject"), ["subject"], unique=False)

    op.create_table(
        "application_events",
        sa.Column("application_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_department", sa.String(length=18), nullable=True),
        sa.Column("at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_events_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_events")),
    )
    with op.batch_alter_table("application_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_events_actor_department"), ["actor_department"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_application_events_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "grants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("application_id", sa.String(length=32), nullable=False),
        sa.Column("requester_code", sa.String(length=18), nullable=False),
        sa.Column("provider_code", sa.String(length=18), nullable=False),
        sa.Column("authority_code", sa.String(length=18), nullable=False),
        sa.Column("systems", sa.JSON(), nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=False),
        sa.Column("resource_code", sa.String(length=32), nullable=False),
        sa.Column("resource_version", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.Column("scenario", sa.String(length=200), nullable=False),
        sa.Column("duty_basis", sa.Text(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=16), nullable=False),
        sa.Column("legal_reference", sa.Text(), nullable=True),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("share_mode", sa.String(length=16), nullable=False),
        sa.Column("frequency_per_day", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("expires_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_grants_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["authority_code"],
            ["departments.code"],
            name=op.f("fk_grants_authority_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_code"],
            ["departments.code"],
            name=op.f("fk_grants_provider_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["requester_code"],
            ["departments.code"],
            name=op.f("fk_grants_requester_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_grants_resource_id_resources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
    )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grants_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_grants_authority_code"), ["authority_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_grants_provider_code"), ["provider_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_grants_requester_code"), ["requester_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_grants_resource_code"), ["resource_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_grants_status"), ["status"], unique=False)

    op.create_table(
        "objection_events",
        sa.Column("objection_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_department", sa.String(length=18), nullable=True),
        sa.Column("at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["objection_id"],
            ["objections.id"],
            name=op.f("fk_objection_events_objection_id_objections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection_events")),
    )
    with op.batch_alter_table("objection_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_objection_events_actor_department"), ["actor_department"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_objection_events_objection_id"), ["objection_id"], unique=False
        )

    op.create_table(
        "grant_changes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("grant_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.id"], name=op.f("fk_grant_changes_grant_id_grants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_changes")),
    )
    with op.batch_alter_table("grant_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grant_changes_grant_id"), ["grant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grant_changes_status"), ["status"], unique=False)

    op.create_table(
        "grant_usage",
        sa.Column("grant_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.id"], name=op.f("fk_grant_usage_grant_id_grants")
        ),
        sa.PrimaryKeyConstraint("grant_id", "day", name=op.f("pk_grant_usage")),
    )


def downgrade() -> None:
    op.drop_table("grant_usage")
    with op.batch_alter_table("grant_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grant_changes_status"))
        batch_op.drop_index(batch_op.f("ix_grant_changes_grant_id"))

    op.drop_table("grant_changes")
    with op.batch_alter_table("objection_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objection_events_objection_id"))
        batch_op.drop_index(batch_op.f("ix_objection_events_actor_department"))

    op.drop_table("objection_events")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grants_status"))
        batch_op.drop_index(batch_op.f("ix_grants_resource_code"))
        batch_op.drop_index(batch_op.f("ix_grants_requester_code"))
        batch_op.drop_index(batch_op.f("ix_grants_provider_code"))
        batch_op.drop_index(batch_op.f("ix_grants_authority_code"))
        batch_op.drop_index(batch_op.f("ix_grants_application_id"))

    op.drop_table("grants")
    with op.batch_alter_table("application_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_events_application_id"))
        batch_op.drop_index(batch_op.f("ix_application_events_actor_department"))

    op.drop_table("application_events")
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objections_subject"))
        batch_op.drop_index(batch_op.f("ix_objections_status"))
        batch_op.drop_index(batch_op.f("ix_objections_resource_code"))
        batch_op.drop_index(batch_op.f("ix_objections_raiser_department"))
        batch_op.drop_index(batch_op.f("ix_objections_provider_code"))
        batch_op.drop_index(batch_op.f("ix_objections_authority_code"))

    op.drop_table("objections")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_status"))
        batch_op.drop_index(batch_op.f("ix_applications_share_type"))
        batch_op.drop_index(batch_op.f("ix_applications_resource_code"))
        batch_op.drop_index(batch_op.f("ix_applications_requester_code"))
        batch_op.drop_index(batch_op.f("ix_applications_provider_code"))
        batch_op.drop_index(batch_op.f("ix_applications_parent_id"))
        batch_op.drop_index(batch_op.f("ix_applications_authority_code"))

    op.drop_table("applications")
