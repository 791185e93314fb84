"""funding_0006 adds its CHECK constraints to a SQLite database that already holds referenced rows
(SQLite rebuilds a table to add one; the rebuild must not trip the foreign keys), and takes them away."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.common.db import create_db_engine
from services.common.migrations import alembic_config, upgrade

VILLAGE = "33.26.15.2001"
ROWS = [
    "INSERT INTO funding_agreements (village_code, fiscal_year, source, legal_reference, budget_ceiling_idr,"
    f" start_idx, end_idx, status, version, created_at, updated_at) VALUES ('{VILLAGE}', 2026, 'csr', 'P',"
    " 1000, 24312, 24323, 'active', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO billing_runs (period_idx, started_at, actor) VALUES (24312, '2026-01-01 00:00:00', 'test')",
    "INSERT INTO invoices (agreement_id, village_code, period_idx, year, sequence_no, number, status,"
    f" total_idr, due_date, billing_run_id, created_at) VALUES (1, '{VILLAGE}', 24312, 2026, 1, 'N-1',"
    " 'issued', 500, '2026-01-15', 1, '2026-01-01 00:00:00')",
    "INSERT INTO payments (invoice_id, village_code, amount_idr, paid_on, method, reference, created_at,"
    f" actor) VALUES (1, '{VILLAGE}', 100, '2026-01-02', 'cash', 'SP2D-1', '2026-01-02 00:00:00', 'test')",
]
COUNTED = ("funding_agreements", "invoices", "payments")


def _state(url: str) -> tuple[list[int], list[str], int]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            counts = [connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in COUNTED]
            indexes = sorted(
                connection.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN (:a, :b, :c)"),
                    {"a": "funding_agreements", "b": "invoices", "c": "payments"},
                ).scalars()
            )
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
            checks = connection.execute(
                text("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND sql LIKE '%CHECK (%'")
            ).scalar_one()
    finally:
        engine.dispose()
    return counts, indexes, checks


def _refuses(url: str, statement: str) -> bool:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            try:
                connection.execute(text(statement))
            except IntegrityError:
                return True
            finally:
                connection.rollback()
    finally:
        engine.dispose()
    return False


def test_checks_are_added_and_removed_with_rows_in_place(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'funding.db'}"
    upgrade("funding", url, "funding_0005")
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement))
    finally:
        engine.dispose()
    counts, indexes, checks = _state(url)
    assert counts == [1, 1, 1] and checks == 0
    assert not _refuses(url, "UPDATE invoices SET status = 'bogus'")

    upgrade("funding", url)
    assert _state(url) == (counts, indexes, 4)  # agreements, members, invoices, payments
    assert _refuses(url, "UPDATE invoices SET status = 'bogus'")
    assert _refuses(url, "UPDATE payments SET invoice_id = 99")  # foreign keys still hold

    command.downgrade(alembic_config("funding", url), "funding_0005")
    assert _state(url) == (counts, indexes, 0)
    assert not _refuses(url, "UPDATE invoices SET status = 'bogus'")
