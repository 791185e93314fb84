"""Registry service: the worker registry and the area reference table."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.metrics import Gauge, query_gauge
from services.common.wilayah import reference_village_codes
from services.registry.config import RegistrySettings, get_settings
from services.registry.inbox import registry_inbox
from services.registry.models import outbox
from services.registry.operations import OPERATIONS
from services.registry.outreach_client import install_officer_checks
from services.registry.router import (
    areas_router,
    candidates_router,
    counts_router,
    imports_router,
    jobs_router,
    workers_router,
)
from services.registry.routes_exports import router as exports_router


def _load_reference_villages(_app: FastAPI) -> None:
    # 83,762 codes every worker write is checked against: load them before the first request needs them.
    reference_village_codes()


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    return create_service_app(
        operations=OPERATIONS,
        settings=settings or get_settings(),
        title="Sasar registry",
        description="Workers (NIK, village, occupation, coverage status) and Indonesia's area codes.",
        # Exports first: /v1/workers/export and /v1/worker-imports/template are not ids.
        routers=[
            exports_router,
            areas_router,
            workers_router,
            counts_router,
            imports_router,
            candidates_router,
            jobs_router,
        ],
        on_startup=[_load_reference_villages, install_officer_checks],
        inbox=registry_inbox,
        outbox=outbox,
        gauges=_gauges,
    )


def _gauges(app: FastAPI) -> list[Gauge]:
    return [
        query_gauge(
            app,
            "sasar_workers",
            "Registered workers by coverage status",
            ["status"],
            "SELECT status, COUNT(*) FROM workers GROUP BY status",
        ),
        query_gauge(
            app,
            "sasar_jobs",
            "Durable jobs by status",
            ["status"],
            "SELECT status, COUNT(*) FROM jobs GROUP BY status",
        ),
    ]
