"""Gateway test rig: a real gateway in front of a small fake upstream that echoes what it received.

The fake stands in for every service (registry, funding, outreach), so the gateway's authentication,
tenant forwarding and hardening are tested without depending on the services' own features.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gateway import credentials
from services.common.db import Database
from services.common.errors import install_problem_handlers, problem_response
from services.common.principal import PRINCIPAL_HEADER, PrincipalKind, decode_principal
from tests.support import TEST_SECRET, live_server

T = TypeVar("T")
VILLAGE_A = "33.26.15.2001"  # Wuled, Pekalongan regency (desa)
VILLAGE_B = "33.26.15.2002"  # Ngalian, same district (desa)
VILLAGE_C = "33.75.01.1002"  # Medono, Pekalongan city (kelurahan)


@dataclass
class FakeOutreach:
    """Officers the fake outreach service knows: NRP → access answer."""

    officers: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)


def echo_app(outreach: FakeOutreach) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    def principal_of(request: Request) -> dict[str, Any] | None:
        token = request.headers.get(PRINCIPAL_HEADER)
        if token is None:
            return None
        p = decode_principal(token, TEST_SECRET)
        return {
            "kind": p.kind.value,
            "subject": p.subject,
            "villages": sorted(p.villages),
            "scopes": sorted(p.scopes),
        }

    @app.get("/internal/officers/{nrp}/access")
    async def officer_access(nrp: str, request: Request) -> JSONResponse:
        principal = principal_of(request)
        outreach.calls.append({"nrp": nrp, "principal": principal})
        if principal is None or principal["kind"] != "internal":
            return problem_response(request, status=401)
        if nrp not in outreach.officers:
            return problem_response(request, status=404, detail="no active officer")
        return JSONResponse(outreach.officers[nrp])

    @app.get("/v1/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(2)
        return {"status": "late"}

    @app.get("/v1/workers/in/{village}")
    @app.post("/v1/workers/in/{village}")
    async def tenant_resource(village: str, request: Request) -> JSONResponse:
        # Behaves like a service's tenant check: another tenant's resource does not exist.
        token = request.headers.get(PRINCIPAL_HEADER)
        if token is None:
            return problem_response(request, status=401)
        principal = decode_principal(token, TEST_SECRET)
        if principal.kind is PrincipalKind.anonymous or not principal.can_access_village(village):
            return problem_response(request, status=404)
        return JSONResponse({"village": village})

    @app.api_route(
        "/v1/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
    )
    async def echo(path: str, request: Request) -> JSONResponse:
        return JSONResponse(
            {"path": path, "principal": principal_of(request), "headers": dict(request.headers)},
            headers={"Connection": "X-Upstream-Hop", "X-Upstream-Hop": "secret", "X-Upstream-Kept": "yes"},
        )

    return app


@pytest.fixture(scope="module")
def fake_outreach() -> FakeOutreach:
    return FakeOutreach()


@pytest.fixture(scope="module")
def upstream(fake_outreach: FakeOutreach) -> Iterator[str]:
    with live_server(echo_app(fake_outreach)) as base:
        yield base


@pytest.fixture
def gateway_factory(
    service_client: Callable[..., TestClient], upstream: str, fake_outreach: FakeOutreach
) -> Callable[..., TestClient]:
    fake_outreach.officers.clear()
    fake_outreach.calls.clear()

    def make(**overrides: Any) -> TestClient:
        settings: dict[str, Any] = {
            "registry_url": upstream,
            "funding_url": upstream,
            "outreach_url": upstream,
            "webhooks_url": upstream,
        }
        settings.update(overrides)
        return service_client("gateway", **settings)

    return make


@pytest.fixture
def gateway(gateway_factory: Callable[..., TestClient]) -> TestClient:
    return gateway_factory()


@pytest.fixture
def store(database_url: Callable[[str], str]) -> Iterator[Callable[[Callable[[Session], T]], T]]:
    """``store(lambda s: credentials.create_api_key(s, …))``: run in one committed transaction."""
    database = Database(database_url("gateway"))

    def run(work: Callable[[Session], T]) -> T:
        with database.sessions.begin() as session:
            return work(session)

    yield run
    database.dispose()


Store = Callable[[Callable[[Session], Any]], Any]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def village_key(store: Store, village: str = VILLAGE_A) -> tuple[str, str]:
    issued = store(lambda s: credentials.create_api_key(s, village, f"test {village}"))
    return issued.row.id, issued.key


def client_token(gateway: TestClient, store: Store, *scopes: str) -> str:
    issued = store(lambda s: credentials.create_client(s, "test client", scopes))
    response = gateway.post(
        "/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": issued.client_id,
            "client_secret": issued.client_secret,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
