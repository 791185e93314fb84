"""registry: workers, their history, imports, duplicate candidates, idempotency keys

Revision ID: registry_0002
Revises: registry_0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime

revision: str = "registry_0002"
down_revision: str | None = "registry_0001"
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
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"])
    op.create_table(
        "worker_imports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("total", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("accepted", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rejected", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("duplicate_existing", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("duplicate_in_file", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_imports")),
    )
    op.create_index(op.f("ix_worker_imports_village_code"), "worker_imports", ["village_code"])
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("nik", sa.String(length=16), nullable=True),
        sa.Column("temporary_id", sa.String(length=20), nullable=True),
        sa.Column("temporary_deadline", sa.Date(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("occupation", sa.String(length=20), nullable=False),
        sa.Column("declared_income_idr", sa.BigInteger(), nullable=False),
        sa.Column("programs", sa.String(length=20), nullable=False),
        sa.Column("funding", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_reason", sa.String(length=20), nullable=True),
        sa.Column("status_effective_date", sa.Date(), nullable=True),
        sa.Column("merged_into_id", sa.String(length=36), nullable=True),
        sa.Column("officer_id", sa.String(length=64), nullable=True),
        sa.Column("outreach_session_id", sa.String(length=64), nullable=True),
        sa.Column("lead_id", sa.String(length=64), nullable=True),
        sa.Column("import_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
        sa.UniqueConstraint("temporary_id", name=op.f("uq_workers_temporary_id")),
    )
    op.create_index("ix_workers_duplicate_key", "workers", ["village_code", "birth_date", "name_key"])
    op.create_index(op.f("ix_workers_import_id"), "workers", ["import_id"])
    op.create_index("ix_workers_nik", "workers", ["nik"])
    op.create_index("ix_workers_village_code_id", "workers", ["village_code", "id"])
    op.create_index("ix_workers_village_code_status", "workers", ["village_code", "status"])
    op.create_index(
        "ux_workers_active_nik",
        "workers",
        ["nik"],
        unique=True,
        postgresql_where=sa.text("nik IS NOT NULL AND status IN ('registered', 'active', 'lapsed')"),
        sqlite_where=sa.text("nik IS NOT NULL AND status IN ('registered', 'active', 'lapsed')"),
    )
    op.create_table(
        "duplicate_candidates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("other_worker_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("kept_worker_id", sa.String(length=36), nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["other_worker_id"], ["workers.id"], name=op.f("fk_duplicate_candidates_other_worker_id_workers")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_duplicate_candidates_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_candidates")),
        sa.UniqueConstraint(
            "worker_id", "other_worker_id", name=op.f("uq_duplicate_candidates_worker_id_other_worker_id")
        ),
    )
    op.create_index(
        "ix_duplicate_candidates_village_code_status",
        "duplicate_candidates",
        ["village_code", "status", "id"],
    )
    op.create_table(
        "worker_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_worker_history_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_history")),
    )
    op.create_index(op.f("ix_worker_history_worker_id"), "worker_history", ["worker_id"])
    op.create_table(
        "worker_import_rows",
        sa.Column("import_id", sa.String(length=36), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("errors", sa.Text(), nullable=True),
        sa.Column("worker_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"], ["worker_imports.id"], name=op.f("fk_worker_import_rows_import_id_worker_imports")
        ),
        sa.PrimaryKeyConstraint("import_id", "row_number", name=op.f("pk_worker_import_rows")),
    )
    op.create_index(
        "ix_worker_import_rows_result", "worker_import_rows", ["import_id", "result", "row_number"]
    )


def downgrade() -> None:
    op.drop_table("worker_import_rows")
    op.drop_table("worker_history")
    op.drop_table("duplicate_candidates")
    op.drop_table("workers")
    op.drop_table("worker_imports")
    op.drop_table("idempotency_keys")
