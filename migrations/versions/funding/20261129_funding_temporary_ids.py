"""funding: the worker copy keeps the temporary-id deadline (overdue temporary ids block rostering)

Revision ID: funding_0008
Revises: funding_0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "funding_0008"
down_revision: str | None = "funding_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Copies made before this revision learn their deadline from the worker's next registry event.
    with op.batch_alter_table("funded_workers") as batch:
        batch.add_column(sa.Column("temporary_id_expires_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("funded_workers") as batch:
        batch.drop_column("temporary_id_expires_on")
