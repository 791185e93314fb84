"""Payments of invoices (from the village treasury, identified by the SP2D number) and invoice states.

Allocation of a (partial) payment to lines: **in line order** - lines are numbered by worker id, then
programme (JKK, JKM, JHT) - each line is paid in full before the next one gets anything. The invoice's
cumulative paid amount is spread again after every payment with one set-based UPDATE, so a line's
``paid_idr`` never depends on how the amount was split across payments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.errors import Conflict, ValidationProblem
from services.common.principal import Principal
from services.common.timeutil import utcnow
from services.funding.events import fully_paid_workers, publish_payment_received
from services.funding.exceptions import InvalidState, InvoiceNotFound
from services.funding.models import Invoice, Payment
from services.funding.statuses import PAYABLE, InvoiceStatus, PaymentMethod, check_transition

PAYMENT_METHODS = tuple(PaymentMethod)
PAYABLE_STATUSES = tuple(sorted(PAYABLE))


@dataclass(frozen=True)
class PaymentRequest:
    invoice_id: int
    amount_idr: int
    paid_on: dt.date
    method: str
    reference: str


def get_invoice(session: Session, principal: Principal, invoice_id: int, *, lock: bool = False) -> Invoice:
    statement = select(Invoice).where(Invoice.id == invoice_id)
    if lock:
        # Re-read under the row lock: the identity map may hold values read before another payment committed.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    invoice = session.scalars(statement).first()
    if invoice is None or not principal.can_access_village(invoice.village_code):
        raise InvoiceNotFound(f"invoice {invoice_id} not found")
    return invoice


def outstanding(invoice: Invoice) -> int:
    return invoice.total_idr - invoice.credited_idr - invoice.paid_idr


def allocate(session: Session, invoice_id: int) -> None:
    """Spread the invoice's paid total over its lines in line order (see module docstring)."""
    before = (
        "COALESCE((SELECT SUM(l2.amount_idr - l2.credited_idr) FROM invoice_lines l2 "
        "WHERE l2.invoice_id = invoice_lines.invoice_id AND l2.line_no < invoice_lines.line_no), 0)"
    )
    available = f"((SELECT i.paid_idr FROM invoices i WHERE i.id = invoice_lines.invoice_id) - {before})"
    session.execute(
        text(f"""
        UPDATE invoice_lines SET paid_idr = CASE
            WHEN {available} <= 0 THEN 0
            WHEN {available} >= amount_idr - credited_idr THEN amount_idr - credited_idr
            ELSE {available} END
        WHERE invoice_id = :invoice
        """),
        {"invoice": invoice_id},
    )


def settle_statuses(
    session: Session, *, agreement_id: int | None = None, invoice_id: int | None = None
) -> None:
    """issued/overdue/partially_paid → paid when nothing is outstanding, partially_paid when some is."""
    where = "agreement_id = :a" if agreement_id is not None else "id = :i"
    session.execute(
        text(f"""
        UPDATE invoices SET status = CASE
            WHEN paid_idr >= total_idr - credited_idr THEN 'paid'
            WHEN paid_idr > 0 THEN 'partially_paid'
            ELSE status END
        WHERE {where} AND status IN ('issued', 'overdue', 'partially_paid')
        """),
        {"a": agreement_id, "i": invoice_id},
    )


def record_payment(session: Session, principal: Principal, request: PaymentRequest, *, actor: str) -> Payment:
    """Record one payment under a row lock on the invoice; refuse over-payment and reused SP2D numbers."""
    invoice = get_invoice(session, principal, request.invoice_id, lock=True)
    if invoice.status not in PAYABLE_STATUSES:
        raise InvalidState(f"invoice {invoice.number} is {invoice.status} and takes no payment")
    due = outstanding(invoice)
    if request.amount_idr > due:
        raise ValidationProblem(
            f"over-payment: Rp{request.amount_idr - due:,} more than the Rp{due:,} outstanding",
            errors=[{"field": "amount_idr", "reason": f"must not exceed the outstanding Rp{due:,}"}],
            extra={"outstanding_idr": due},
        )
    payment = Payment(
        invoice_id=invoice.id,
        village_code=invoice.village_code,
        amount_idr=request.amount_idr,
        paid_on=request.paid_on,
        method=request.method,
        reference=request.reference,
        created_at=utcnow(),
        actor=actor,
    )
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"SP2D reference {request.reference!r} is already recorded for village {invoice.village_code}"
        ) from None
    paid_before = fully_paid_workers(session, invoice.id)
    # The money moves in one conditional statement: whatever another transaction did meanwhile, the
    # invoice never takes more than it is owed (the row lock above makes this the only writer anyway).
    moved = session.execute(
        update(Invoice)
        .where(
            Invoice.id == invoice.id,
            Invoice.status.in_(PAYABLE_STATUSES),
            Invoice.paid_idr + request.amount_idr <= Invoice.total_idr - Invoice.credited_idr,
        )
        .values(paid_idr=Invoice.paid_idr + request.amount_idr, version=Invoice.version + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        session.refresh(invoice)
        due = outstanding(invoice)
        raise ValidationProblem(
            f"over-payment: the invoice has Rp{due:,} outstanding",
            errors=[{"field": "amount_idr", "reason": f"must not exceed the outstanding Rp{due:,}"}],
            extra={"outstanding_idr": due},
        )
    allocate(session, invoice.id)
    settle_statuses(session, invoice_id=invoice.id)
    session.refresh(invoice)
    publish_payment_received(session, invoice, payment, paid_before)
    return payment


def void_invoice(session: Session, principal: Principal, invoice_id: int) -> Invoice:
    invoice = get_invoice(session, principal, invoice_id, lock=True)
    refusal = f"invoice {invoice.number} is {invoice.status}: only an unpaid invoice can be voided"
    if invoice.paid_idr > 0:
        raise InvalidState(refusal)
    invoice.status = check_transition(InvoiceStatus, invoice.status, InvoiceStatus.void, refusal)
    invoice.voided_at = utcnow()
    session.flush()
    return invoice


def list_statement(
    principal: Principal, *, invoice_id: int | None, village_code: str | None
) -> Select[Payment]:
    """Payments the principal may see, narrowed by the given filters (unpaginated)."""
    statement = select(Payment)
    allowed = principal.village_filter()
    if allowed is not None:
        statement = statement.where(Payment.village_code.in_(allowed))
    if invoice_id is not None:
        statement = statement.where(Payment.invoice_id == invoice_id)
    if village_code:
        statement = statement.where(Payment.village_code == village_code)
    return statement
