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

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime

revision: str = "webhooks_0002"
down_revision: str | None = "webhooks_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_COLUMN = ["webhook_deliveries"]
# Tables whose ids are not sequential (UUIDs): creation order needs its own index.
CREATION_INDEXED = ["webhook_endpoints"]
INDEXED = ["webhook_endpoints", "webhook_deliveries"]


def upgrade() -> None:
    for table in NEW_COLUMN:
        op.add_column(table, sa.Column("updated_at", UTCDateTime(), nullable=True))
        op.execute(f"UPDATE {table} SET updated_at = created_at")
        with op.batch_alter_table(table) as batch:
            batch.alter_column("updated_at", existing_type=UTCDateTime(), nullable=False)
    for table in INDEXED:
        op.create_index(f"ix_{table}_updated_at_id", table, ["updated_at", "id"])
    for table in CREATION_INDEXED:
        op.create_index(f"ix_{table}_created_at_id", table, ["created_at", "id"])


def downgrade() -> None:
    for table in CREATION_INDEXED:
        op.drop_index(f"ix_{table}_created_at_id", table_name=table)
    for table in INDEXED:
        op.drop_index(f"ix_{table}_updated_at_id", table_name=table)
    for table in NEW_COLUMN:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("updated_at")
