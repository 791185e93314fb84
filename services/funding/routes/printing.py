"""The printable invoice: ``GET /v1/invoices/{id}/printable`` answers a self-contained HTML page.

A path of its own rather than ``Accept: text/html`` on ``GET /v1/invoices/{id}``: one operation, one
media type, so the OpenAPI document and generated clients stay simple, and a caching proxy or a browser
never mixes the JSON and the page under one URL. Same tenancy as the invoice (another village's invoice
is a 404; officers 403); names come from the registry as the export gets them.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.funding import invoice_print, payments
from services.funding.access import FundingReader
from services.funding.dependencies import DbSession, Identities
from services.funding.routes.common import RowId

router = APIRouter(prefix="/v1", tags=["funding"])


@router.get(
    "/invoices/{invoice_id}/printable",
    response_class=HTMLResponse,
    summary="The invoice as a printable page (A4, Bahasa Indonesia) for the village treasurer",
    responses={
        200: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "Self-contained HTML, no external assets",
        }
    },
)
def printable_invoice(
    invoice_id: RowId, session: DbSession, principal: FundingReader, identities: Identities
) -> HTMLResponse:
    invoice = payments.get_invoice(session, principal, invoice_id)
    page = invoice_print.render(invoice_print.load(session, invoice, identities))
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": invoice_print.CONTENT_SECURITY_POLICY,
            "Content-Disposition": f'inline; filename="tagihan-{invoice.id}.html"',
        },
    )
