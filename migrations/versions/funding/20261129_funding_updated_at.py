"""funding: every synced list has updated_at (backfilled from created_at) and an (updated_at, id) index

Lists integrators sync from filter on ``updated_since`` and page in ``updated_at`` order; rows that
never had the column start with their creation time.

Revision ID: funding_0010
Revises: funding_0009
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from services.common.migration_tables import add_sync_columns, drop_sync_columns

revision: str = "funding_0010"
down_revision: str | None = "funding_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_COLUMN = ["invoices", "payments"]
INDEXED = ["funding_agreements", "invoices", "payments"]


def upgrade() -> None:
    add_sync_columns(NEW_COLUMN, INDEXED)


def downgrade() -> None:
    drop_sync_columns(NEW_COLUMN, INDEXED)
