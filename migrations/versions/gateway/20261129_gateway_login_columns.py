"""gateway: drop the officer-login lockout columns (failures are counted per NRP and address instead)

Revision ID: gateway_0003
Revises: gateway_0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime

revision: str = "gateway_0003"
down_revision: str | None = "gateway_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nothing reads them since logins are limited per (NRP, address) in the rate-limit store: an
    # account-wide lock let anyone lock an officer out, and only real NRPs locked.
    with op.batch_alter_table("officer_logins") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("first_failed_at")
        batch.drop_column("failed_attempts")


def downgrade() -> None:
    with op.batch_alter_table("officer_logins") as batch:
        batch.add_column(
            sa.Column("failed_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.add_column(sa.Column("first_failed_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("locked_until", UTCDateTime(), nullable=True))
