"""outreach: start of the outreach branch (its own database and version table)

Revision ID: outreach_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "outreach_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("outreach",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: the branch exists so the database is versioned from day one."""


def downgrade() -> None:
    """Nothing to undo."""
