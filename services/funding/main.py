"""Funding service: contribution rates, village-fund (dana desa) agreements, billing, invoices, payments."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import create_service_app
from services.funding.config import FundingSettings, get_settings
from services.funding.inbox import funding_inbox
from services.funding.models import outbox
from services.funding.registry_client import RegistryDirectory
from services.funding.router import router


def create_app(settings: FundingSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    def connect_registry(app: FastAPI) -> None:
        app.state.worker_directory = RegistryDirectory(
            settings.registry_url, settings.internal_secret.get_secret_value()
        )

    return create_service_app(
        settings=settings,
        title="Sasar funding",
        description="Contribution rate schedules, funding agreements, billing runs, invoices and payments.",
        routers=[router],
        on_startup=[connect_registry],
        inbox=funding_inbox,
        outbox=outbox,
    )
