"""The gateway as a proxy: routing, request ids, header hygiene, failures as problems, merged OpenAPI."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from gateway import credentials
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

    @app.api_route("/internal/{rest:path}", methods=["GET", "POST"])
    async def internal(rest: str) -> dict[str, str]:
        return {"reached": "internal"}

    @app.get("/docs")
    async def docs() -> dict[str, str]:
        return {"reached": "docs"}

    return app


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _gateway_app(registry: str, gateway_database: str) -> FastAPI:
    down = _closed_port_url()
    return create_component_app(
        "gateway",
        gateway_database,
        registry_url=registry,
        funding_url=down,
        outreach_url=down,
        webhooks_url=down,
        read_timeout_seconds=0.5,
        max_body_bytes=1024,
    )


@pytest.fixture
def gateway(database_url: Callable[[str], str]) -> Iterator[TestClient]:
    with (
        live_server(_stub_registry()) as registry,
        client_for(_gateway_app(registry, database_url("gateway"))) as client,
    ):
        yield client


@pytest.fixture
def live_gateway(database_url: Callable[[str], str]) -> Iterator[str]:
    """The gateway on a real socket: raw paths must reach it unnormalised (httpx resolves ``..``)."""
    with (
        live_server(_stub_registry()) as registry,
        live_server(_gateway_app(registry, database_url("gateway"))) as gateway_url,
    ):
        yield gateway_url


def _raw_get(base_url: str, target: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``target`` sent byte for byte as given (no client-side normalisation)."""
    parsed = urlsplit(base_url)
    connection = http.client.HTTPConnection(parsed.hostname or "", parsed.port, timeout=10)
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "target",
    [
        "/v1/areas/../../internal/officers/12345678/access",
        "/v1/areas/../../readyz",
        "/v1/areas/../../docs",
        "/v1/areas/./../../internal/secret",
        "/v1/areas/%2e%2e/%2e%2e/internal/secret",
        "/v1/areas/%2E%2E/%2E%2E/readyz",
        "/v1/areas/%252e%252e/%252e%252e/internal/secret",
        "/v1/areas/..%2f..%2finternal/secret",
        "/v1/areas/..%5c..%5cinternal/secret",
        "/v1/areas/%2f/internal",
        "/v1/areas/.",
    ],
)
def test_dot_segments_and_encoded_slashes_are_refused_before_routing(live_gateway: str, target: str) -> None:
    status, headers, body = _raw_get(live_gateway, target)
    assert status == 400, body
    assert headers["content-type"] == "application/problem+json"
    assert b"reached" not in body


def test_service_health_and_docs_are_not_reachable_through_v1(live_gateway: str) -> None:
    for target in ("/v1/readyz", "/v1/docs", "/v1/internal/secret", "/v1/openapi.json", "/v1/healthz"):
        status, _, body = _raw_get(live_gateway, target)
        assert status == 404, (target, body)
        assert b"reached" not in body
    status, _, body = _raw_get(live_gateway, "/v1/areas/33%2E75")  # an encoded unreserved dot is fine
    assert status == 200
    assert b'"path":"/v1/areas/33.75"' in body


def test_every_response_carries_security_headers(gateway: TestClient) -> None:
    for response in (gateway.get("/v1/areas/33"), gateway.get("/v1/no-such-thing"), gateway.get("/healthz")):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


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
    # A valid credential, so the gateway admits the request and forwards it to outreach, which is down.
    with gateway.app.state.database.sessions.begin() as session:  # type: ignore[attr-defined]
        key = credentials.create_api_key(session, "33.26.15.2001", "proxy test").key
    response = gateway.get("/v1/officers", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/problems/service-unavailable")
    assert problem["detail"] == "the outreach service is unavailable"


def test_slow_service_is_a_504_problem(gateway: TestClient) -> None:
    started = time.perf_counter()
    response = gateway.get("/v1/areas/slow")
    assert response.status_code == 504
    assert response.json()["type"].endswith("/problems/gateway-timeout")
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
    assert set(document["x-sasar-unavailable"]) == {"funding", "outreach", "webhooks"}
    assert gateway.get("/docs").status_code == 200
