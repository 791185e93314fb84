"""Monthly billing runs: an invoice per active agreement with workers not billed yet for the month, one
line per such worker per programme.

A member is billed from the month they joined (``first_period_idx``) - a run for January in November
does not bill a worker who joined today - through the month they left. The month's first invoice of an
agreement is ``regular``; a later run of the same month bills, on a ``supplementary`` invoice with its own
gapless number, the workers who joined after it and the months whose invoice was voided. A second run
with nobody new to bill issues nothing.

Each step is one set-based statement (no per-worker Python loop):

1. take the year's billing lock (PostgreSQL advisory lock: runs of the same year queue up; SQLite's
   writing transactions are ``BEGIN IMMEDIATE`` and so already one at a time);
2. choose the agreements to invoice once, into a temporary table; create missing invoice counters, then
   lock the village counters (``SELECT … FOR UPDATE``);
3. ``INSERT … SELECT`` the invoices, numbered ``counter + ROW_NUMBER()`` per village (gapless);
4. advance the counters to the highest number used;
5. ``INSERT … SELECT`` the lines, priced in SQL (:mod:`pricing_sql`), and ``UPDATE`` the invoice totals
   and issue them (on PostgreSQL one statement: the totals are summed from the lines as they are written);
6. record the run's figures and publish ``invoice.issued``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Date, Integer, bindparam, func, select, text
from sqlalchemy.orm import Session

from services.common.db import UTCDateTime
from services.common.errors import NotFound, ValidationProblem
from services.common.messages import Message
from services.common.timeutil import utcnow
from services.funding import invoices
from services.funding.agreements import committed_by_agreement
from services.funding.events import publish_invoices_issued, publish_invoices_overdue
from services.funding.exceptions import InvalidState, NoRateSchedule
from services.funding.models import BillingRun, FundingAgreement, Invoice
from services.funding.pricing import Period, PricingError, schedule_for
from services.funding.pricing_sql import (
    BILLABLE_WORKER_SQL,
    MEMBER_BILLED_SQL,
    MEMBER_UNBILLED_SQL,
    priced_lines,
)
from services.funding.rates import period_index, schedules_in_force

BILLING_LOCK_CLASS = 7_260_001  # first key of pg_advisory_xact_lock(int, int): "billing", second: year
DUE_DAY = 15  # contributions are due by the 15th of the covered month
SUPPLEMENTARY_GRACE = dt.timedelta(days=14)

# Per-connection scratch table of the agreements a run invoices (see run_billing).
ELIGIBLE_TABLE = "billing_eligible_agreements"

STEPS = ("lock", "counters", "invoices", "numbers", "lines", "totals")

# Members a back-billing run bills for :p: on agreement :a's roster, joined after :p, and whose month :p the
# agreement now funds (claimed just before; another agreement may hold it, then that worker is skipped).
BACK_BILLED_SQL = f"""
    (m.agreement_id = :a AND m.status = 'active' AND {BILLABLE_WORKER_SQL} AND m.first_period_idx > :p
     AND EXISTS (SELECT 1 FROM funded_months bf WHERE bf.worker_id = m.worker_id AND bf.period_idx = :p
                 AND bf.agreement_id = m.agreement_id))
"""


def eligible_sql(member_sql: str) -> str:
    """Agreements with someone to bill for :p (members chosen by ``member_sql``, not billed yet)."""
    return f"""
    a.status = 'active' AND a.start_idx <= :p AND a.end_idx >= :p
    AND EXISTS (SELECT 1 FROM agreement_members m JOIN funded_workers w ON w.worker_id = m.worker_id
                WHERE m.agreement_id = a.id AND {member_sql} AND {MEMBER_UNBILLED_SQL})
