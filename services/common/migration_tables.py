"""DDL that several services' migrations share (frozen): the event tables, the sync-list columns.

The outbox (events a service publishes, written in the same transaction as the change) and the inbox
(events it has consumed, so a redelivery is a no-op) have the same shape in every service. Their Alembic
revisions call these functions instead of repeating the columns. This is frozen history: a later change
to the tables is a new revision, never an edit here, because revisions already applied must keep
describing what they did.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime


def create_outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("aggregate_type", sa.String(length=30), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("delivered_to", sa.String(length=100), server_default="", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("id", name=op.f("uq_outbox_id")),
    )
    op.create_index("ix_outbox_aggregate", "outbox", ["aggregate_type", "aggregate_id", "seq"])
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])


def drop_outbox() -> None:
    op.drop_index("ix_outbox_published_at", table_name="outbox")
    op.drop_index("ix_outbox_aggregate", table_name="outbox")
    op.drop_table("outbox")


def create_inbox() -> None:
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_inbox")),
    )
    op.create_index(op.f("ix_inbox_received_at"), "inbox", ["received_at"])


def drop_inbox() -> None:
    op.drop_index(op.f("ix_inbox_received_at"), table_name="inbox")
    op.drop_table("inbox")


def add_sync_columns(
    new_column: Sequence[str], indexed: Sequence[str], creation_indexed: Sequence[str] = ()
) -> None:
    """What sync lists need (2026-11-29 revisions): ``updated_at`` on the ``new_column`` tables,
    backfilled from ``created_at``; an ``(updated_at, id)`` index on ``indexed``; and a
    ``(created_at, id)`` index on ``creation_indexed`` (tables whose ids are UUIDs, not a sequence)."""
    for table in new_column:
        op.add_column(table, sa.Column("updated_at", UTCDateTime(), nullable=True))
        op.execute(f"UPDATE {table} SET updated_at = created_at")
        with op.batch_alter_table(table) as batch:
            batch.alter_column("updated_at", existing_type=UTCDateTime(), nullable=False)
    for table in indexed:
        op.create_index(f"ix_{table}_updated_at_id", table, ["updated_at", "id"])
    for table in creation_indexed:
        op.create_index(f"ix_{table}_created_at_id", table, ["created_at", "id"])


def drop_sync_columns(
    new_column: Sequence[str], indexed: Sequence[str], creation_indexed: Sequence[str] = ()
) -> None:
    for table in creation_indexed:
        op.drop_index(f"ix_{table}_created_at_id", table_name=table)
    for table in indexed:
        op.drop_index(f"ix_{table}_updated_at_id", table_name=table)
    for table in new_column:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("updated_at")
