"""outreach: outbox, inbox and the per-worker tallies that keep village counts from registry events

Revision ID: outreach_0003
Revises: outreach_0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.migration_tables import create_inbox, create_outbox, drop_inbox, drop_outbox

revision: str = "outreach_0003"
down_revision: str | None = "outreach_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox()
    create_inbox()
    op.create_table(
        "worker_tallies",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_tallies")),
    )


def downgrade() -> None:
    op.drop_table("worker_tallies")
    drop_inbox()
    drop_outbox()
