"""Payments of invoices (Idempotency-Key required) and their list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from services.common.errors import ValidationProblem
from services.common.idempotency import IdempotencyKeyHeader, idempotent_post
from services.common.messages import Message
from services.common.pagination import Page, paginate_list
from services.funding import payments
from services.funding.access import FundingReader, require_reader, require_writer
from services.funding.dependencies import CurrentPrincipal, DbSession
from services.funding.models import Invoice, Payment, idempotency_keys
from services.funding.routes.common import ListPagination
from services.funding.schemas import (
    MAX_ROW_ID,
    PaymentAllocationOut,
    PaymentIn,
    PaymentOut,
    VillageCodeFilter,
)

router = APIRouter(prefix="/v1", tags=["funding"])


def _payment_out(
    payment: Payment, allocations: list[PaymentAllocationOut], invoice_status: str | None = None
) -> PaymentOut:
    return PaymentOut(
        id=payment.id,
        invoice_id=payment.invoice_id,
        village_code=payment.village_code,
        amount_idr=payment.amount_idr,
        paid_on=payment.paid_on,
        method=payment.method,
        reference=payment.reference,
        created_at=payment.created_at,
        updated_at=payment.updated_at,
        invoice_status=invoice_status,
        allocations=allocations,
    )


def _allocations(session: DbSession, payment_ids: list[int]) -> dict[int, list[PaymentAllocationOut]]:
    found: dict[int, list[PaymentAllocationOut]] = {i: [] for i in payment_ids}
    for row in payments.allocations_of(session, payment_ids):
        found[row.payment_id].append(PaymentAllocationOut.model_validate(row))
    return found


@router.post(
    "/payments",
    response_model=PaymentOut,
    status_code=201,
    summary="Record a payment (Idempotency-Key required)",
)
def create_payment(
    body: PaymentIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    if idempotency_key is None:
        raise ValidationProblem.single("Idempotency-Key", Message("funding.idempotency_required"))
    require_reader(principal)
    if (body.invoice_id is None) == (body.invoice_ids is None):
        raise ValidationProblem.single("invoice_id", Message("funding.invoice_id_or_ids"))
    for invoice_id in body.invoices():
        require_writer(principal, payments.get_invoice(session, principal, invoice_id).village_code)
    request_ = payments.PaymentRequest(
        invoice_ids=body.invoices(),
        amount_idr=body.amount_idr,
        paid_on=body.paid_on,
        method=body.method,
        reference=body.reference,
    )

    def produce() -> PaymentOut:
        payment = payments.record_payment(session, principal, request_, actor=principal.actor)
        refreshed = session.get(Invoice, payment.invoice_id)
        return _payment_out(
            payment, _allocations(session, [payment.id])[payment.id], refreshed.status if refreshed else None
        )

    return idempotent_post(
        session,
        idempotency_keys,
        principal=principal,
        key=idempotency_key,
        path=request.url.path,
        payload=body,
        status_code=201,
        produce=produce,
    )


@router.get("/payments", response_model=Page[PaymentOut], summary="List payments")
def list_payments(
    session: DbSession,
    principal: FundingReader,
    pagination: ListPagination,
    invoice_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    village_code: Annotated[VillageCodeFilter | None, Query()] = None,
) -> Page[PaymentOut]:
    statement = payments.list_statement(principal, invoice_id=invoice_id, village_code=village_code)
    rows, cursor = paginate_list(
        session,
        statement,
        created_at=Payment.created_at,
        updated_at=Payment.updated_at,
        id_column=Payment.id,
        params=pagination,
        ids_follow_creation=True,
    )
    allocations = _allocations(session, [p.id for p in rows])
    return Page(items=[_payment_out(p, allocations[p.id]) for p in rows], next_cursor=cursor)