"""


ELIGIBLE_SQL = eligible_sql(MEMBER_BILLED_SQL)


@dataclass(frozen=True)
class BackBilling:
    """An admin's request to bill one agreement's members for a month before they joined, with why."""

    agreement_id: int
    reason: str


@dataclass(frozen=True)
class BillingRunResult:
    id: int
    period: Period
    invoices_issued: int
    lines: int
    total_idr: int


def due_date(period: Period) -> dt.date:
    return dt.date(period.year, period.month, DUE_DAY)


def late_due_date(period: Period, issued_on: dt.date) -> dt.date:
    """A supplementary invoice is due by the 15th too, but never sooner than two weeks after it is issued:
    a worker who joined on the 20th cannot have been paid for by the 15th."""
    return max(due_date(period), issued_on + SUPPLEMENTARY_GRACE)


def _number_sql(dialect: str) -> str:
    sequence = "c.last_number + e.rn"
    if dialect == "postgresql":
        return (
            "'INV/' || CAST(:year AS TEXT) || '/' || e.village_code || '/' "
            f"|| lpad(CAST({sequence} AS TEXT), 6, '0')"
        )
    return f"printf('INV/%d/%s/%06d', :year, e.village_code, {sequence})"


def lines_sql(dialect: str, member_sql: str = MEMBER_BILLED_SQL) -> str:
    """INSERT … SELECT of the priced lines of the invoices of billing run ``:run`` (month ``:p``)."""
    source = f"""
        SELECT m.agreement_id AS agreement_id, m.worker_id AS worker_id, CAST(:p AS INTEGER) AS period_idx
        FROM agreement_members m
        JOIN invoices i ON i.agreement_id = m.agreement_id AND i.billing_run_id = :run
        JOIN funded_workers w ON w.worker_id = m.worker_id
        WHERE {member_sql} AND {MEMBER_UNBILLED_SQL}
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
    back_billing: BackBilling | None = None,
) -> BillingRunResult:
    """Issue the invoices of ``period`` that do not exist yet (idempotent; concurrency-safe).

    With ``back_billing``, only that agreement's members who joined after ``period`` are billed for it
    (each month claimed first, so a month another agreement funds is never billed twice); the run is
    recorded with its kind, reason and agreement."""
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
    member_sql, eligible, scope = MEMBER_BILLED_SQL, ELIGIBLE_SQL, {}
    if back_billing is not None:
        run.kind, run.reason, run.agreement_id = (
            "back_billing",
            back_billing.reason,
            back_billing.agreement_id,
        )
        member_sql, eligible = BACK_BILLED_SQL, eligible_sql(BACK_BILLED_SQL) + " AND a.id = :a"
        scope = {"a": back_billing.agreement_id}
        session.execute(
            text("""
            INSERT INTO funded_months (worker_id, period_idx, agreement_id)
            SELECT m.worker_id, :p, m.agreement_id FROM agreement_members m
            JOIN funding_agreements a ON a.id = m.agreement_id
            WHERE m.agreement_id = :a AND m.status = 'active' AND m.first_period_idx > :p
              AND a.start_idx <= :p AND a.end_idx >= :p
            ON CONFLICT DO NOTHING
            """),
            {"p": p, **scope},
        )
    session.add(run)
    session.flush()
    step("lock")

    # The agreements to invoice, chosen once into a temporary table before any invoice is written. Asked
    # inside the invoice INSERT, the "already invoiced this month?" checks scanned the invoices table the
    # statement was filling: on an empty table PostgreSQL plans a sequential scan per agreement, which
    # also reads the rows being inserted - quadratic, 92 s of a national run's 267 s.
    session.execute(text(f"DROP TABLE IF EXISTS {ELIGIBLE_TABLE}"))
    session.execute(
        text(f"""
        CREATE TEMPORARY TABLE {ELIGIBLE_TABLE} AS
        SELECT a.id AS id, a.village_code AS village_code,
               CASE WHEN EXISTS (SELECT 1 FROM invoices x WHERE x.agreement_id = a.id
                                 AND x.period_idx = :p AND x.status <> 'void')
                    THEN 'supplementary' ELSE 'regular' END AS kind
        FROM funding_agreements a WHERE {eligible}
        """),
        {"p": p, **scope},
    )
    session.execute(
        text(f"""
        INSERT INTO invoice_counters (village_code, year, last_number)
        SELECT DISTINCT e.village_code, :year, 0 FROM {ELIGIBLE_TABLE} e
        WHERE NOT EXISTS (SELECT 1 FROM invoice_counters c
                          WHERE c.village_code = e.village_code AND c.year = :year)
        ON CONFLICT DO NOTHING
        """),
        {"year": year},
    )
    if dialect == "postgresql":
        session.execute(
            text(f"""
            SELECT c.village_code FROM invoice_counters c
            WHERE c.year = :year AND c.village_code IN (SELECT e.village_code FROM {ELIGIBLE_TABLE} e)
            ORDER BY c.village_code FOR UPDATE
            """),
            {"year": year},
        )
    step("counters")

    now = utcnow()
    session.execute(
        text(f"""
        INSERT INTO invoices (agreement_id, village_code, period_idx, year, sequence_no, number, status,
                              kind, total_idr, paid_idr, credited_idr, due_date, billing_run_id,
                              created_at, updated_at, version)
        SELECT e.id, e.village_code, :p, :year, c.last_number + e.rn, {_number_sql(dialect)}, 'draft',
               e.kind, 0, 0, 0, CASE WHEN e.kind = 'regular' THEN :due ELSE :late_due END, :run, :now,
               :now, 1
        FROM (SELECT id, village_code, kind,
                     ROW_NUMBER() OVER (PARTITION BY village_code ORDER BY id) AS rn
              FROM {ELIGIBLE_TABLE}) e
        JOIN invoice_counters c ON c.village_code = e.village_code AND c.year = :year
        """).bindparams(
            bindparam("due", type_=Date()),
            bindparam("late_due", type_=Date()),
            bindparam("now", type_=UTCDateTime()),
        ),
        {
            "p": p,
            "year": year,
            "due": due_date(period),
            "late_due": late_due_date(period, now.date()),
            "run": run.id,
            "now": now,
        },
    )
    session.execute(text(f"DROP TABLE {ELIGIBLE_TABLE}"))
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
    lines_params = {"p": p, "run": run.id, **scope}
    if dialect == "postgresql":
        # One statement writes the lines and issues their invoices with the totals summed from the rows
        # being written (RETURNING), instead of reading millions of lines back: the profile of a national
        # run put that second pass at a tenth of the run. (A data-modifying WITH always runs to completion,
        # read or not.)
        lines = session.scalar(
            text(f"""
            WITH written AS ({lines_sql(dialect, member_sql)} RETURNING invoice_id, amount_idr),
            totals AS (SELECT invoice_id, SUM(amount_idr) AS total_idr FROM written GROUP BY invoice_id),
            issued AS (UPDATE invoices SET status = 'issued', total_idr = totals.total_idr, updated_at = :now
                       FROM totals WHERE invoices.id = totals.invoice_id)
            SELECT COUNT(*) FROM written
            """).bindparams(bindparam("p", type_=Integer()), bindparam("now", type_=UTCDateTime())),
            {**lines_params, "now": now},
        )
    else:
        written = session.execute(
            text(lines_sql(dialect, member_sql)).bindparams(bindparam("p", type_=Integer())), lines_params
        )
        lines = getattr(written, "rowcount", 0)
        session.execute(
            text("""
            UPDATE invoices SET status = 'issued', updated_at = :now,
                total_idr = (SELECT COALESCE(SUM(l.amount_idr), 0) FROM invoice_lines l
                             WHERE l.invoice_id = invoices.id)
            WHERE billing_run_id = :run
            """).bindparams(bindparam("now", type_=UTCDateTime())),
            {"run": run.id, "now": now},
        )
    step("lines")

    # An invoice of the run with no line (none expected: eligibility asks for a member to bill) is
    # issued at zero rather than left a draft.
    session.execute(
        text(
            "UPDATE invoices SET status = 'issued', updated_at = :now "
            "WHERE billing_run_id = :run AND status = 'draft'"
        ).bindparams(bindparam("now", type_=UTCDateTime())),
        {"run": run.id, "now": now},
    )
    issued, total = session.execute(
        select(func.count(Invoice.id), func.coalesce(func.sum(Invoice.total_idr), 0)).where(
            Invoice.billing_run_id == run.id
        )
    ).one()
    run.invoices_issued, run.lines, run.total_idr = int(issued), int(lines or 0), int(total)
    run.finished_at = utcnow()
    session.flush()
    publish_invoices_issued(session, run.id)  # part of the last step: the run's progress keeps its steps
    step("totals")
    return BillingRunResult(run.id, period, run.invoices_issued, run.lines, run.total_idr)


