"""Funding HTTP routes: one module per resource under ``services.funding.routes``, joined here.

Who may call what is in ``services.funding.access``.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.funding.routes import (
    agreements,
    billing,
    exports,
    invoices,
    payments,
    printing,
    rates,
    villages,
)

router = APIRouter()
# Exports first: /v1/invoices/export must match before /v1/invoices/{invoice_id} takes "export" for an id.
for _module in (exports, rates, agreements, billing, invoices, printing, payments, villages):
    router.include_router(_module.router)
