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

    upgrade("funding", url, "funding_0006")
    assert _state(url) == (counts, indexes, 4)  # agreements, members, invoices, payments
    assert _refuses(url, "UPDATE invoices SET status = 'bogus'")
    assert _refuses(url, "UPDATE payments SET invoice_id = 99")  # foreign keys still hold

    command.downgrade(alembic_config("funding", url), "funding_0005")
    assert _state(url) == (counts, indexes, 0)
    assert not _refuses(url, "UPDATE invoices SET status = 'bogus'")


def test_allocations_migration_keeps_rows_and_backfills(tmp_path: Path) -> None:
    """funding_0009 with rows in place: each payment becomes one allocation, members start billing in the
    agreement's first month, both discount switches take the old single switch's value; and back."""
    url = f"sqlite:///{tmp_path / 'funding.db'}"
    upgrade("funding", url, "funding_0006")
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement))
            connection.execute(
                text(
                    "INSERT INTO funded_workers (worker_id, village_code, occupation, declared_income_idr,"
                    f" has_jht, status, synced_at) VALUES ('w1', '{VILLAGE}', 'petani', 1000000, 0, 'active',"
                    " '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO agreement_members (agreement_id, worker_id, status, added_at)"
                    " VALUES (1, 'w1', 'active', '2026-01-01 00:00:00')"
                )
            )
        upgrade("funding", url)
        with engine.connect() as connection:
            assert connection.execute(
                text("SELECT payment_id, invoice_id, amount_idr FROM payment_allocations")
            ).all() == [(1, 1, 100)]
            start = connection.execute(text("SELECT start_idx FROM funding_agreements")).scalar_one()
            assert (
                connection.execute(text("SELECT first_period_idx FROM agreement_members")).scalar_one()
                == start
            )
            switches = connection.execute(
                text("SELECT DISTINCT applies_to_dana_desa, applies_to_apbd_kelurahan FROM rate_discounts")
            ).all()
            assert switches == [(0, 0)]  # the seeded PP 50/2025 rows were off for government budgets
            assert connection.execute(text("SELECT kind FROM invoices")).scalar_one() == "regular"
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        command.downgrade(alembic_config("funding", url), "funding_0006")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM payments")).scalar_one() == 1
            assert connection.execute(text("SELECT COUNT(*) FROM rate_discounts")).scalar_one() == 2
    finally:
        engine.dispose()
