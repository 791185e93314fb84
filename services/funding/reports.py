"""Village statement, arrears and lapse, budget-exhausted and ending agreements (handover to self-pay)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, bindparam, select, text
from sqlalchemy.orm import Session

from services.common.timeutil import utcnow
from services.funding.agreements import agreement_view, committed_by_agreement
from services.funding.events import publish_lapses
from services.funding.models import FundedWorker, FundingAgreement
from services.funding.pricing import FundingSource, Period, PricingError, quote, schedule_for
from services.funding.pricing_sql import HAS_SUCCESSOR_SQL
from services.funding.rates import period_from_index, period_index, schedules_in_force

LAPSE_AFTER_UNPAID_MONTHS = 3  # more than this many unpaid covered months → coverage lapses

_UNPAID_MONTHS_SQL = """
    SELECT l.worker_id AS worker_id, i.village_code AS village_code,
           COUNT(DISTINCT i.period_idx) AS unpaid_months,
           SUM(l.amount_idr - l.paid_idr - l.credited_idr) AS unpaid_idr
    FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
    WHERE i.status IN ('issued', 'overdue', 'partially_paid') AND i.due_date < :as_of
      AND l.amount_idr - l.paid_idr - l.credited_idr > 0
    GROUP BY l.worker_id, i.village_code
