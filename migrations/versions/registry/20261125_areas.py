"""registry: areas (kode wilayah reference table)

Revision ID: registry_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("registry",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "areas",
        sa.Column("code", sa.String(length=13), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent_code", sa.String(length=13), nullable=True),
        sa.ForeignKeyConstraint(["parent_code"], ["areas.code"], name=op.f("fk_areas_parent_code_areas")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_areas")),
    )
    op.create_index(op.f("ix_areas_parent_code"), "areas", ["parent_code"])
    op.create_index("ix_areas_level_code", "areas", ["level", "code"])


def downgrade() -> None:
    op.drop_index("ix_areas_level_code", table_name="areas")
    op.drop_index(op.f("ix_areas_parent_code"), table_name="areas")
    op.drop_table("areas")
