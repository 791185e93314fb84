"""The gateway as a proxy: routing, request ids, header hygiene, failures as problems, merged OpenAPI."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from services.common.principal import PRINCIPAL_HEADER, PrincipalKind, decode_principal
from tests.support import TEST_SECRET, client_for, create_component_app, live_server


def _stub_registry() -> FastAPI:
    """Stands in for the registry: echoes what it received, can be slow."""
    app = FastAPI(openapi_url=None)

    @app.api_route("/v1/areas/{rest:path}", methods=["GET", "POST"])
    async def echo(rest: str, request: Request) -> dict[str, object]:
        if rest == "slow":
            time.sleep(1.5)
        principal = decode_principal(request.headers[PRINCIPAL_HEADER], TEST_SECRET)
        return {
            "path": request.url.path,
            "query": request.url.query,
            "headers": {k: v for k, v in request.headers.items()},
            "principal_kind": principal.kind.value,
            "body_size": len(await request.body()),
        }

    @app.get("/openapi.json")
    async def document() -> dict[str, object]:
        return {
            "openapi": "3.1.0",
            "info": {"title": "stub", "version": "1"},
            "paths": {
                "/v1/areas/{code}": {"get": {"responses": {"200": {"description": "ok"}}}},
                "/internal/secret": {"get": {"responses": {"200": {"description": "ok"}}}},
            },
            "components": {"schemas": {"AreaOut": {"type": "object"}}},
        }

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def gateway(database_url: Callable[[str], str]) -> Iterator[TestClient]:
    down = _closed_port_url()
    with live_server(_stub_registry()) as registry:
        app = create_component_app(
            "gateway",
            database_url("gateway"),
            registry_url=registry,
            funding_url=down,
            outreach_url=down,
            read_timeout_seconds=0.5,
            max_body_bytes=1024,
        )
        with client_for(app) as client:
            yield client


def test_routes_to_the_owning_service_with_a_signed_principal(gateway: TestClient) -> None:
    response = gateway.get(
        "/v1/areas/33.75?level=village",
        headers={
            "X-Request-Id": "trace-42",
            PRINCIPAL_HEADER: "forged-by-client",
            "Connection": "keep-alive, x-secret-hop",
            "X-Secret-Hop": "must-not-pass",
        },
    )
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["path"] == "/v1/areas/33.75"
    assert echoed["query"] == "level=village"
    assert echoed["principal_kind"] == PrincipalKind.anonymous.value
    assert echoed["headers"]["x-request-id"] == "trace-42"
    assert echoed["headers"][PRINCIPAL_HEADER.lower()] != "forged-by-client"
    assert "connection" not in echoed["headers"] or "x-secret-hop" not in echoed["headers"]["connection"]
    assert response.headers["x-request-id"] == "trace-42"


def test_unknown_resource_is_a_404_problem(gateway: TestClient) -> None:
    response = gateway.get("/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_service_down_is_a_503_problem(gateway: TestClient) -> None:
    response = gateway.get("/v1/officers")
    assert response.status_code in (401, 503)  # authenticated routes may refuse before forwarding
    if response.status_code == 503:
        assert response.headers["retry-after"]
    assert response.headers["content-type"] == "application/problem+json"


def test_slow_service_is_a_504_problem(gateway: TestClient) -> None:
    started = time.perf_counter()
    response = gateway.get("/v1/areas/slow")
    assert response.status_code == 504
    assert response.json()["type"] == "/problems/gateway-timeout"
    assert time.perf_counter() - started < 1.4


def test_oversized_body_is_refused_before_forwarding(gateway: TestClient) -> None:
    response = gateway.post("/v1/areas/33", content=b"x" * 2048, headers={"Content-Type": "text/plain"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    small = gateway.post("/v1/areas/33", content=b"x" * 100, headers={"Content-Type": "text/plain"})
    assert small.json()["body_size"] == 100


def test_readiness_names_the_component_that_is_down(gateway: TestClient) -> None:
    response = gateway.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["registry"]["status"] == "ready"
    assert checks["funding"]["status"] == "unavailable"
    assert checks["outreach"]["status"] == "unavailable"
    assert checks["gateway"]["status"] == "ready"


def test_merged_openapi_keeps_public_paths_and_names_missing_services(gateway: TestClient) -> None:
    document = gateway.get("/openapi.json").json()
    assert "/v1/areas/{code}" in document["paths"]
    assert "/internal/secret" not in document["paths"]
    assert "AreaOut" in document["components"]["schemas"]
    assert set(document["x-sasar-unavailable"]) == {"funding", "outreach"}
    assert gateway.get("/docs").status_code == 200