def back_bill(
    session: Session, agreement: FundingAgreement, period: Period, *, reason: str, actor: str
) -> BillingRunResult:
    """Bill the agreement's members for a month of the agreement before they joined (an admin's decision,
    kept as a ``back_billing`` run with its reason); refused past the budget unless the agreement allows."""
    p = period_index(period)
    if agreement.status != "active":
        raise InvalidState(Message("funding.only_active_billed", status=agreement.status))
    if not agreement.start_idx <= p <= agreement.end_idx:
        raise ValidationProblem.single("period", Message("funding.within_months"))
    result = run_billing(session, period, actor=actor, back_billing=BackBilling(agreement.id, reason))
    committed = committed_by_agreement(session, [agreement.id]).get(agreement.id, 0)
    if committed > agreement.budget_ceiling_idr and not agreement.allow_over_budget:
        raise ValidationProblem.single(
            "period",
            Message("funding.back_billing_budget", excess=committed - agreement.budget_ceiling_idr),
        )
    return result


def mark_overdue(session: Session, as_of: dt.date) -> int:
    """Issued invoices whose due date (the 15th of their month) is before ``as_of`` become overdue."""
    # RETURNING (SQLite >= 3.35, PostgreSQL): the marked invoices' events come from the same statement.
    marked = session.execute(
        text(
            "UPDATE invoices SET status = 'overdue', version = version + 1, updated_at = :now "
            "WHERE status = 'issued' AND due_date < :as_of "
            "RETURNING id, village_code, number, period_idx, total_idr, paid_idr, due_date"
        ).bindparams(bindparam("as_of", type_=Date()), bindparam("now", type_=UTCDateTime())),
        {"as_of": as_of, "now": utcnow()},
    ).all()
    invoices.forget_loaded(session)
    publish_invoices_overdue(session, marked)
    return len(marked)


def get_run(session: Session, run_id: int) -> BillingRun:
    run = session.get(BillingRun, run_id)
    if run is None:
        raise NotFound(Message("funding.billing_run_not_found", run_id=run_id))
    return run
