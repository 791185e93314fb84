"""Monthly billing runs: one invoice per active agreement, one line per rostered worker per programme.

Each step is one set-based statement (no per-worker Python loop):

1. take the year's billing lock (PostgreSQL advisory lock: runs of the same year queue up);
2. create missing invoice counters, then lock the village counters (``SELECT … FOR UPDATE``);
3. ``INSERT … SELECT`` the invoices, numbered ``counter + ROW_NUMBER()`` per village (gapless), with
   ``ON CONFLICT DO NOTHING`` on the unique (agreement, period) as the last line of defence;
4. advance the counters to the highest number used;
5. ``INSERT … SELECT`` the lines, priced in SQL (:mod:`pricing_sql`);
6. ``UPDATE`` the invoice totals and issue them.

A second run of the same period finds every invoice present and issues nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Date, Integer, bindparam, func, select, text
from sqlalchemy.orm import Session

from services.common.db import UTCDateTime
from services.common.errors import NotFound
from services.common.timeutil import utcnow
from services.funding import invoices
from services.funding.exceptions import NoRateSchedule
from services.funding.models import BillingRun, Invoice
from services.funding.pricing import Period, PricingError, schedule_for
from services.funding.pricing_sql import MEMBER_BILLED_SQL, priced_lines
from services.funding.rates import period_index, schedules_in_force

BILLING_LOCK_CLASS = 7_260_001  # first key of pg_advisory_xact_lock(int, int): "billing", second: year
DUE_DAY = 15  # contributions are due by the 15th of the covered month

STEPS = ("lock", "counters", "invoices", "numbers", "lines", "totals")

ELIGIBLE_SQL = f"""
    a.status = 'active' AND a.start_idx <= :p AND a.end_idx >= :p
    AND NOT EXISTS (SELECT 1 FROM invoices x WHERE x.agreement_id = a.id AND x.period_idx = :p)
    AND EXISTS (SELECT 1 FROM agreement_members m JOIN funded_workers w ON w.worker_id = m.worker_id
                WHERE m.agreement_id = a.id AND {MEMBER_BILLED_SQL})
