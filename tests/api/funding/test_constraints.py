"""The funding database itself refuses statuses, sources, methods and amounts outside the rules, so a
raw SQL change (a bulk job, a hand fix) cannot store what the API never would; on both backends."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.common.db import Database
from tests.api.funding.conftest import VILLAGE, FakeRegistry
from tests.funding_support import active_agreement, bill


@pytest.fixture
def billed(funding: TestClient, registry: FakeRegistry) -> dict[str, int]:
    """One active agreement with one member and one issued invoice; their ids."""
    agreement = active_agreement(funding, VILLAGE, [registry.add("w1")])
    bill(funding, "2026-03")
    return {"agreement": agreement["id"]}


REFUSED = [
    ("UPDATE funding_agreements SET status = 'paused' WHERE id = :a", "ck_funding_agreements_status"),
    ("UPDATE funding_agreements SET source = 'self_pay' WHERE id = :a", "ck_funding_agreements_source"),
    ("UPDATE agreement_members SET status = 'gone' WHERE agreement_id = :a", "ck_agreement_members_status"),
    ("UPDATE invoices SET status = 'cancelled' WHERE agreement_id = :a", "ck_invoices_status"),
    ("UPDATE invoices SET paid_idr = -1 WHERE agreement_id = :a", "ck_invoices_paid_idr_not_negative"),
    (
        "UPDATE invoices SET credited_idr = -1 WHERE agreement_id = :a",
        "ck_invoices_credited_idr_not_negative",
    ),
    (
        "UPDATE invoices SET paid_idr = total_idr, credited_idr = 1 WHERE agreement_id = :a",
        "ck_invoices_settled_within_total",
    ),
    (
        "INSERT INTO payments (invoice_id, village_code, amount_idr, paid_on, method, reference, created_at, "
        "updated_at, actor) SELECT id, village_code, 1, due_date, 'cheque', 'SP2D-1', created_at, "
        "created_at, 'test' FROM invoices WHERE agreement_id = :a",
        "ck_payments_method",
    ),
]


@pytest.mark.parametrize(("statement", "constraint"), REFUSED, ids=[c for _, c in REFUSED])
def test_the_database_refuses_values_outside_the_rules(
    billed: dict[str, int], database_url: Callable[[str], str], statement: str, constraint: str
) -> None:
    database = Database(database_url("funding"))
    try:
        with database.engine.connect() as connection:
            # The row exists and the same statement shape with a legal value goes through.
            assert (
                connection.execute(
                    text("SELECT COUNT(*) FROM invoices WHERE agreement_id = :a AND status = 'issued'"),
                    {"a": billed["agreement"]},
                ).scalar_one()
                == 1
            )
            with pytest.raises(IntegrityError) as refused:
                connection.execute(text(statement), {"a": billed["agreement"]})
            connection.rollback()
    finally:
        database.dispose()
    # PostgreSQL names the constraint; SQLite names it too (CHECK constraint failed: <name>).
    assert constraint in str(refused.value.orig)


def test_legal_values_are_accepted(billed: dict[str, int], database_url: Callable[[str], str]) -> None:
    database = Database(database_url("funding"))
    try:
        with database.engine.connect() as connection:
            connection.execute(
                text("UPDATE invoices SET status = 'overdue' WHERE agreement_id = :a"),
                {"a": billed["agreement"]},
            )
            connection.execute(
                text("UPDATE invoices SET paid_idr = total_idr WHERE agreement_id = :a"),
                {"a": billed["agreement"]},
            )
            connection.rollback()
    finally:
        database.dispose()
