"""funding: CHECK constraints on statuses, agreement sources, payment methods and invoice amounts

Revision ID: funding_0006
Revises: funding_0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "funding_0006"
down_revision: str | None = "funding_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: migrations never import live code (services.funding.statuses is the source).
_CHECKS: dict[str, list[tuple[str, str]]] = {
    "funding_agreements": [
        ("ck_funding_agreements_status", "status IN ('draft', 'active', 'ended')"),
        ("ck_funding_agreements_source", "source IN ('dana_desa', 'apbd_kelurahan', 'csr', 'other')"),
    ],
    "agreement_members": [
        ("ck_agreement_members_status", "status IN ('active', 'removed')"),
    ],
    "invoices": [
        (
            "ck_invoices_status",
            "status IN ('draft', 'issued', 'partially_paid', 'paid', 'overdue', 'void')",
        ),
        ("ck_invoices_total_idr_not_negative", "total_idr >= 0"),
        ("ck_invoices_paid_idr_not_negative", "paid_idr >= 0"),
        ("ck_invoices_credited_idr_not_negative", "credited_idr >= 0"),
        ("ck_invoices_settled_within_total", "paid_idr + credited_idr <= total_idr"),
    ],
    "payments": [
        ("ck_payments_method", "method IN ('bank_transfer', 'virtual_account', 'cash', 'giro')"),
    ],
}


def upgrade() -> None:
    # On SQLite batch mode rebuilds each table with the constraints (it cannot add one in place).
    for table, checks in _CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name, condition in checks:
                batch.create_check_constraint(op.f(name), condition)


def downgrade() -> None:
    for table, checks in _CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name, _condition in checks:
                batch.drop_constraint(op.f(name), type_="check")
