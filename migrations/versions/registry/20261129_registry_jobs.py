"""registry: durable jobs; imports keep their file and resume point

Revision ID: registry_0004
Revises: registry_0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime

revision: str = "registry_0004"
down_revision: str | None = "registry_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("progress_done", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("progress_total", sa.BigInteger(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
        sa.Column("run_after", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_jobs_dedupe_key")),
    )
    op.create_index("ix_jobs_status_run_after", "jobs", ["status", "run_after"])
    op.add_column("worker_imports", sa.Column("job_id", sa.String(length=40), nullable=True))
    committed_row = sa.Column("committed_row", sa.Integer(), server_default=sa.text("0"), nullable=False)
    op.add_column("worker_imports", committed_row)
    op.create_table(
        "worker_import_files",
        sa.Column("import_id", sa.String(length=36), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["worker_imports.id"], name=op.f("fk_worker_import_files_import_id_worker_imports")
        ),
        sa.PrimaryKeyConstraint("import_id", name=op.f("pk_worker_import_files")),
    )


def downgrade() -> None:
    op.drop_table("worker_import_files")
    with op.batch_alter_table("worker_imports") as batch:
        batch.drop_column("committed_row")
        batch.drop_column("job_id")
    op.drop_index("ix_jobs_status_run_after", table_name="jobs")
    op.drop_table("jobs")
