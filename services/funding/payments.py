"""Payments from the village treasury (identified by the SP2D number) and invoice states.

One payment (one SP2D) pays one invoice or several invoices of its village, **oldest month first**: each
invoice takes what it still owes until the amount is used up; more than all of them owe is refused.

Within an invoice the money covers **whole worker-months**, in line order (lines are numbered by worker,
then programme JKK, JKM, JHT): a worker's month is paid only when the invoice's paid total reaches all of
that worker's lines, so JKK is never paid while JKM is half paid. An amount that does not reach the next
worker's whole month stays on the invoice (``unallocated_idr``) until a later payment completes it. The
lines are spread again from the invoice's cumulative paid total after every payment, with one set-based
UPDATE, so a line's ``paid_idr`` never depends on how the amount was split across payments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, bindparam, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.db import UTCDateTime
from services.common.errors import Conflict, ValidationProblem
from services.common.messages import Message
from services.common.principal import Principal
from services.common.timeutil import utcnow
from services.funding.events import fully_paid_workers, publish_payment_received
from services.funding.exceptions import InvalidState, InvoiceNotFound
from services.funding.models import Invoice, Payment, PaymentAllocation
from services.funding.statuses import PAYABLE, InvoiceStatus, check_transition

PAYABLE_STATUSES = tuple(sorted(PAYABLE))


@dataclass(frozen=True)
class PaymentRequest:
    invoice_ids: tuple[int, ...]
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
        raise InvoiceNotFound(Message("funding.invoice_not_found", invoice_id=invoice_id))
    return invoice


def lock_invoices(session: Session, principal: Principal, invoice_ids: Sequence[int]) -> list[Invoice]:
    """The invoices, row-locked in id order (every writer of several invoices locks in that order, so two
    of them never wait on each other in a cycle); 404 for any the principal cannot see."""
    wanted = sorted(set(invoice_ids))
    rows = session.scalars(
        select(Invoice)
        .where(Invoice.id.in_(wanted))
        .order_by(Invoice.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    found = {row.id: row for row in rows if principal.can_access_village(row.village_code)}
    for invoice_id in wanted:
        if invoice_id not in found:
            raise InvoiceNotFound(Message("funding.invoice_not_found", invoice_id=invoice_id))
    return [found[i] for i in wanted]


def outstanding(invoice: Invoice) -> int:
    return invoice.total_idr - invoice.credited_idr - invoice.paid_idr


def allocate(session: Session, invoice_ids: Sequence[int]) -> None:
    """Spread each invoice's paid total over its lines by whole worker-months (see module docstring)."""
    if not invoice_ids:
        return
    due_through_worker = (
        "(SELECT SUM(l2.amount_idr - l2.credited_idr) FROM invoice_lines l2 "
        "WHERE l2.invoice_id = invoice_lines.invoice_id AND l2.worker_id <= invoice_lines.worker_id)"
    )
    paid = "(SELECT i.paid_idr FROM invoices i WHERE i.id = invoice_lines.invoice_id)"
    session.execute(
        text(f"""
        UPDATE invoice_lines SET paid_idr = CASE
            WHEN {due_through_worker} <= {paid} THEN amount_idr - credited_idr ELSE 0 END
        WHERE invoice_id IN :invoices
        """).bindparams(bindparam("invoices", expanding=True)),
        {"invoices": list(invoice_ids)},
    )


def settle_statuses(
    session: Session, *, agreement_id: int | None = None, invoice_ids: Sequence[int] = ()
) -> None:
    """issued/overdue/partially_paid → paid when nothing is outstanding, partially_paid when some is."""
    where = "agreement_id = :a" if agreement_id is not None else "id IN :ids"
    statement = text(f"""
        UPDATE invoices SET status = CASE
            WHEN paid_idr >= total_idr - credited_idr THEN 'paid'
            WHEN paid_idr > 0 THEN 'partially_paid'
            ELSE status END,
            updated_at = :now
        WHERE {where} AND status IN ('issued', 'overdue', 'partially_paid')
        """).bindparams(bindparam("now", type_=UTCDateTime()))
    if agreement_id is None:
        statement = statement.bindparams(bindparam("ids", expanding=True))
    session.execute(statement, {"a": agreement_id, "ids": list(invoice_ids), "now": utcnow()})