"""


@dataclass(frozen=True)
class BillingRunResult:
    id: int
    period: Period
    invoices_issued: int
    lines: int
    total_idr: int


def due_date(period: Period) -> dt.date:
    return dt.date(period.year, period.month, DUE_DAY)


def _number_sql(dialect: str) -> str:
    sequence = "c.last_number + e.rn"
    if dialect == "postgresql":
        return (
            "'INV/' || CAST(:year AS TEXT) || '/' || e.village_code || '/' "
            f"|| lpad(CAST({sequence} AS TEXT), 6, '0')"
        )
    return f"printf('INV/%d/%s/%06d', :year, e.village_code, {sequence})"


def lines_sql(dialect: str) -> str:
    """INSERT … SELECT of the priced lines of the invoices of billing run ``:run`` (month ``:p``)."""
    source = f"""
        SELECT m.agreement_id AS agreement_id, m.worker_id AS worker_id, CAST(:p AS INTEGER) AS period_idx
        FROM agreement_members m
        JOIN invoices i ON i.agreement_id = m.agreement_id AND i.billing_run_id = :run
        JOIN funded_workers w ON w.worker_id = m.worker_id
        WHERE {MEMBER_BILLED_SQL}
    """
    return f"""
        INSERT INTO invoice_lines (invoice_id, line_no, worker_id, program, schedule_id, declared_income_idr,
                                   amount_idr, discount_idr, paid_idr, credited_idr)
        SELECT i.id, ROW_NUMBER() OVER (PARTITION BY i.id ORDER BY l.worker_id, l.program_position),
               l.worker_id, l.program, l.schedule_id, l.declared_income_idr, l.amount_idr, l.discount_idr,
               0, 0
        FROM ({priced_lines(source, dialect)}) l
        JOIN invoices i ON i.agreement_id = l.agreement_id AND i.billing_run_id = :run
    """


def run_billing(
    session: Session,
    period: Period,
    *,
    actor: str,
    progress: Callable[[str], None] | None = None,
) -> BillingRunResult:
    """Issue the invoices of ``period`` that do not exist yet (idempotent; concurrency-safe)."""
    try:
        schedule_for(schedules_in_force(session), period)
    except PricingError as exc:
        raise NoRateSchedule(exc.reason) from None
    step = progress or (lambda _name: None)
    dialect = session.get_bind().dialect.name
    p = period_index(period)
    year = period.year
    if dialect == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:cls, :year)"), {"cls": BILLING_LOCK_CLASS, "year": year}
        )
    run = BillingRun(period_idx=p, started_at=utcnow(), actor=actor, invoices_issued=0, lines=0, total_idr=0)
    session.add(run)
    session.flush()
    step("lock")

    session.execute(
        text(f"""
        INSERT INTO invoice_counters (village_code, year, last_number)
        SELECT DISTINCT a.village_code, :year, 0 FROM funding_agreements a
        WHERE {ELIGIBLE_SQL}
          AND NOT EXISTS (SELECT 1 FROM invoice_counters c
                          WHERE c.village_code = a.village_code AND c.year = :year)
        ON CONFLICT DO NOTHING
        """),
        {"p": p, "year": year},
    )
    if dialect == "postgresql":
        session.execute(
            text(f"""
            SELECT c.village_code FROM invoice_counters c
            WHERE c.year = :year
              AND c.village_code IN (SELECT a.village_code FROM funding_agreements a WHERE {ELIGIBLE_SQL})
            ORDER BY c.village_code FOR UPDATE
            """),
            {"p": p, "year": year},
        )
    step("counters")

    now = utcnow()
    session.execute(
        text(f"""
        INSERT INTO invoices (agreement_id, village_code, period_idx, year, sequence_no, number, status,
                              total_idr, paid_idr, credited_idr, due_date, billing_run_id, created_at,
                              version)
        SELECT e.id, e.village_code, :p, :year, c.last_number + e.rn, {_number_sql(dialect)}, 'draft',
               0, 0, 0, :due, :run, :now, 1
        FROM (SELECT a.id AS id, a.village_code AS village_code,
                     ROW_NUMBER() OVER (PARTITION BY a.village_code ORDER BY a.id) AS rn
              FROM funding_agreements a WHERE {ELIGIBLE_SQL}) e
        JOIN invoice_counters c ON c.village_code = e.village_code AND c.year = :year
        WHERE 1 = 1
        ON CONFLICT DO NOTHING
        """).bindparams(bindparam("due", type_=Date()), bindparam("now", type_=UTCDateTime())),
        {"p": p, "year": year, "due": due_date(period), "run": run.id, "now": now},
    )
    step("invoices")

    session.execute(
        text("""
        UPDATE invoice_counters SET last_number = (
            SELECT MAX(i.sequence_no) FROM invoices i
            WHERE i.village_code = invoice_counters.village_code AND i.year = invoice_counters.year)
        WHERE year = :year AND village_code IN (SELECT village_code FROM invoices WHERE billing_run_id = :run)
        """),
        {"year": year, "run": run.id},
    )
    step("numbers")

    if dialect == "postgresql":
        # Fresh statistics on the invoices just written (the planner otherwise guesses a handful) and room
        # to sort the lines for numbering in memory: a billing run is one big batch statement.
        session.execute(text("ANALYZE invoices"))
        session.execute(text("SET LOCAL work_mem = '128MB'"))
    session.execute(
        text(lines_sql(dialect)).bindparams(bindparam("p", type_=Integer())), {"p": p, "run": run.id}
    )
    step("lines")

    session.execute(
        text("""
        UPDATE invoices SET status = 'issued',
            total_idr = (SELECT COALESCE(SUM(l.amount_idr), 0) FROM invoice_lines l
                         WHERE l.invoice_id = invoices.id)
        WHERE billing_run_id = :run
        """),
        {"run": run.id},
    )
    issued, total = session.execute(
        select(func.count(Invoice.id), func.coalesce(func.sum(Invoice.total_idr), 0)).where(
            Invoice.billing_run_id == run.id
        )
    ).one()
    lines = session.scalar(
        text(
            "SELECT COUNT(*) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id "
            "WHERE i.billing_run_id = :run"
        ),
        {"run": run.id},
    )
    run.invoices_issued, run.lines, run.total_idr = int(issued), int(lines or 0), int(total)
    run.finished_at = utcnow()
    session.flush()
    step("totals")
    return BillingRunResult(run.id, period, run.invoices_issued, run.lines, run.total_idr)


def mark_overdue(session: Session, as_of: dt.date) -> int:
    """Issued invoices whose due date (the 15th of their month) is before ``as_of`` become overdue."""
    result = session.execute(
        text(
            "UPDATE invoices SET status = 'overdue', version = version + 1 "
            "WHERE status = 'issued' AND due_date < :as_of"
        ).bindparams(bindparam("as_of", type_=Date())),
        {"as_of": as_of},
    )
    invoices.forget_loaded(session)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def get_run(session: Session, run_id: int) -> BillingRun:
    run = session.get(BillingRun, run_id)
    if run is None:
        raise NotFound(f"billing run {run_id} not found")
    return run
