"""The one way a service app is built: lifespan-owned database, request ids, problem handlers,
health endpoints and an OpenAPI document whose error responses are problem+json."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Table

from services.common.db import Database, install_database_error_handling
from services.common.errors import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    UnhandledErrorMiddleware,
    install_problem_handlers,
)
from services.common.events import Inbox, internal_events_router
from services.common.health import health_router
from services.common.logging import configure_logging
from services.common.metrics import Gauge, install_metrics, outbox_gauges
from services.common.openapi import HEALTH_OPERATIONS, SECURITY_SCHEMES, OperationTable, apply_operation_table
from services.common.requestid import RequestIdMiddleware
from services.common.security_headers import SecurityHeadersMiddleware
from services.common.settings import ComponentSettings

StartupHook = Callable[[FastAPI], None]

# Statuses every operation may answer with a problem: documented so generated clients expect them.
_COMMON_ERROR_STATUSES = {
    "400": "Malformed request (e.g. a body that cannot be parsed)",
    "401": "Missing or invalid credentials",
    "403": "The caller may never do this",
    "404": "Not found (or belongs to another tenant)",
    "422": "Invalid input; `errors` lists each field and reason",
    "500": "Unexpected error; quote the request id",
    "503": "The database is briefly unavailable; retry after `Retry-After` seconds",
}


def problem_openapi(app: FastAPI, operations: OperationTable | None = None) -> Callable[[], dict[str, Any]]:
    """OpenAPI generator that documents every error response as ``application/problem+json`` and applies
    the component's operation table (ids, security, required headers, schema names)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for defs_name, defs in list(components["Problem"].pop("$defs", {}).items()):
            components.setdefault(defs_name, defs)
        problem_ref = {"$ref": "#/components/schemas/Problem"}
        for path_item in schema.get("paths", {}).values():
            for method, operation in path_item.items():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                statuses = dict(_COMMON_ERROR_STATUSES)
                if method in ("post", "put", "patch", "delete"):
                    statuses["409"] = "Conflicts with the current state (duplicate, overlap, key in use)"
                takes_if_match = any(
                    p.get("in") == "header" and str(p.get("name", "")).lower() == "if-match"
                    for p in operation.get("parameters", [])
                )
                if method == "patch" or takes_if_match:
                    statuses["412"] = "`If-Match` names a version that is no longer current"
                for status, description in statuses.items():
                    existing = responses.get(status, {})
                    responses[status] = {
                        "description": existing.get("description", description),
                        "content": {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}},
                        **({"headers": existing["headers"]} if "headers" in existing else {}),
                    }
                for status, response in responses.items():
                    if status.startswith(("4", "5")) and status not in statuses:
                        content = response.setdefault("content", {})
                        content.pop("application/json", None)
                        content[PROBLEM_MEDIA_TYPE] = {"schema": problem_ref}
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        schema["components"]["securitySchemes"] = copy.deepcopy(SECURITY_SCHEMES)
        apply_operation_table(schema, HEALTH_OPERATIONS, *([operations] if operations else []))
        app.openapi_schema = schema
        return schema

    return build


def create_service_app(
    *,
    settings: ComponentSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    version: str = "0.1.0",
    on_startup: Sequence[StartupHook] = (),
    inbox: Inbox | None = None,
    outbox: Table | None = None,
    gauges: Callable[[FastAPI], Sequence[Gauge]] | None = None,
    operations: OperationTable | None = None,
) -> FastAPI:
    """The service app; ``inbox`` adds ``POST /internal/events`` and ``outbox`` its lag to ``/readyz``."""
    component = settings.component

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, json=settings.log_json)
        app.state.database = Database(settings.database_url)
        for hook in on_startup:
            hook(app)
        try:
            yield
        finally:
            app.state.database.dispose()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.settings = settings
    app.state.component = component
    app.state.outbox_table = outbox
    install_problem_handlers(app)
    app.add_middleware(UnhandledErrorMiddleware)  # inner: still inside the request id's context
    install_database_error_handling(app)  # 503 + Retry-After; reads retried once (outside the handlers)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    metrics = install_metrics(app, component, token)
    metrics.add_gauges(
        [*(outbox_gauges(app) if outbox is not None else []), *(gauges(app) if gauges else [])]
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware, component=component)
    app.include_router(health_router(component))
    for router in routers:
        app.include_router(router)
    if inbox is not None:
        app.include_router(internal_events_router(lambda _request: inbox))
    app.openapi = problem_openapi(app, operations)  # type: ignore[method-assign]
    return app
