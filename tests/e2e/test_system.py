"""The system as a user meets it: through the gateway, with every component running as a process."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.system import RunningSystem

pytestmark = pytest.mark.e2e


def test_everything_is_ready(system: RunningSystem) -> None:
    response = httpx.get(system.gateway + "/readyz", timeout=10)
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert {name: check["status"] for name, check in checks.items()} == {
        "gateway": "ready",
        "registry": "ready",
        "funding": "ready",
        "outreach": "ready",
        "webhooks": "ready",
    }


def test_kelurahan_of_kota_pekalongan_through_the_gateway(system: RunningSystem) -> None:
    city = httpx.get(system.gateway + "/v1/areas/33.75", timeout=10).json()
    assert (city["name"], city["timezone"]) == ("Kota Pekalongan", "Asia/Jakarta")
    districts = httpx.get(system.gateway + "/v1/areas/33.75/children", timeout=10).json()["items"]
    assert len(districts) == 4
    url = system.gateway + "/v1/areas/33.75/children?level=village&limit=100"
    villages = httpx.get(url, timeout=10).json()
    assert len(villages["items"]) == 27
    assert {(v["kind"], v["timezone"]) for v in villages["items"]} == {("kelurahan", "Asia/Jakarta")}


def test_a_service_port_gives_nothing_without_the_gateway(system: RunningSystem) -> None:
    response = httpx.get(system.url("registry") + "/v1/areas/33.75", timeout=10)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_merged_openapi_has_every_service(system: RunningSystem) -> None:
    document = httpx.get(system.gateway + "/openapi.json", timeout=10).json()
    assert "x-sasar-unavailable" not in document
    assert "/v1/areas/{code}" in document["paths"]
    assert "Problem" in document["components"]["schemas"]


def test_a_stopped_service_is_reported_and_answered_with_503(system: RunningSystem) -> None:
    system.stop("registry")
    try:
        ready = httpx.get(system.gateway + "/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["checks"]["registry"]["status"] == "unavailable"
        assert ready.json()["checks"]["funding"]["status"] == "ready"
        answer = httpx.get(system.gateway + "/v1/areas/33.75", timeout=10)
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"].endswith("/problems/service-unavailable")
    finally:
        system.start("registry")
    assert httpx.get(system.gateway + "/v1/areas/33.75", timeout=10).status_code == 200
