"""``/healthz`` (the process answers) and ``/readyz`` (its database answers and is migrated)."""

from __future__ import annotations

import os
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.common.db import Database
from services.common.events import outbox_lag
from services.common.migrations import current_revision, head_revision

# `sasar up` starts each process with a random token and believes a port is its own process only when
# /healthz answers with that token: another program on the port cannot make it report ready.
INSTANCE_TOKEN_ENV = "SASAR_INSTANCE_TOKEN"
INSTANCE_HEADER = "X-Sasar-Instance"


def instance_headers() -> dict[str, str]:
    """The header proving which started process answers (empty when not started by ``sasar up``)."""
    token = os.environ.get(INSTANCE_TOKEN_ENV, "")
    return {INSTANCE_HEADER: token} if token else {}


class Health(BaseModel):
    status: Literal["ok"]
    component: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    component: str
    checks: dict[str, Any]


def health_router(component: str) -> APIRouter:
    router = APIRouter(tags=["health"])

    proof = instance_headers()

    @router.get("/healthz", response_model=Health, summary="The process is up")
    async def healthz(response: Response) -> Health:
        response.headers.update(proof)
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
