"""webhooks: every synced list has updated_at (backfilled from created_at) and an (updated_at, id) index;
(created_at, id) where ids are UUIDs

Lists integrators sync from filter on ``updated_since`` and page in ``updated_at`` order; rows that
never had the column start with their creation time.

Revision ID: webhooks_0002
Revises: webhooks_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from services.common.migration_tables import add_sync_columns, drop_sync_columns

revision: str = "webhooks_0002"
down_revision: str | None = "webhooks_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_COLUMN = ["webhook_deliveries"]
# Tables whose ids are not sequential (UUIDs): creation order needs its own index.
CREATION_INDEXED = ["webhook_endpoints"]
INDEXED = ["webhook_endpoints", "webhook_deliveries"]


def upgrade() -> None:
    add_sync_columns(NEW_COLUMN, INDEXED, CREATION_INDEXED)


def downgrade() -> None:
    drop_sync_columns(NEW_COLUMN, INDEXED, CREATION_INDEXED)
