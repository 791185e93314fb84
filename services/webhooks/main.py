"""Webhooks service: partners' endpoints, and the signed, retried deliveries of events to them."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.metrics import Gauge, query_gauge
from services.webhooks.config import WebhooksSettings, get_settings
from services.webhooks.events import webhooks_inbox
from services.webhooks.operations import OPERATIONS
from services.webhooks.router import router


def create_app(settings: WebhooksSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or get_settings(),
        title="Sasar webhooks",
        description="Partner webhook endpoints and the signed deliveries of events to them.",
        routers=[router],
        inbox=webhooks_inbox,
        gauges=_gauges,
        operations=OPERATIONS,
    )


def _gauges(app: FastAPI) -> list[Gauge]:
    return [
        query_gauge(
            app,
            "sasar_webhook_deliveries",
            "Webhook deliveries, by status",
            ["status"],
            "SELECT status, COUNT(*) FROM webhook_deliveries GROUP BY status",
        ),
    ]
