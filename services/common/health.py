"""``/healthz`` (the process answers) and ``/readyz`` (its database answers and is migrated)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.common.db import Database
from services.common.events import outbox_lag
from services.common.migrations import current_revision, head_revision


class Health(BaseModel):
    status: Literal["ok"]
    component: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    component: str
    checks: dict[str, Any]


def health_router(component: str) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", response_model=Health, summary="The process is up")
    async def healthz() -> Health:
        return Health(status="ok", component=component)

    @router.get(
        "/readyz",
        response_model=Readiness,
        summary="The database answers and is at the migration head",
        responses={503: {"model": Readiness, "description": "Not ready"}},
    )
    def readyz(request: Request) -> JSONResponse:
        database: Database = request.app.state.database
        checks: dict[str, Any] = {}
        ready = True
        try:
            with database.engine.connect() as connection:
                revision = current_revision(connection, component)
            expected = head_revision(component)
            checks["database"] = {"status": "ok", "dialect": database.dialect}
            migrated = revision == expected
            checks["migrations"] = {
                "status": "ok" if migrated else "pending",
                "current": revision,
                "head": expected,
            }
            ready = migrated
            outbox = getattr(request.app.state, "outbox_table", None)
            if outbox is not None and migrated:
                with database.sessions() as session:
                    # Informational: a lagging relay does not make the service unready.
                    checks["outbox"] = {"status": "ok", **outbox_lag(session, outbox)}
        except Exception as exc:  # readiness reports any failure instead of raising it
            checks["database"] = {"status": "error", "error": type(exc).__name__}
            ready = False
        body = Readiness(status="ready" if ready else "not_ready", component=component, checks=checks)
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    return router