"""


def statement(session: Session, village_code: str, fiscal_year: int) -> dict[str, Any]:
    first = period_index(Period(fiscal_year, 1))
    rows = session.execute(
        text("""
        SELECT period_idx, SUM(total_idr - credited_idr), SUM(paid_idr), COUNT(*)
        FROM invoices WHERE village_code = :v AND period_idx BETWEEN :lo AND :hi AND status <> 'void'
        GROUP BY period_idx
        """),
        {"v": village_code, "lo": first, "hi": first + 11},
    ).all()
    by_period = {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}
    months = []
    for offset in range(12):
        invoiced, paid, count = by_period.get(first + offset, (0, 0, 0))
        months.append(
            {
                "period": str(period_from_index(first + offset)),
                "invoices": count,
                "invoiced_idr": invoiced,
                "paid_idr": paid,
                "outstanding_idr": invoiced - paid,
            }
        )
    agreements = session.scalars(
        select(FundingAgreement)
        .where(FundingAgreement.village_code == village_code, FundingAgreement.fiscal_year == fiscal_year)
        .order_by(FundingAgreement.id)
    ).all()
    committed = committed_by_agreement(session, [a.id for a in agreements])
    views = [agreement_view(session, a, committed.get(a.id, 0)) for a in agreements]
    counted = [v for v in views if v["status"] != "draft"]
    ceiling = sum(v["budget_ceiling_idr"] for v in counted)
    spent = sum(v["budget_committed_idr"] for v in counted)
    return {
        "village_code": village_code,
        "fiscal_year": fiscal_year,
        "months": months,
        "invoiced_idr": sum(m["invoiced_idr"] for m in months),
        "paid_idr": sum(m["paid_idr"] for m in months),
        "outstanding_idr": sum(m["outstanding_idr"] for m in months),
        "budget_ceiling_idr": ceiling,
        "budget_committed_idr": spent,
        "budget_remaining_idr": ceiling - spent,
        "agreements": views,
    }


def arrears(session: Session, village_code: str | None, as_of: dt.date) -> list[dict[str, Any]]:
    """Workers with unpaid covered months due before ``as_of``, most months first."""
    where = "WHERE u.village_code = :v" if village_code else ""
    rows = session.execute(
        text(f"""
        SELECT u.worker_id, u.village_code, u.unpaid_months, u.unpaid_idr, w.status
        FROM ({_UNPAID_MONTHS_SQL}) u JOIN funded_workers w ON w.worker_id = u.worker_id
        {where} ORDER BY u.unpaid_months DESC, u.worker_id
        """).bindparams(bindparam("as_of", type_=Date())),
        {"as_of": as_of, "v": village_code},
    ).all()
    return [
        {
            "worker_id": r[0],
            "village_code": r[1],
            "unpaid_months": int(r[2]),
            "unpaid_idr": int(r[3]),
            "status": r[4],
            "lapsed": r[4] == "lapsed",
        }
        for r in rows
    ]


def mark_lapsed(session: Session, as_of: dt.date) -> list[str]:
    """Lapse every ``active`` worker with more than 3 unpaid covered months (DESIGN §7).

    Only ``active`` workers lapse: one who never paid is still ``registered`` and stays so. Funding's copy
    is marked at once and ``coverage.lapsed`` tells the registry, which owns the status.
    """
    over = text(f"""
        SELECT u.worker_id, w.village_code, u.unpaid_months
        FROM ({_UNPAID_MONTHS_SQL}) u JOIN funded_workers w ON w.worker_id = u.worker_id
        WHERE u.unpaid_months > :limit AND w.status = 'active'
        ORDER BY u.worker_id
    """).bindparams(bindparam("as_of", type_=Date()))
    params = {"as_of": as_of, "limit": LAPSE_AFTER_UNPAID_MONTHS}
    lapsed = [(str(r[0]), str(r[1]), int(r[2])) for r in session.execute(over, params)]
    worker_ids = [worker_id for worker_id, _, _ in lapsed]
    publish_lapses(session, lapsed, as_of)
    if worker_ids:
        session.execute(
            FundedWorker.__table__.update()  # type: ignore[attr-defined]
            .where(FundedWorker.worker_id.in_(worker_ids))
            .values(status="lapsed", lapsed_at=utcnow())
        )
    return worker_ids


def budget_exhausted(session: Session, village_code: str | None) -> list[dict[str, Any]]:
    """Draft/active agreements whose remaining budget is zero or less."""
    statement = select(FundingAgreement).where(FundingAgreement.status != "ended")
    if village_code:
        statement = statement.where(FundingAgreement.village_code == village_code)
    agreements = session.scalars(statement.order_by(FundingAgreement.id)).all()
    committed = committed_by_agreement(session, [a.id for a in agreements])
    views = [agreement_view(session, a, committed.get(a.id, 0)) for a in agreements]
    return [v for v in views if v["budget_remaining_idr"] <= 0]


def agreements_ending(session: Session, village_code: str | None, through: Period) -> list[dict[str, Any]]:
    """Active agreements ending by ``through``: each worker with the self-pay quote for the next month."""
    statement = select(FundingAgreement).where(
        FundingAgreement.status == "active", FundingAgreement.end_idx <= period_index(through)
    )
    if village_code:
        statement = statement.where(FundingAgreement.village_code == village_code)
    agreements = session.scalars(statement.order_by(FundingAgreement.id)).all()
    schedules = schedules_in_force(session)
    result = []
    for agreement in agreements:
        handover = period_from_index(agreement.end_idx + 1)
        workers = session.execute(
            text(f"""
            SELECT w.worker_id, w.declared_income_idr, w.occupation, w.has_jht FROM agreement_members m
            JOIN funded_workers w ON w.worker_id = m.worker_id
            WHERE m.agreement_id = :a AND m.status = 'active' AND w.status NOT IN ('deceased', 'inactive')
              AND NOT {HAS_SUCCESSOR_SQL}
            ORDER BY w.worker_id
            """),
            {"a": agreement.id, "next": agreement.end_idx + 1},
        ).all()
        items = []
        for worker_id, income, occupation, has_jht in workers:
            try:
                priced = quote(
                    schedule_for(schedules, handover),
                    declared_income_idr=int(income),
                    programs=["JKK", "JKM", *(["JHT"] if has_jht else [])],  # type: ignore[list-item]
                    period=handover,
                    funding_source=FundingSource.self_pay,
                    occupation=occupation,
                )
                monthly: int | None = priced.total_idr
            except PricingError:
                monthly = None  # no schedule published yet for that month
            items.append({"worker_id": worker_id, "self_pay_monthly_idr": monthly})
        result.append(
            {
                "agreement_id": agreement.id,
                "village_code": agreement.village_code,
                "end_period": str(period_from_index(agreement.end_idx)),
                "handover_period": str(handover),
                "workers": items,
            }
        )
    return result
