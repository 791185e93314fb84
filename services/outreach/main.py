"""Outreach service: police village officers (Bhabinkamtibmas), their villages, sessions, leads, targets."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.metrics import Gauge, query_gauge
from services.outreach import calendar_routes, progress
from services.outreach.config import OutreachSettings, get_settings
from services.outreach.events import outreach_inbox
from services.outreach.models import outbox
from services.outreach.operations import OPERATIONS
from services.outreach.registry_client import install_registry_client
from services.outreach.router import internal_router, router


def _warm_area_reference(_app: FastAPI) -> None:
    """Load the village counts per area code once per process, before the first progress request."""
    progress.village_count(None)


def create_app(settings: OutreachSettings | None = None) -> FastAPI:
    return create_service_app(
        operations=OPERATIONS,
        settings=settings or get_settings(),
        title="Sasar outreach",
        description="Officers, village assignments, sessions, offline field sync, leads and targets.",
        routers=[router, calendar_routes.router, internal_router],
        on_startup=[install_registry_client, _warm_area_reference],
        inbox=outreach_inbox,
        outbox=outbox,
        gauges=_gauges,
    )


def _gauges(app: FastAPI) -> list[Gauge]:
    return [
        query_gauge(
            app,
            "sasar_leads",
            "Leads captured in the field, by status",
            ["status"],
            "SELECT status, COUNT(*) FROM leads GROUP BY status",
        ),
        query_gauge(
            app,
            "sasar_covered_workers",
            "Workers with active coverage (as registry events report them), all villages",
            [],
            "SELECT SUM(active) FROM village_worker_counts",
        ),
    ]
