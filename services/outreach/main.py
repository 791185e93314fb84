"""Outreach service: police village officers (Bhabinkamtibmas), their villages, sessions, leads, targets."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import create_service_app
from services.outreach import progress
from services.outreach.config import OutreachSettings, get_settings
from services.outreach.events import outreach_inbox
from services.outreach.models import outbox
from services.outreach.registry_client import install_registry_client
from services.outreach.router import internal_router, router


def _warm_area_reference(_app: FastAPI) -> None:
    """Load the village counts per area code once per process, before the first progress request."""
    progress.village_count(None)


def create_app(settings: OutreachSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or get_settings(),
        title="Sasar outreach",
        description="Officers, village assignments, sessions, offline field sync, leads and targets.",
        routers=[router, internal_router],
        on_startup=[install_registry_client, _warm_area_reference],
        inbox=outreach_inbox,
        outbox=outbox,
    )
