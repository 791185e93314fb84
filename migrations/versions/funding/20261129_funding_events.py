"""funding: transactional outbox (events it publishes) and inbox (ids of events it has applied)

Revision ID: funding_0003
Revises: funding_0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from services.common.migration_tables import create_inbox, create_outbox, drop_inbox, drop_outbox

revision: str = "funding_0003"
down_revision: str | None = "funding_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox()
    create_inbox()


def downgrade() -> None:
    drop_inbox()
    drop_outbox()
