"""Funding service: contribution rates, village-fund (dana desa) agreements, billing, invoices, payments."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import create_service_app
from services.funding.config import FundingSettings, get_settings
from services.funding.router import router


def create_app(settings: FundingSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or get_settings(),
        title="Sasar funding",
        description="Contribution rate schedules, funding agreements, billing runs, invoices and payments.",
        routers=[router],
    )
