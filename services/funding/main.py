"""Funding service: contribution rates, village-fund (dana desa) agreements, billing, invoices, payments."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.metrics import Gauge, query_gauge
from services.funding.config import FundingSettings, get_settings
from services.funding.inbox import funding_inbox
from services.funding.models import outbox
from services.funding.operations import OPERATIONS
from services.funding.registry_client import RegistryDirectory
from services.funding.router import router


def create_app(settings: FundingSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    def connect_registry(app: FastAPI) -> None:
        app.state.worker_directory = RegistryDirectory(
            settings.registry_url, settings.internal_secret.get_secret_value()
        )

    return create_service_app(
        operations=OPERATIONS,
        settings=settings,
        title="Sasar funding",
        description="Contribution rate schedules, funding agreements, billing runs, invoices and payments.",
        routers=[router],
        on_startup=[connect_registry],
        inbox=funding_inbox,
        outbox=outbox,
        gauges=_gauges,
    )


def _gauges(app: FastAPI) -> list[Gauge]:
    return [
        query_gauge(
            app,
            "sasar_invoices",
            "Invoices by status",
            ["status"],
            "SELECT status, COUNT(*) FROM invoices GROUP BY status",
        ),
        query_gauge(
            app,
            "sasar_invoiced_idr",
            "Rupiah invoiced, by invoice status",
            ["status"],
            "SELECT status, SUM(total_idr) FROM invoices GROUP BY status",
        ),
        query_gauge(
            app,
            "sasar_paid_idr",
            "Rupiah paid, by invoice status",
            ["status"],
            "SELECT status, SUM(paid_idr) FROM invoices GROUP BY status",
        ),
        query_gauge(
            app,
            "sasar_jobs",
            "Durable jobs by status",
            ["status"],
            "SELECT status, COUNT(*) FROM jobs GROUP BY status",
        ),
    ]
