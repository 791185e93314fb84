"""The gateway: the one public entry. Authenticates, routes ``/v1/…`` to the owning service with a signed
principal, aggregates readiness and serves one merged OpenAPI document. Holds no business rule."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.responses import Response

from gateway.auth import PUBLIC_RESOURCES, Authenticator, resource_of
from gateway.config import GatewaySettings, get_settings
from gateway.docs_assets import ASSETS_PATH, asset_response
from gateway.openapi import MergedOpenAPI, with_servers
from gateway.operations import OPERATIONS
from gateway.pathguard import PathGuardMiddleware
from gateway.ratelimit import make_limiter
from gateway.router import router as gateway_router
from gateway.routing import Proxy, service_for_path
from services.common.app import problem_openapi
from services.common.db import Database, install_database_error_handling
from services.common.errors import UnhandledErrorMiddleware, install_problem_handlers, problem_response
from services.common.health import Health, Readiness, instance_headers
from services.common.logging import configure_logging
from services.common.metrics import install_metrics
from services.common.migrations import current_revision, head_revision
from services.common.partner_events import asyncapi_document
from services.common.problems import problem_page
from services.common.requestid import RequestIdMiddleware
from services.common.security_headers import SecurityHeadersMiddleware

PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


async def _service_readiness(client: aiohttp.ClientSession, url: str, timeout: float) -> dict[str, Any]:
    try:
        async with client.get(url + "/readyz", timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            body = await response.json(content_type=None)
            return {"status": "ready" if response.status == 200 else "not_ready", "detail": body}
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return {"status": "unavailable", "error": type(exc).__name__}


def _own_readiness(database: Database) -> dict[str, Any]:
    try:
        with database.engine.connect() as connection:
            revision = current_revision(connection, "gateway")
        head = head_revision("gateway")
        return {"status": "ready" if revision == head else "not_ready", "migration": revision, "head": head}
    except Exception as exc:  # readiness reports failures instead of raising them
        return {"status": "unavailable", "error": type(exc).__name__}


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    proxy = Proxy(settings)
    limiter = make_limiter(settings.redis_url, settings.redis_prefix)
    authenticator = Authenticator(settings, limiter)
    merged_openapi = MergedOpenAPI(settings.service_urls(), settings.readiness_timeout_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, json=settings.log_json)
        app.state.database = Database(settings.database_url)
        authenticator.database = app.state.database
        await proxy.start()
        try:
            yield
        finally:
            await proxy.close()
            await limiter.close()
            app.state.database.dispose()

    app = FastAPI(
        title="Sasar API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.proxy = proxy
    app.state.authenticator = authenticator
    install_problem_handlers(app)
    install_database_error_handling(app)  # credential look-ups: a database outage is a 503, not a 500
    app.add_middleware(UnhandledErrorMiddleware)  # inner: still inside the request id's context
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    metrics = install_metrics(app, "gateway", token)
    app.add_middleware(PathGuardMiddleware)  # before any route, so no handler sees a dot segment
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware, component="gateway")
    gateway_openapi = problem_openapi(app, OPERATIONS)
    app.openapi = gateway_openapi  # type: ignore[method-assign]  # its own part; /openapi.json is merged

    instance_proof = instance_headers()

    @app.get("/healthz", response_model=Health, tags=["health"], summary="The gateway process is up")
    async def healthz(response: Response) -> Health:
        response.headers.update(instance_proof)
        return Health(status="ok", component="gateway")

    @app.get(
        "/readyz",
        response_model=Readiness,
        tags=["health"],
        summary="Every service and database answers",
        responses={503: {"model": Readiness, "description": "Some component is not ready"}},
    )
    async def readyz() -> JSONResponse:
        services = settings.service_urls()
        results = await asyncio.gather(
            *(
                _service_readiness(proxy.client, url, settings.readiness_timeout_seconds)
                for url in services.values()
            )
        )
        checks: dict[str, Any] = {"gateway": await asyncio.to_thread(_own_readiness, app.state.database)}
        checks.update(zip(services, results, strict=True))
        ready = all(check["status"] == "ready" for check in checks.values())
        body = {"status": "ready" if ready else "not_ready", "component": "gateway", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_document(request: Request) -> JSONResponse:
        document = await merged_openapi.document(proxy.client, gateway_openapi())
        return JSONResponse(with_servers(document, settings.public_base_url or str(request.base_url)))

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> JSONResponse:
        # The partner webhook events, from the same models their payloads are built with.
        return JSONResponse(asyncapi_document(app.version))

    # The documentation pages load every asset from the gateway itself: village networks are poor, and
    # the docs must work where a CDN cannot be reached.
    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Sasar API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
            # No validator badge: it would be fetched from swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="Sasar API",
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )

    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    async def docs_asset(name: str) -> Response:
        return await asset_response(name)

    @app.get("/problems/{slug}", include_in_schema=False)
    async def problem_type(request: Request, slug: str) -> Response:
        page = problem_page(slug)
        if page is None:
            return problem_response(request, status=404, detail=f"no problem type {slug!r}")
        return HTMLResponse(page)

    async def forward(request: Request) -> Response:
        service = service_for_path(request.url.path)
        if service is None:
            return problem_response(request, status=404, detail=f"no resource at {request.url.path}")
        public = resource_of(request.url.path) in PUBLIC_RESOURCES
        principal = await authenticator.admit(request, public=public)
        request.state.principal = principal  # for the request metrics' principal kind
        response = await proxy.forward(request, service, principal)
        if response.status_code in (502, 503, 504):
            metrics.upstream_errors.labels("gateway", service, str(response.status_code)).inc()
        return response

    # The gateway's own /v1 routes first: the catch-all below would otherwise swallow them.
    app.include_router(gateway_router)
    app.add_route("/v1/{path:path}", forward, methods=PROXY_METHODS, include_in_schema=False)
    return app
