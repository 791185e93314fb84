"""Reading invoices: list filters and an invoice's lines and credit notes (payments and voids are in
``payments``)."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.common.principal import Principal
from services.funding.models import CreditNote, Invoice, InvoiceLine
from services.funding.statuses import InvoiceStatus


def list_statement(
    principal: Principal, *, village_code: str | None, period_idx: int | None, status: InvoiceStatus | None
) -> Select[Invoice]:
    """Invoices the principal may see, narrowed by the given filters (unpaginated)."""
    statement = select(Invoice)
    allowed = principal.village_filter()
    if allowed is not None:
        statement = statement.where(Invoice.village_code.in_(allowed))
    if village_code:
        statement = statement.where(Invoice.village_code == village_code)
    if period_idx is not None:
        statement = statement.where(Invoice.period_idx == period_idx)
    if status:
        statement = statement.where(Invoice.status == status)
    return statement


def lines_of(session: Session, invoice_id: int) -> list[InvoiceLine]:
    return list(
        session.scalars(
            select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).order_by(InvoiceLine.line_no)
        )
    )


def credit_notes_of(session: Session, invoice_id: int) -> list[CreditNote]:
    return list(
        session.scalars(select(CreditNote).where(CreditNote.invoice_id == invoice_id).order_by(CreditNote.id))
    )


def forget_loaded(session: Session) -> None:
    """Expire the invoices this session holds after raw SQL changed invoice rows (and their version):
    the next access re-reads them, so a later ORM update does not carry a stale version (StaleDataError)
    or stale amounts."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Invoice):
            session.expire(obj)
