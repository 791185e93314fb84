"""funding: CHECK constraints on statuses, agreement sources, payment methods and invoice amounts

Revision ID: funding_0006
Revises: funding_0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

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
    if op.get_bind().dialect.name == "sqlite":
        for table, checks in _CHECKS.items():
            _rebuild_sqlite(table, lambda sql, checks=checks: _with_checks(sql, checks))
        return
    for table, checks in _CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name, condition in checks:
                batch.create_check_constraint(op.f(name), condition)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table, checks in _CHECKS.items():
            _rebuild_sqlite(table, lambda sql, checks=checks: _without_checks(sql, checks))
        return
    for table, checks in _CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name, _condition in checks:
                batch.drop_constraint(op.f(name), type_="check")


def _check_sql(name: str, condition: str) -> str:
    return f",\n\tCONSTRAINT {name} CHECK ({condition})"


def _with_checks(sql: str, checks: list[tuple[str, str]]) -> str:
    body = sql.rstrip()
    assert body.endswith(")"), sql
    return body[:-1].rstrip() + "".join(_check_sql(n, c) for n, c in checks) + "\n)"


def _without_checks(sql: str, checks: list[tuple[str, str]]) -> str:
    for name, condition in checks:
        sql = sql.replace(_check_sql(name, condition), "")
    return sql


def _rebuild_sqlite(table: str, change: Callable[[str], str]) -> None:
    """Rebuild ``table`` from its changed CREATE statement, keeping rows and indexes.

    Not batch_alter_table: its copy-then-DROP deletes parent rows that other tables still reference,
    which fails with foreign keys on (and PRAGMA foreign_keys cannot change inside the migration's
    transaction). Here the foreign-key checks are deferred to the commit and the rows go back into the
    new table *after* the old one is dropped, which satisfies the deferred references again.
    """
    bind = op.get_bind()
    create = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    indexes = [
        row[0]
        for row in bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table,),
        )
    ]
    rebuilt = f"{table}_rebuilt"
    new_create = re.sub(rf'^CREATE TABLE\s+"?{table}"?', f"CREATE TABLE {rebuilt}", change(create), count=1)
    bind.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    bind.exec_driver_sql(new_create)
    bind.exec_driver_sql(f"CREATE TEMP TABLE {table}_rows AS SELECT * FROM {table}")
    bind.exec_driver_sql(f"DROP TABLE {table}")
    bind.exec_driver_sql(f"ALTER TABLE {rebuilt} RENAME TO {table}")
    bind.exec_driver_sql(f"INSERT INTO {table} SELECT * FROM temp.{table}_rows")
    bind.exec_driver_sql(f"DROP TABLE temp.{table}_rows")
    for index in indexes:
        bind.exec_driver_sql(index)
