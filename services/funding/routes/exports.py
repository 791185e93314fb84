"""Funding downloads as CSV or XLSX: invoices with their lines, payments, the village statement.

Same tenancy as the JSON lists: a village key sees its own village only (another village's statement
answers 404, its invoices and payments are simply not in the file), internal clients read with
``funding:admin`` or ``reports:read``, officers have no access to money (403): the rules of
:mod:`services.funding.access`. Invoice lines carry the worker's name and masked NIK, which funding
does not keep: they are asked of the registry in one batch call per 1,000 workers
(``POST /v1/workers/lookup``). See docs/exports.md.

Paths sit under the JSON resources (``/v1/invoices/export``); the router is placed before
``/v1/invoices/{invoice_id}``, which would otherwise take ``export`` for an id.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from services.common.errors import ValidationProblem
from services.common.exports import EXPORT_RESPONSES, Cell, ExportFormat, export_format, export_response
from services.common.principal import Principal
from services.common.timeutil import to_area_time, today_in_area, utcnow
from services.funding import invoices, rates, reports
from services.funding.access import FundingReader, require_village_reader
from services.funding.dependencies import DbSession, Identities
from services.funding.models import Invoice, InvoiceLine, Payment, PaymentAllocation
from services.funding.pricing import Period, PricingError
from services.funding.schemas import MAX_ROW_ID, VillageCodeFilter, VillageCodeText
from services.funding.statuses import InvoiceStatus

router = APIRouter(tags=["funding"])
Format = Annotated[ExportFormat, Depends(export_format)]
VillageFilter = Annotated[VillageCodeFilter | None, Query()]


def _period_index(period: str) -> int:
    try:
        return rates.period_index(Period.parse(period))
    except PricingError as exc:
        raise ValidationProblem.single(exc.field, exc.reason) from None


def _filename(kind: str, principal: Principal, village_code: str | None) -> str:
    allowed = principal.village_filter()
    scope = village_code or (next(iter(allowed)) if allowed is not None and len(allowed) == 1 else None)
    today = utcnow().date()
    if scope is not None:
        with contextlib.suppress(KeyError, ValueError):
            today = today_in_area(scope)
    return f"sasar-{kind}-{scope or 'all'}-{today.isoformat()}"


# --- invoices --------------------------------------------------------------------------------------

INVOICE_COLUMNS = (
    "invoice_number",
    "invoice_id",
    "village_code",
    "period",
    "invoice_status",
    "due_date",
    "invoice_created_at",
    "line_no",
    "worker_id",
    "worker_name",
    "nik_masked",
    "program",
    "declared_income_idr",
    "amount_idr",
    "discount_idr",
    "paid_idr",
    "credited_idr",
    "outstanding_idr",
)


@router.get(
    "/v1/invoices/export",
    summary="Export invoices with their lines (worker name, masked NIK) as CSV or XLSX",
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
)
def export_invoices(
    session: DbSession,
    principal: FundingReader,
    export: Format,
    identities: Identities,
    village_code: VillageFilter = None,
    period: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$")] = None,
    status: InvoiceStatus | None = None,
) -> StreamingResponse:
    chosen = invoices.list_statement(
        principal,
        village_code=village_code,
        period_idx=_period_index(period) if period else None,
        status=status,
    ).subquery()
    lines = (
        select(Invoice, InvoiceLine)
        .join(chosen, chosen.c.id == Invoice.id)
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .order_by(Invoice.id, InvoiceLine.line_no)
    )
    worker_ids = session.scalars(
        select(InvoiceLine.worker_id).join(chosen, chosen.c.id == InvoiceLine.invoice_id).distinct()
    ).all()
    names = identities.fetch_identities(list(worker_ids)) if worker_ids else {}

    def rows() -> Iterator[list[Cell]]:
        for invoice, line in session.execute(lines.execution_options(yield_per=1_000)):
            who = names.get(line.worker_id)
            yield [
                invoice.number,
                invoice.id,
                invoice.village_code,
                str(rates.period_from_index(invoice.period_idx)),
                invoice.status,
                invoice.due_date,
                to_area_time(invoice.created_at, invoice.village_code),
                line.line_no,
                line.worker_id,
                who.name if who else None,
                who.nik_masked if who else None,
                line.program,
                line.declared_income_idr,
                line.amount_idr,
                line.discount_idr,
                line.paid_idr,
                line.credited_idr,
                line.amount_idr - line.paid_idr - line.credited_idr,
            ]

    filename = _filename("invoices", principal, village_code)
    return export_response(INVOICE_COLUMNS, rows(), export, filename=filename, sheet_title="invoices")


# --- payments --------------------------------------------------------------------------------------

# A payment that paid several invoices (one SP2D for several months) has a row per invoice: sum
# ``allocated_idr`` per invoice or village; ``payment_amount_idr`` repeats the transfer's whole amount.
PAYMENT_COLUMNS = (
    "payment_id",
    "invoice_id",
    "invoice_number",
    "village_code",
    "allocated_idr",
    "payment_amount_idr",
    "paid_on",
    "method",
    "reference",
    "recorded_at",
)


@router.get(
    "/v1/payments/export",
    summary="Export payments as CSV or XLSX (a row per invoice each payment went to)",
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
)
def export_payments(
    session: DbSession,
    principal: FundingReader,
    export: Format,
    village_code: VillageFilter = None,
    invoice_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> StreamingResponse:
    statement = (
        select(Payment, PaymentAllocation.amount_idr, Invoice.id, Invoice.number)
        .join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
    )
    allowed = principal.village_filter()
    if allowed is not None:
        statement = statement.where(Payment.village_code.in_(sorted(allowed)))
    if village_code:
        statement = statement.where(Payment.village_code == village_code)
    if invoice_id is not None:
        statement = statement.where(PaymentAllocation.invoice_id == invoice_id)
    statement = statement.order_by(Payment.id, Invoice.period_idx, Invoice.id)

    def rows() -> Iterator[list[Cell]]:
        for payment, allocated, paid_invoice_id, number in session.execute(
            statement.execution_options(yield_per=1_000)
        ):
            yield [
                payment.id,
                paid_invoice_id,
                number,
                payment.village_code,
                allocated,
                payment.amount_idr,
                payment.paid_on,
                payment.method,
                payment.reference,
                to_area_time(payment.created_at, payment.village_code),
            ]

    filename = _filename("payments", principal, village_code)
    return export_response(PAYMENT_COLUMNS, rows(), export, filename=filename, sheet_title="payments")


# --- village statement -----------------------------------------------------------------------------

STATEMENT_COLUMNS = (
    "period",
    "invoices",
    "invoiced_idr",
    "paid_idr",
    "outstanding_idr",
    "budget_ceiling_idr",
    "budget_committed_idr",
    "budget_remaining_idr",
)


@router.get(
    "/v1/villages/{code}/statement/export",
    summary="Export the village statement of a fiscal year (a row per month, then the total) as CSV or XLSX",
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
)
def export_statement(
    code: Annotated[VillageCodeText, Path(examples=["33.26.15.2001"])],
    session: DbSession,
    principal: FundingReader,
    export: Format,
    fiscal_year: Annotated[int, Query(ge=2000, le=2099)],
) -> StreamingResponse:
    require_village_reader(principal, code)
    body = reports.statement(session, code, fiscal_year)
    rows: list[list[Cell]] = [
        [m["period"], m["invoices"], m["invoiced_idr"], m["paid_idr"], m["outstanding_idr"], None, None, None]
        for m in body["months"]
    ]
    rows.append(
        [
            f"total {fiscal_year}",
            sum(m["invoices"] for m in body["months"]),
            body["invoiced_idr"],
            body["paid_idr"],
            body["outstanding_idr"],
            body["budget_ceiling_idr"],
            body["budget_committed_idr"],
            body["budget_remaining_idr"],
        ]
    )
    filename = f"sasar-statement-{code}-{fiscal_year}"
    return export_response(STATEMENT_COLUMNS, rows, export, filename=filename, sheet_title="statement")
