"""funding: members' first billed month, supplementary invoices, payments spread over several invoices

- ``agreement_members.first_period_idx``: a worker is billed from the month they joined (existing rows:
  the agreement's first month, which is what they were billed from until now);
- ``invoices.kind`` (``regular`` | ``supplementary``) and no more one-invoice-per-agreement-month: a
  worker who joins after the month's invoice, or a month whose invoice was voided, is billed on a new
  invoice with a new (gapless) number;
- ``payment_allocations``: one SP2D (treasury disbursement order) may pay several invoices of its village;
  each existing payment becomes one allocation of its whole amount to its invoice;
- ``billing_runs.kind``/``reason``/``agreement_id``: back-billing of months before a member joined is a
  recorded, explicit run;
- ``rate_discounts.applies_to_government_paid`` becomes two switches, ``applies_to_dana_desa`` and
  ``applies_to_apbd_kelurahan`` (each taking the old value): the regulation may open a reduction to the
  village fund and not to a city's budget.

Revision ID: funding_0009
Revises: funding_0008
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "funding_0009"
down_revision: str | None = "funding_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agreement_members") as batch:
        batch.add_column(sa.Column("first_period_idx", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE agreement_members SET first_period_idx = "
        "(SELECT a.start_idx FROM funding_agreements a WHERE a.id = agreement_members.agreement_id)"
    )
    with op.batch_alter_table("agreement_members") as batch:
        batch.alter_column("first_period_idx", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=14), server_default="regular", nullable=False))
        batch.drop_constraint("uq_invoices_agreement_id_period_idx", type_="unique")
        batch.create_index("ix_invoices_agreement_id_period_idx", ["agreement_id", "period_idx"])
        batch.create_check_constraint("kind", "kind IN ('regular', 'supplementary')")

    with op.batch_alter_table("billing_runs") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=12), server_default="monthly", nullable=False))
        batch.add_column(sa.Column("reason", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("agreement_id", sa.Integer(), nullable=True))
        batch.create_check_constraint("kind", "kind IN ('monthly', 'back_billing')")

    op.create_table(
        "payment_allocations",
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount_idr", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_allocations_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payment_allocations_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("payment_id", "invoice_id", name=op.f("pk_payment_allocations")),
        sa.CheckConstraint("amount_idr > 0", name=op.f("ck_payment_allocations_amount_positive")),
    )
    op.create_index(op.f("ix_payment_allocations_invoice_id"), "payment_allocations", ["invoice_id"])
    op.execute(
        "INSERT INTO payment_allocations (payment_id, invoice_id, amount_idr) "
        "SELECT id, invoice_id, amount_idr FROM payments"
    )

    with op.batch_alter_table("rate_discounts") as batch:
        batch.add_column(sa.Column("applies_to_dana_desa", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("applies_to_apbd_kelurahan", sa.Boolean(), nullable=True))
    op.execute(
        "UPDATE rate_discounts SET applies_to_dana_desa = applies_to_government_paid, "
        "applies_to_apbd_kelurahan = applies_to_government_paid"
    )
    with op.batch_alter_table("rate_discounts") as batch:
        batch.alter_column("applies_to_dana_desa", existing_type=sa.Boolean(), nullable=False)
        batch.alter_column("applies_to_apbd_kelurahan", existing_type=sa.Boolean(), nullable=False)
        batch.drop_column("applies_to_government_paid")


def downgrade() -> None:
    with op.batch_alter_table("rate_discounts") as batch:
        batch.add_column(sa.Column("applies_to_government_paid", sa.Boolean(), nullable=True))
    op.execute("UPDATE rate_discounts SET applies_to_government_paid = applies_to_dana_desa")
    with op.batch_alter_table("rate_discounts") as batch:
        batch.alter_column("applies_to_government_paid", existing_type=sa.Boolean(), nullable=False)
        batch.drop_column("applies_to_apbd_kelurahan")
        batch.drop_column("applies_to_dana_desa")
    op.drop_index(op.f("ix_payment_allocations_invoice_id"), table_name="payment_allocations")
    op.drop_table("payment_allocations")
    with op.batch_alter_table("billing_runs") as batch:
        batch.drop_constraint(op.f("ck_billing_runs_kind"), type_="check")
        batch.drop_column("agreement_id")
        batch.drop_column("reason")
        batch.drop_column("kind")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_constraint(op.f("ck_invoices_kind"), type_="check")
        batch.drop_index("ix_invoices_agreement_id_period_idx")
        batch.create_unique_constraint("uq_invoices_agreement_id_period_idx", ["agreement_id", "period_idx"])
        batch.drop_column("kind")
    with op.batch_alter_table("agreement_members") as batch:
        batch.drop_column("first_period_idx")
