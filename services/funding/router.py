"""Funding HTTP routes: one module per resource under ``services.funding.routes``, joined here.

Who may call what is in ``services.funding.access``.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.funding.routes import agreements, billing, invoices, payments, rates, villages

router = APIRouter()
for _module in (rates, agreements, billing, invoices, payments, villages):
    router.include_router(_module.router)
