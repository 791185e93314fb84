"""funding: funded_months (at most one agreement funds a worker in a month); members' last billed month

Revision ID: funding_0004
Revises: funding_0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "funding_0004"
down_revision: str | None = "funding_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Months 0..11 of a fiscal year, written out: migrations never import live code.
_OFFSETS = " UNION ALL ".join(f"SELECT {n} AS n" for n in range(12))


def upgrade() -> None:
    op.create_table(
        "funded_months",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("period_idx", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["funding_agreements.id"],
            name=op.f("fk_funded_months_agreement_id_funding_agreements"),
        ),
        sa.PrimaryKeyConstraint("worker_id", "period_idx", name=op.f("pk_funded_months")),
    )
    op.create_index(op.f("ix_funded_months_agreement_id"), "funded_months", ["agreement_id"])
    op.add_column("agreement_members", sa.Column("last_period_idx", sa.Integer(), nullable=True))
    # Existing rosters: the earliest agreement keeps a month that two of them claim.
    op.execute(
        f"""
        INSERT INTO funded_months (worker_id, period_idx, agreement_id)
        SELECT m.worker_id, a.start_idx + o.n, a.id
        FROM agreement_members m JOIN funding_agreements a ON a.id = m.agreement_id
        JOIN ({_OFFSETS}) o ON a.start_idx + o.n <= a.end_idx
        WHERE m.status = 'active' AND a.status <> 'ended'
        ORDER BY a.id
        ON CONFLICT DO NOTHING
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("agreement_members") as batch:
        batch.drop_column("last_period_idx")
    op.drop_index(op.f("ix_funded_months_agreement_id"), table_name="funded_months")
    op.drop_table("funded_months")
