"""What funding tells the other services (its outbox).

Published: ``payment.received`` (with the workers whose month the payment completed, and the arrears
each still has), ``coverage.lapsed`` (the arrears rule, only for workers the registry has ``active``),
``agreement.activated`` / ``agreement.ended`` and ``coverage.handover_due``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Date, bindparam, text
from sqlalchemy.orm import Session

from services.common.events import EventType, NewEvent, Outbox
from services.common.partner_events import InvoiceIssuedData, InvoiceOverdueData, partner_data
from services.common.timeutil import today_in_area
from services.funding.models import FundingAgreement, Invoice, Payment, outbox
from services.funding.pricing_sql import HAS_SUCCESSOR_SQL
from services.funding.rates import period_from_index

funding_outbox = Outbox(outbox, "funding")


# --- published ------------------------------------------------------------------------------------


def fully_paid_workers(session: Session, invoice_id: int) -> set[str]:
    """Workers whose every line on this invoice is paid (credited amounts excluded)."""
    rows = session.execute(
        text("""
        SELECT worker_id FROM invoice_lines WHERE invoice_id = :i
        GROUP BY worker_id
        HAVING SUM(amount_idr - credited_idr) > 0 AND SUM(paid_idr) >= SUM(amount_idr - credited_idr)
        """),
        {"i": invoice_id},
    )
    return {str(r[0]) for r in rows}


def arrears_months(session: Session, worker_ids: Sequence[str], as_of: dt.date) -> dict[str, int]:
    """Months each worker still owes that were due before ``as_of``."""
    if not worker_ids:
        return {}
    rows = session.execute(
        text("""
        SELECT l.worker_id, COUNT(DISTINCT i.period_idx) FROM invoice_lines l
        JOIN invoices i ON i.id = l.invoice_id
        WHERE l.worker_id IN :workers AND i.status IN ('issued', 'overdue', 'partially_paid')
          AND i.due_date < :as_of AND l.paid_idr < l.amount_idr - l.credited_idr
        GROUP BY l.worker_id
        """).bindparams(bindparam("workers", expanding=True), bindparam("as_of", type_=Date())),
        {"workers": list(worker_ids), "as_of": as_of},
    )
    return {str(r[0]): int(r[1]) for r in rows}


def publish_payment_received(
    session: Session, invoice: Invoice, payment: Payment, allocated_idr: int, paid_before: set[str]
) -> None:
    """``payment.received`` per invoice a payment went to: the workers whose month it completed become
    covered. ``amount_idr`` is what this invoice received, ``payment_amount_idr`` the whole SP2D."""
    completed = sorted(fully_paid_workers(session, invoice.id) - paid_before)
    owed = arrears_months(session, completed, today_in_area(invoice.village_code))
    data: dict[str, Any] = {
        "payment_id": payment.id,
        "invoice_id": invoice.id,
        "invoice_number": invoice.number,
        "period": str(period_from_index(invoice.period_idx)),
        "amount_idr": allocated_idr,
        "payment_amount_idr": payment.amount_idr,
        "paid_on": payment.paid_on,
        "reference": payment.reference,
        "invoice_status": invoice.status,
        "workers": [{"worker_id": w, "arrears_months": owed.get(w, 0)} for w in completed],
    }
    funding_outbox.emit(
        session, NewEvent(EventType.payment_received, "invoice", str(invoice.id), invoice.village_code, data)
    )


def publish_invoices_issued(session: Session, billing_run_id: int) -> int:
    """``invoice.issued`` for every invoice of a billing run: one read of the run's invoices, one
    multi-row insert into the outbox (a national run issues tens of thousands)."""
    rows = session.execute(
        text(
            "SELECT id, village_code, number, agreement_id, period_idx, kind, total_idr, due_date "
            "FROM invoices WHERE billing_run_id = :run AND status = 'issued' ORDER BY id"
        ),
        {"run": billing_run_id},
    ).all()
    events = [
        NewEvent(
            EventType.invoice_issued,
            "invoice",
            str(row.id),
            row.village_code,
            partner_data(
                EventType.invoice_issued,
                InvoiceIssuedData(
                    invoice_id=row.id,
                    invoice_number=row.number,
                    agreement_id=row.agreement_id,
                    period=str(period_from_index(row.period_idx)),
                    kind=row.kind,
                    total_idr=row.total_idr,
                    due_date=_date(row.due_date),
                ),
            ),
        )
        for row in rows
    ]
    return funding_outbox.emit_many(session, events)


def publish_invoices_overdue(session: Session, overdue: Sequence[Any]) -> int:
    """``invoice.overdue`` for each invoice the overdue run just marked (rows it returned)."""
    events = [
        NewEvent(
            EventType.invoice_overdue,
            "invoice",
            str(row.id),
            row.village_code,
            partner_data(
                EventType.invoice_overdue,
                InvoiceOverdueData(
                    invoice_id=row.id,
                    invoice_number=row.number,
                    period=str(period_from_index(row.period_idx)),
                    total_idr=row.total_idr,
                    paid_idr=row.paid_idr,
                    due_date=_date(row.due_date),
                ),
            ),
        )
        for row in overdue
    ]
    return funding_outbox.emit_many(session, events)


def _date(value: Any) -> dt.date:
    # Raw SQL on SQLite answers dates as ISO strings.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def publish_lapses(session: Session, lapsed: Sequence[tuple[str, str, int]], as_of: dt.date) -> int:
    """``coverage.lapsed`` per worker: (worker id, village code, unpaid months)."""
    events = [
        NewEvent(
            EventType.coverage_lapsed,
            "worker",
            worker_id,
            village_code,
            {"worker_id": worker_id, "unpaid_months": unpaid, "as_of": as_of},
        )
        for worker_id, village_code, unpaid in lapsed
    ]
    return funding_outbox.emit_many(session, events)


def publish_agreement(session: Session, agreement: FundingAgreement, event_type: EventType) -> None:
    data = {
        "agreement_id": agreement.id,
        "fiscal_year": agreement.fiscal_year,
        "source": agreement.source,
        "start_period": str(period_from_index(agreement.start_idx)),
        "end_period": str(period_from_index(agreement.end_idx)),
        "status": agreement.status,
    }
    funding_outbox.emit(
        session, NewEvent(event_type, "agreement", str(agreement.id), agreement.village_code, data)
    )


def publish_handover_due(session: Session, agreement: FundingAgreement) -> int:
    """``coverage.handover_due`` for each worker of an ended agreement that no other agreement funds
    after it: they move to self-pay (DESIGN §7) instead of silently losing coverage."""
    rows = session.execute(
        text(f"""
        SELECT m.worker_id FROM agreement_members m
        WHERE m.agreement_id = :a AND m.status = 'active' AND NOT {HAS_SUCCESSOR_SQL}
        ORDER BY m.worker_id
        """),
        {"a": agreement.id, "next": agreement.end_idx + 1},
    )
    from_period = str(period_from_index(agreement.end_idx + 1))
    events = [
        NewEvent(
            EventType.coverage_handover_due,
            "worker",
            str(r[0]),
            agreement.village_code,
            {"worker_id": str(r[0]), "agreement_id": agreement.id, "self_pay_from": from_period},
        )
        for r in rows
    ]
    return funding_outbox.emit_many(session, events)
