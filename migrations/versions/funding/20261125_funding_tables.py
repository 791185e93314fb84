"""funding: rate schedules (seeded), agreements, rosters, invoices, payments

Revision ID: funding_0002
Revises: funding_0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime

revision: str = "funding_0002"
down_revision: str | None = "funding_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period_idx", sa.Integer(), nullable=False),
        sa.Column("invoices_issued", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lines", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_idr", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_runs")),
    )
    op.create_index(op.f("ix_billing_runs_period_idx"), "billing_runs", ["period_idx"], unique=False)
    op.create_table(
        "funded_workers",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("occupation", sa.String(length=20), nullable=False),
        sa.Column("declared_income_idr", sa.BigInteger(), nullable=False),
        sa.Column("has_jht", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("registry_version", sa.Integer(), nullable=True),
        sa.Column("synced_at", UTCDateTime(), nullable=False),
        sa.Column("lapsed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_funded_workers")),
    )
    op.create_index(op.f("ix_funded_workers_village_code"), "funded_workers", ["village_code"], unique=False)
    op.create_table(
        "funding_agreements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("legal_reference", sa.String(length=200), nullable=False),
        sa.Column("budget_ceiling_idr", sa.BigInteger(), nullable=False),
        sa.Column("start_idx", sa.Integer(), nullable=False),
        sa.Column("end_idx", sa.Integer(), nullable=False),
        sa.Column("includes_jht", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("allow_over_budget", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default=sa.text("'draft'"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_agreements")),
    )
    op.create_index(
        "ix_funding_agreements_status_period",
        "funding_agreements",
        ["status", "start_idx", "end_idx"],
        unique=False,
    )
    op.create_index(
        op.f("ix_funding_agreements_village_code"), "funding_agreements", ["village_code"], unique=False
    )
    op.create_table(
        "funding_programs",
        sa.Column("program", sa.String(length=3), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("program", name=op.f("pk_funding_programs")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"], unique=False)
    op.create_table(
        "invoice_counters",
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("village_code", "year", name=op.f("pk_invoice_counters")),
    )
    op.create_table(
        "rate_schedules",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("effective_from_idx", sa.Integer(), nullable=False),
        sa.Column("effective_to_idx", sa.Integer(), nullable=True),
        sa.Column("min_income_idr", sa.BigInteger(), nullable=False),
        sa.Column("max_income_idr", sa.BigInteger(), nullable=False),
        sa.Column("jkk_rate_bp", sa.Integer(), nullable=False),
        sa.Column("jkk_min_idr", sa.BigInteger(), nullable=False),
        sa.Column("jkk_max_idr", sa.BigInteger(), nullable=False),
        sa.Column("jkm_flat_idr", sa.BigInteger(), nullable=False),
        sa.Column("jht_rate_bp", sa.Integer(), nullable=False),
        sa.Column("superseded_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_schedules")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_rate_schedules_code_version")),
    )
    op.create_table(
        "agreement_members",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), server_default=sa.text("'active'"), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["funding_agreements.id"],
            name=op.f("fk_agreement_members_agreement_id_funding_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["funded_workers.worker_id"],
            name=op.f("fk_agreement_members_worker_id_funded_workers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_members")),
        sa.UniqueConstraint(
            "agreement_id", "worker_id", name=op.f("uq_agreement_members_agreement_id_worker_id")
        ),
    )
    op.create_index(op.f("ix_agreement_members_worker_id"), "agreement_members", ["worker_id"], unique=False)
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("period_idx", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence_no", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'draft'"), nullable=False),
        sa.Column("total_idr", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("paid_idr", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("credited_idr", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("billing_run_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("voided_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["funding_agreements.id"],
            name=op.f("fk_invoices_agreement_id_funding_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["billing_run_id"], ["billing_runs.id"], name=op.f("fk_invoices_billing_run_id_billing_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("agreement_id", "period_idx", name=op.f("uq_invoices_agreement_id_period_idx")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
        sa.UniqueConstraint(
            "village_code", "year", "sequence_no", name=op.f("uq_invoices_village_code_year_sequence_no")
        ),
    )
    op.create_index(op.f("ix_invoices_billing_run_id"), "invoices", ["billing_run_id"], unique=False)
    op.create_index(
        "ix_invoices_village_code_period_idx", "invoices", ["village_code", "period_idx"], unique=False
    )
    op.create_table(
        "rate_discounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("schedule_id", sa.String(length=60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_idx", sa.Integer(), nullable=False),
        sa.Column("end_idx", sa.Integer(), nullable=False),
        sa.Column("percent_payable", sa.Integer(), nullable=False),
        sa.Column("covers_jkk", sa.Boolean(), nullable=False),
        sa.Column("covers_jkm", sa.Boolean(), nullable=False),
        sa.Column("all_occupations", sa.Boolean(), nullable=False),
        sa.Column("applies_to_government_paid", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"], ["rate_schedules.id"], name=op.f("fk_rate_discounts_schedule_id_rate_schedules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_discounts")),
    )
    op.create_index(op.f("ix_rate_discounts_schedule_id"), "rate_discounts", ["schedule_id"], unique=False)
    op.create_table(
        "credit_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("amount_idr", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_credit_notes_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
    )
    op.create_index(op.f("ix_credit_notes_invoice_id"), "credit_notes", ["invoice_id"], unique=False)
    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("program", sa.String(length=3), nullable=False),
        sa.Column("schedule_id", sa.String(length=60), nullable=False),
        sa.Column("declared_income_idr", sa.BigInteger(), nullable=False),
        sa.Column("amount_idr", sa.BigInteger(), nullable=False),
        sa.Column("discount_idr", sa.BigInteger(), nullable=False),
        sa.Column("paid_idr", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("credited_idr", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_lines_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
        sa.UniqueConstraint("invoice_id", "line_no", name=op.f("uq_invoice_lines_invoice_id_line_no")),
    )
    op.create_index(op.f("ix_invoice_lines_worker_id"), "invoice_lines", ["worker_id"], unique=False)
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("amount_idr", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payments_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("village_code", "reference", name=op.f("uq_payments_village_code_reference")),
    )
    op.create_index(op.f("ix_payments_invoice_id"), "payments", ["invoice_id"], unique=False)
    op.create_table(
        "rate_discount_occupations",
        sa.Column("discount_id", sa.Integer(), nullable=False),
        sa.Column("occupation", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["discount_id"],
            ["rate_discounts.id"],
            name=op.f("fk_rate_discount_occupations_discount_id_rate_discounts"),
        ),
        sa.PrimaryKeyConstraint("discount_id", "occupation", name=op.f("pk_rate_discount_occupations")),
    )
    _seed()


# The seed, frozen as data (what pricing.default_schedules() gave on 2026-11-25): a migration must not
# change because live code did. Later rates come as new versions (POST /v1/rate-schedules/{code}/versions).
_SEEDED_AT = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
SEED: dict[str, list[dict[str, Any]]] = {
    "funding_programs": [
        {"program": "JKK", "position": 0},
        {"program": "JKM", "position": 1},
        {"program": "JHT", "position": 2},
    ],
    "rate_schedules": [
        {
            "id": "bpu-2026",
            "code": "bpu-2026",
            "version": 1,
            "name": "BPU contributions (JKK 1 %, JKM Rp6,800, JHT 2 %)",
            "effective_from_idx": 24312,
            "effective_to_idx": None,
            "min_income_idr": 1000000,
            "max_income_idr": 20700000,
            "jkk_rate_bp": 100,
            "jkk_min_idr": 10000,
            "jkk_max_idr": 207000,
            "jkm_flat_idr": 6800,
            "jht_rate_bp": 200,
            "superseded_at": None,
            "created_at": _SEEDED_AT,
            "created_by": "migration",
        }
    ],
    "rate_discounts": [
        {
            "id": 1,
            "schedule_id": "bpu-2026",
            "position": 0,
            "name": "PP 50/2025 (all BPU workers)",
            "start_idx": 24315,
            "end_idx": 24323,
            "percent_payable": 50,
            "covers_jkk": True,
            "covers_jkm": True,
            "all_occupations": True,
            "applies_to_government_paid": False,
        },
        {
            "id": 2,
            "schedule_id": "bpu-2026",
            "position": 1,
            "name": "PP 50/2025 (transport workers)",
            "start_idx": 24312,
            "end_idx": 24326,
            "percent_payable": 50,
            "covers_jkk": True,
            "covers_jkm": True,
            "all_occupations": False,
            "applies_to_government_paid": False,
        },
    ],
    "rate_discount_occupations": [
        {"discount_id": 2, "occupation": "ojol"},
        {"discount_id": 2, "occupation": "sopir"},
    ],
}


def _seed() -> None:
    """Reference data: the programmes and the rate schedules in force when Sasar started (PP 50/2025)."""
    bind = op.get_bind()
    metadata = sa.MetaData()
    metadata.reflect(
        bind, only=["funding_programs", "rate_schedules", "rate_discounts", "rate_discount_occupations"]
    )
    for table_name, values in SEED.items():
        if values:
            bind.execute(metadata.tables[table_name].insert(), values)


def downgrade() -> None:

    op.drop_table("rate_discount_occupations")
    op.drop_index(op.f("ix_payments_invoice_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_index(op.f("ix_invoice_lines_worker_id"), table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.drop_index(op.f("ix_credit_notes_invoice_id"), table_name="credit_notes")
    op.drop_table("credit_notes")
    op.drop_index(op.f("ix_rate_discounts_schedule_id"), table_name="rate_discounts")
    op.drop_table("rate_discounts")
    op.drop_index("ix_invoices_village_code_period_idx", table_name="invoices")
    op.drop_index(op.f("ix_invoices_billing_run_id"), table_name="invoices")
    op.drop_table("invoices")
    op.drop_index(op.f("ix_agreement_members_worker_id"), table_name="agreement_members")
    op.drop_table("agreement_members")
    op.drop_table("rate_schedules")
    op.drop_table("invoice_counters")
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_table("funding_programs")
    op.drop_index(op.f("ix_funding_agreements_village_code"), table_name="funding_agreements")
    op.drop_index("ix_funding_agreements_status_period", table_name="funding_agreements")
    op.drop_table("funding_agreements")
    op.drop_index(op.f("ix_funded_workers_village_code"), table_name="funded_workers")
    op.drop_table("funded_workers")
    op.drop_index(op.f("ix_billing_runs_period_idx"), table_name="billing_runs")
    op.drop_table("billing_runs")
