"""outreach: officers, assignments, sessions and their history, attendance, leads, targets, counts

Revision ID: outreach_0002
Revises: outreach_0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime

revision: str = "outreach_0002"
down_revision: str | None = "outreach_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"], unique=False)
    op.create_table(
        "officers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nrp", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("rank", sa.String(length=60), nullable=False),
        sa.Column("unit", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officers")),
        sa.UniqueConstraint("nrp", name=op.f("uq_officers_nrp")),
    )
    op.create_table(
        "outreach_targets",
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint("target >= 0", name=op.f("ck_outreach_targets_target_not_negative")),
        sa.PrimaryKeyConstraint("village_code", "year", name=op.f("pk_outreach_targets")),
    )
    op.create_table(
        "village_worker_counts",
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("lapsed", sa.Integer(), nullable=False),
        sa.Column("inactive", sa.Integer(), nullable=False),
        sa.Column("deceased", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("village_code", name=op.f("pk_village_worker_counts")),
    )
    op.create_table(
        "officer_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_officer_assignments_valid_range")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_officer_assignments_officer_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_assignments")),
    )
    op.create_index(
        op.f("ix_officer_assignments_officer_id"), "officer_assignments", ["officer_id"], unique=False
    )
    op.create_index(
        op.f("ix_officer_assignments_village_code"), "officer_assignments", ["village_code"], unique=False
    )
    op.create_table(
        "outreach_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("venue", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("co_hosts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("recorded", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_outreach_sessions_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_outreach_sessions_officer_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_sessions")),
    )
    op.create_index(
        "ix_outreach_sessions_officer_starts", "outreach_sessions", ["officer_id", "starts_at"], unique=False
    )
    op.create_index(
        op.f("ix_outreach_sessions_village_code"), "outreach_sessions", ["village_code"], unique=False
    )
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("nik", sa.String(length=16), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["outreach_sessions.id"], name=op.f("fk_attendance_session_id_outreach_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("client_id", name=op.f("uq_attendance_client_id")),
    )
    op.create_index(op.f("ix_attendance_session_id"), "attendance", ["session_id"], unique=False)
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("nik", sa.String(length=16), nullable=True),
        sa.Column("occupation", sa.String(length=20), nullable=True),
        sa.Column("consent_given_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("consent_captured_by", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("worker_id", sa.String(length=64), nullable=True),
        sa.Column("linked_existing", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("converted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("converted_by", sa.String(length=120), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["officer_id"], ["officers.id"], name=op.f("fk_leads_officer_id_officers")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["outreach_sessions.id"], name=op.f("fk_leads_session_id_outreach_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("client_id", name=op.f("uq_leads_client_id")),
    )
    op.create_index(op.f("ix_leads_officer_id"), "leads", ["officer_id"], unique=False)
    op.create_index("ix_leads_village_code_status", "leads", ["village_code", "status"], unique=False)
    op.create_table(
        "outreach_session_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["outreach_sessions.id"],
            name=op.f("fk_outreach_session_history_session_id_outreach_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_session_history")),
    )
    op.create_index(
        op.f("ix_outreach_session_history_session_id"),
        "outreach_session_history",
        ["session_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_outreach_session_history_session_id"), table_name="outreach_session_history")
    op.drop_table("outreach_session_history")
    op.drop_index("ix_leads_village_code_status", table_name="leads")
    op.drop_index(op.f("ix_leads_officer_id"), table_name="leads")
    op.drop_table("leads")
    op.drop_index(op.f("ix_attendance_session_id"), table_name="attendance")
    op.drop_table("attendance")
    op.drop_index(op.f("ix_outreach_sessions_village_code"), table_name="outreach_sessions")
    op.drop_index("ix_outreach_sessions_officer_starts", table_name="outreach_sessions")
    op.drop_table("outreach_sessions")
    op.drop_index(op.f("ix_officer_assignments_village_code"), table_name="officer_assignments")
    op.drop_index(op.f("ix_officer_assignments_officer_id"), table_name="officer_assignments")
    op.drop_table("officer_assignments")
    op.drop_table("village_worker_counts")
    op.drop_table("outreach_targets")
    op.drop_table("officers")
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
