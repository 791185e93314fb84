"""Invoices: list, read with lines and credit notes, void (funding:admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.common.concurrency import etag
from services.common.pagination import Page, paginate_list
from services.funding import invoices, payments, rates
from services.funding.access import FundingReader, require_admin
from services.funding.dependencies import DbSession
from services.funding.models import CreditNote, Invoice, InvoiceLine
from services.funding.pricing import Period, PricingError
from services.funding.routes.common import ListPagination, RowId, pricing_problem
from services.funding.schemas import InvoiceOut, VillageCodeFilter
from services.funding.statuses import InvoiceStatus

router = APIRouter(prefix="/v1", tags=["funding"])


def _invoice_out(
    invoice: Invoice, lines: list[InvoiceLine] | None = None, credits: list[CreditNote] | None = None
) -> InvoiceOut:
    return InvoiceOut(
        id=invoice.id,
        number=invoice.number,
        agreement_id=invoice.agreement_id,
        village_code=invoice.village_code,
        period=str(rates.period_from_index(invoice.period_idx)),
        status=invoice.status,
        kind=invoice.kind,
        total_idr=invoice.total_idr,
        credited_idr=invoice.credited_idr,
        paid_idr=invoice.paid_idr,
        outstanding_idr=payments.outstanding(invoice) if invoice.status != InvoiceStatus.void else 0,
        unallocated_idr=None if lines is None else invoice.paid_idr - sum(line.paid_idr for line in lines),
        due_date=invoice.due_date,
        created_at=invoice.created_at,
        updated_at=invoice.updated_at,
        version=invoice.version,
        lines=None
        if lines is None
        else [
            {
                "line_no": line.line_no,
                "worker_id": line.worker_id,
                "program": line.program,
                "schedule_id": line.schedule_id,
                "declared_income_idr": line.declared_income_idr,
                "amount_idr": line.amount_idr,
                "discount_idr": line.discount_idr,
                "paid_idr": line.paid_idr,
                "credited_idr": line.credited_idr,
            }
            for line in lines
        ],
        credit_notes=None
        if credits is None
        else [
            {
                "id": note.id,
                "worker_id": note.worker_id,
                "amount_idr": note.amount_idr,
                "reason": note.reason,
                "created_at": note.created_at,
            }
            for note in credits
        ],
    )


@router.get("/invoices", response_model=Page[InvoiceOut], summary="List invoices")
def list_invoices(
    session: DbSession,
    principal: FundingReader,
    pagination: ListPagination,
    village_code: Annotated[VillageCodeFilter | None, Query()] = None,
    period: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$")] = None,
    status: InvoiceStatus | None = None,
) -> Page[InvoiceOut]:
    try:
        period_idx = None if not period else rates.period_index(Period.parse(period))
    except PricingError as exc:
        raise pricing_problem(exc) from None
    statement = invoices.list_statement(
        principal, village_code=village_code, period_idx=period_idx, status=status
    )
    rows, cursor = paginate_list(
        session,
        statement,
        created_at=Invoice.created_at,
        updated_at=Invoice.updated_at,
        id_column=Invoice.id,
        params=pagination,
        ids_follow_creation=True,
    )
    return Page(items=[_invoice_out(i) for i in rows], next_cursor=cursor)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, summary="An invoice with its lines")
def get_invoice(
    invoice_id: RowId, session: DbSession, principal: FundingReader, response: Response
) -> InvoiceOut:
    invoice = payments.get_invoice(session, principal, invoice_id)
    response.headers["ETag"] = etag(invoice.version)
    return _invoice_out(
        invoice, invoices.lines_of(session, invoice.id), invoices.credit_notes_of(session, invoice.id)
    )


@router.post("/invoices/{invoice_id}/void", response_model=InvoiceOut, summary="Void an unpaid invoice")
def void_invoice(invoice_id: RowId, session: DbSession, principal: FundingReader) -> InvoiceOut:
    payments.get_invoice(session, principal, invoice_id)  # 404 before 403 for another village's invoice
    require_admin(principal)
    return _invoice_out(payments.void_invoice(session, principal, invoice_id))
