"""registry: the duplicate-detection name key holds a case-folded name (up to three times its length)

Revision ID: registry_0005
Revises: registry_0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0005"
down_revision: str | None = "registry_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.alter_column(
            "name_key",
            existing_type=sa.String(length=120),
            type_=sa.String(length=360),
            existing_nullable=False,
        )


def downgrade() -> None:
    # Keys longer than the old column are cut to fit it.
    op.execute("UPDATE workers SET name_key = substr(name_key, 1, 120) WHERE length(name_key) > 120")
    with op.batch_alter_table("workers") as batch:
        batch.alter_column(
            "name_key",
            existing_type=sa.String(length=360),
            type_=sa.String(length=120),
            existing_nullable=False,
        )
