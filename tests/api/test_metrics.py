"""``/metrics`` on every component: Prometheus text, request counts by route template (never raw paths,
which carry ids and NIKs), latency histograms, business gauges read from the database."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.registry_support import VILLAGE, nik_for, worker_body
from tests.support import village_headers


def samples(client: TestClient, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_registry_counts_requests_by_route_template_and_reports_workers_by_status(
    service_client: Callable[..., TestClient],
) -> None:
    registry = service_client("registry")
    created = registry.post("/v1/workers", json=worker_body(nik=nik_for(7)), headers=village_headers(VILLAGE))
    assert created.status_code == 201
    worker_id = created.json()["id"]
    assert registry.get(f"/v1/workers/{worker_id}", headers=village_headers(VILLAGE)).status_code == 200
    found = samples(registry)
    key = (
        "sasar_http_requests_total",
        (
            ("component", "registry"),
            ("method", "GET"),
            ("principal", "village"),
            ("route", "/v1/workers/{worker_id}"),
            ("status", "200"),
        ),
    )
    assert found[key] == 1.0
    text = registry.get("/metrics").text
    assert worker_id not in text and nik_for(7) not in text  # no raw paths, no NIKs
    assert found[("sasar_workers", (("status", "registered"),))] == 1.0
    assert found[("sasar_outbox_pending_events", ())] == 1.0  # the worker.registered event
    assert not any(name == "sasar_jobs" for name, _ in found)  # no job yet: an empty family
    assert any(name == "sasar_http_request_duration_seconds_count" for name, _ in found)


def test_funding_and_outreach_answer_with_their_gauges(service_client: Callable[..., TestClient]) -> None:
    funding = service_client("funding", registry_url="http://127.0.0.1:9")
    names = {name for name, _ in samples(funding)}
    assert {"sasar_outbox_pending_events", "sasar_outbox_oldest_pending_seconds"} <= names
    outreach = service_client("outreach", registry_url="http://127.0.0.1:9")
    names = {name for name, _ in samples(outreach)}
    assert "sasar_covered_workers" in names


def test_the_scrape_token_is_required_when_set(service_client: Callable[..., TestClient]) -> None:
    registry = service_client("registry", metrics_token="scrape-token-0123456789")
    assert registry.get("/metrics").status_code == 401
    assert registry.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert samples(registry, Authorization="Bearer scrape-token-0123456789")


def test_the_gateway_counts_its_requests(service_client: Callable[..., TestClient]) -> None:
    gateway = service_client("gateway")
    assert gateway.get("/healthz").status_code == 200
    found = samples(gateway)
    key = (
        "sasar_http_requests_total",
        (
            ("component", "gateway"),
            ("method", "GET"),
            ("principal", "none"),
            ("route", "/healthz"),
            ("status", "200"),
        ),
    )
    assert found[key] == 1.0
