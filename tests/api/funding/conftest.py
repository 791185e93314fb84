"""Fixtures for funding API tests: a fake registry served over real HTTP, and a funding client wired to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from services.common.principal import decode_principal
from tests.support import TEST_SECRET, live_server

VILLAGE = "33.26.15.2001"  # a desa in Pemalang (Central Java)
OTHER_VILLAGE = "33.26.15.2002"


class FakeRegistry:
    """``GET /v1/workers/{id}`` and ``POST /v1/workers/lookup`` of the registry contract, from a dict."""

    def __init__(self) -> None:
        self.workers: dict[str, dict[str, Any]] = {}
        self.calls: list[dict[str, Any]] = []
        self.lookups: list[list[str]] = []  # ids of each POST /v1/workers/lookup
        self.app = FastAPI()

        @self.app.get("/v1/workers/{worker_id}")
        def get_worker(worker_id: str, request: Request) -> JSONResponse:
            principal = decode_principal(request.headers["X-Sasar-Principal"], TEST_SECRET)
            self.calls.append(
                {"worker_id": worker_id, "kind": principal.kind.value, "scopes": principal.scopes}
            )
            if "registry:read" not in principal.scopes or worker_id not in self.workers:
                return JSONResponse({"type": "/problems/not-found", "status": 404}, status_code=404)
            return JSONResponse(self.workers[worker_id])

        @self.app.post("/v1/workers/lookup")
        def lookup(body: dict[str, list[str]], request: Request) -> JSONResponse:
            principal = decode_principal(request.headers["X-Sasar-Principal"], TEST_SECRET)
            self.lookups.append(list(body["ids"]))
            if "registry:read" not in principal.scopes:
                return JSONResponse({"type": "/problems/forbidden", "status": 403}, status_code=403)
            found = [self.workers[i] for i in body["ids"] if i in self.workers]
            items = [{**w, "nik_masked": w["nik"]} for w in found]
            return JSONResponse({"items": items})

    def add(
        self,
        worker_id: str,
        *,
        village_code: str = VILLAGE,
        income: int = 1_000_000,
        occupation: str = "petani",
        programs: tuple[str, ...] = ("JKK", "JKM"),
        status: str = "active",
    ) -> str:
        self.workers[worker_id] = {
            "id": worker_id,
            "nik": "3326**********01",
            "temporary_id": None,
            "name": f"Pekerja {worker_id}",
            "sex": "M",
            "birth_date": "1980-01-01",
            "phone": None,
            "village_code": village_code,
            "occupation": occupation,
            "declared_income_idr": income,
            "programs": list(programs),
            "funding": "village_fund",
            "status": status,
            "officer_id": None,
            "outreach_session_id": None,
            "lead_id": None,
            "version": 1,
            "created_at": "2026-11-25T00:00:00+00:00",
            "updated_at": "2026-11-25T00:00:00+00:00",
        }
        return worker_id


@pytest.fixture(scope="session")
def fake_registry() -> Iterator[tuple[FakeRegistry, str]]:
    registry = FakeRegistry()
    with live_server(registry.app) as url:
        yield registry, url


@pytest.fixture
def registry(fake_registry: tuple[FakeRegistry, str]) -> Iterator[FakeRegistry]:
    fake, _ = fake_registry
    fake.workers.clear()
    fake.calls.clear()
    fake.lookups.clear()
    yield fake


@pytest.fixture
def funding(
    service_client: Callable[..., TestClient], fake_registry: tuple[FakeRegistry, str], registry: FakeRegistry
) -> TestClient:
    return service_client("funding", registry_url=fake_registry[1])


# The business date these tests live on: the start of fiscal year 2026, so workers added to a 2026
# agreement are billed from January (a test about later joiners pins its own date).
FISCAL_YEAR_START = "2026-01-05"


@pytest.fixture(autouse=True)
def pinned_business_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SASAR_TODAY", FISCAL_YEAR_START)