def _over_payment(due: int) -> ValidationProblem:
    return ValidationProblem(
        Message("funding.over_payment", due=due),
        errors=[{"field": "amount_idr", "reason": Message("funding.max_outstanding", due=due)}],
        extra={"outstanding_idr": due},
    )


def plan_allocations(invoices: Sequence[Invoice], amount_idr: int) -> list[tuple[Invoice, int]]:
    """Split ``amount_idr`` over the invoices oldest month first (then by number); refuse over-payment."""
    ordered = sorted(invoices, key=lambda i: (i.period_idx, i.year, i.sequence_no))
    due = sum(outstanding(i) for i in ordered)
    if amount_idr > due:
        raise _over_payment(due)
    plan: list[tuple[Invoice, int]] = []
    remaining = amount_idr
    for invoice in ordered:
        take = min(remaining, outstanding(invoice))
        if take > 0:
            plan.append((invoice, take))
            remaining -= take
    return plan


def record_payment(session: Session, principal: Principal, request: PaymentRequest, *, actor: str) -> Payment:
    """Record one SP2D over its invoices under their row locks; refuse over-payment and reused numbers."""
    invoices = lock_invoices(session, principal, request.invoice_ids)
    villages = {invoice.village_code for invoice in invoices}
    if len(villages) > 1:
        raise ValidationProblem.single("invoice_ids", Message("funding.one_village_sp2d"))
    for invoice in invoices:
        if invoice.status not in PAYABLE_STATUSES:
            raise InvalidState(
                Message("funding.invoice_takes_no_payment", number=invoice.number, status=invoice.status)
            )
    plan = plan_allocations(invoices, request.amount_idr)
    payment = Payment(
        invoice_id=plan[0][0].id,
        village_code=invoices[0].village_code,
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
            Message(
                "funding.duplicate_sp2d", reference=repr(request.reference), village_code=payment.village_code
            )
        ) from None
    paid_before = {invoice.id: fully_paid_workers(session, invoice.id) for invoice, _ in plan}
    for invoice, amount in plan:
        # The money moves in one conditional statement: whatever another transaction did meanwhile, an
        # invoice never takes more than it is owed (the row locks above make this the only writer anyway).
        moved = session.execute(
            update(Invoice)
            .where(
                Invoice.id == invoice.id,
                Invoice.status.in_(PAYABLE_STATUSES),
                Invoice.paid_idr + amount <= Invoice.total_idr - Invoice.credited_idr,
            )
            .values(paid_idr=Invoice.paid_idr + amount, version=Invoice.version + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(moved, "rowcount", 0) != 1:
            session.refresh(invoice)
            raise _over_payment(outstanding(invoice))
        session.add(PaymentAllocation(payment_id=payment.id, invoice_id=invoice.id, amount_idr=amount))
    session.flush()
    paid_ids = [invoice.id for invoice, _ in plan]
    allocate(session, paid_ids)
    settle_statuses(session, invoice_ids=paid_ids)
    for invoice, amount in plan:
        session.refresh(invoice)
        publish_payment_received(session, invoice, payment, amount, paid_before[invoice.id])
    return payment


def allocations_of(session: Session, payment_ids: Sequence[int]) -> Sequence[PaymentAllocation]:
    """The invoices each payment went to, oldest month first."""
    if not payment_ids:
        return []
    return session.scalars(
        select(PaymentAllocation)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.payment_id.in_(payment_ids))
        .order_by(PaymentAllocation.payment_id, Invoice.period_idx, Invoice.id)
    ).all()


def pays_invoice(invoice_id: int) -> ColumnElement[bool]:
    """Filter: payments that went (wholly or partly) to the invoice."""
    return Payment.id.in_(
        select(PaymentAllocation.payment_id).where(PaymentAllocation.invoice_id == invoice_id)
    )


def void_invoice(session: Session, principal: Principal, invoice_id: int) -> Invoice:
    invoice = get_invoice(session, principal, invoice_id, lock=True)
    refusal = Message("funding.void_unpaid_only", number=invoice.number, status=invoice.status)
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
        statement = statement.where(pays_invoice(invoice_id))
    if village_code:
        statement = statement.where(Payment.village_code == village_code)
    return statement
