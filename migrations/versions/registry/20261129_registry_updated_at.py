"""registry: every synced list has updated_at (backfilled from created_at) and an (updated_at, id) index;
(created_at, id) where ids are UUIDs

Lists integrators sync from filter on ``updated_since`` and page in ``updated_at`` order; rows that
never had the column start with their creation time.

Revision ID: registry_0006
Revises: registry_0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from services.common.migration_tables import add_sync_columns, drop_sync_columns

revision: str = "registry_0006"
down_revision: str | None = "registry_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_COLUMN = ["worker_imports", "duplicate_candidates"]
# Tables whose ids are not sequential (UUIDs): creation order needs its own index.
CREATION_INDEXED = ["workers", "worker_imports"]
INDEXED = ["workers", "worker_imports", "duplicate_candidates"]


def upgrade() -> None:
    add_sync_columns(NEW_COLUMN, INDEXED, CREATION_INDEXED)


def downgrade() -> None:
    drop_sync_columns(NEW_COLUMN, INDEXED, CREATION_INDEXED)
