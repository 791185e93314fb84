"""Agreements: validation, ETag/If-Match, roster checks against the registry and the budget."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.api.funding.conftest import OTHER_VILLAGE, VILLAGE, FakeRegistry
from tests.funding_support import ADMIN, agreement_body
from tests.support import village_headers

HEADERS = village_headers(VILLAGE)


def _create(funding: TestClient, **overrides: object) -> dict[str, object]:
    response = funding.post(
        "/v1/funding-agreements", json=agreement_body(VILLAGE, **overrides), headers=HEADERS
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_terms_are_validated(funding: TestClient) -> None:
    bad = agreement_body(
        "33.26.15.1001", fiscal_year=2026, start_period="2025-12", end_period="2026-13", source="dana_desa"
    )
    response = funding.post("/v1/funding-agreements", json=bad, headers=ADMIN)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"village_code", "start_period", "end_period"} <= fields
    unknown = funding.post("/v1/funding-agreements", json=agreement_body("99.99.99.2999"), headers=ADMIN)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "village_code"
    reversed_ = funding.post(
        "/v1/funding-agreements",
        json=agreement_body(VILLAGE, start_period="2026-10", end_period="2026-03"),
        headers=HEADERS,
    )
    assert reversed_.status_code == 422
    no_jkm = funding.post(
        "/v1/funding-agreements", json=agreement_body(VILLAGE, programs=["JKK", "JHT"]), headers=HEADERS
    )
    assert no_jkm.status_code == 422


def test_kelurahan_needs_city_budget(funding: TestClient) -> None:
    kelurahan = "33.74.01.1001"  # a kelurahan of Semarang
    refused = funding.post("/v1/funding-agreements", json=agreement_body(kelurahan), headers=ADMIN)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "source"
    ok = funding.post(
        "/v1/funding-agreements", json=agreement_body(kelurahan, source="apbd_kelurahan"), headers=ADMIN
    )
    assert ok.status_code == 201, ok.text
    desa_city_budget = funding.post(
        "/v1/funding-agreements", json=agreement_body(VILLAGE, source="apbd_kelurahan"), headers=HEADERS
    )
    assert desa_city_budget.status_code == 422


def test_patch_honours_if_match(funding: TestClient) -> None:
    agreement = _create(funding)
    url = f"/v1/funding-agreements/{agreement['id']}"
    got = funding.get(url, headers=HEADERS)
    tag = got.headers["ETag"]
    changed = funding.patch(url, json={"budget_ceiling_idr": 5_000_000}, headers={**HEADERS, "If-Match": tag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["budget_ceiling_idr"] == 5_000_000
    assert changed.json()["version"] == 2
    stale = funding.patch(url, json={"budget_ceiling_idr": 6_000_000}, headers={**HEADERS, "If-Match": tag})
    assert stale.status_code == 412
    funding.post(f"{url}/activate", headers=HEADERS)
    frozen = funding.patch(url, json={"end_period": "2026-06"}, headers=HEADERS)
    assert frozen.status_code == 409
    twice = funding.post(f"{url}/activate", headers=HEADERS)
    assert twice.status_code == 409


def test_roster_checks_each_worker(funding: TestClient, registry: FakeRegistry) -> None:
    agreement = _create(funding)
    ok = registry.add("w-ok", income=2_000_000)
    other = registry.add("w-other", village_code=OTHER_VILLAGE)
    dead = registry.add("w-dead", status="deceased")
    gone = registry.add("w-gone", status="inactive")
    response = funding.post(
        f"/v1/funding-agreements/{agreement['id']}/members",
        json={"worker_ids": [ok, other, dead, gone, "w-unknown", ok]},
        headers=HEADERS,
    )
    assert response.status_code == 200, response.text
    results = {r["worker_id"]: r for r in response.json()["results"]}
    assert results[ok]["status"] == "added"
    # 12 months x (JKK 20,000 + JKM 6,800), village-funded so no discount.
    assert results[ok]["cost_idr"] == 12 * 26_800
    assert results[other]["reason"] == "not a worker of this village"
    assert results[dead]["reason"] == "worker is deceased"
    assert results[gone]["reason"] == "worker is inactive"
    assert results["w-unknown"]["reason"] == "unknown worker"
    assert response.json()["agreement"]["budget_committed_idr"] == 12 * 26_800
    again = funding.post(
        f"/v1/funding-agreements/{agreement['id']}/members", json={"worker_ids": [ok]}, headers=HEADERS
    )
    assert again.json()["results"][0]["status"] == "unchanged"
    second = _create(funding)
    elsewhere = funding.post(
        f"/v1/funding-agreements/{second['id']}/members", json={"worker_ids": [ok]}, headers=HEADERS
    )
    assert elsewhere.status_code == 422
    assert "already funded" in elsewhere.json()["results"][0]["reason"]


def test_budget_refusal_says_by_how_much(funding: TestClient, registry: FakeRegistry) -> None:
    # Rp500,000 buys 29 worker-months at Rp16,800 (Rp487,200): the 3rd worker over 12 months does not fit.
    agreement = _create(funding, budget_ceiling_idr=500_000)
    url = f"/v1/funding-agreements/{agreement['id']}"
    a, b, c = (registry.add(f"w-{n}") for n in range(3))
    first = funding.post(f"{url}/members", json={"worker_ids": [a, b]}, headers=HEADERS)
    assert [r["status"] for r in first.json()["results"]] == ["added", "added"]
    assert first.json()["agreement"]["budget_remaining_idr"] == 500_000 - 2 * 12 * 16_800
    refused = funding.post(f"{url}/members", json={"worker_ids": [c]}, headers=HEADERS)
    assert refused.status_code == 422, refused.text
    over = 12 * 16_800 - (500_000 - 2 * 12 * 16_800)
    assert refused.json()["over_budget_by_idr"] == over
    assert f"Rp{over:,}" in refused.json()["detail"]
    state = funding.get(url, headers=HEADERS).json()
    assert state["member_count"] == 2
    allowed = funding.patch(url, json={"allow_over_budget": True}, headers=HEADERS)
    assert allowed.status_code == 200
    accepted = funding.post(f"{url}/members", json={"worker_ids": [c]}, headers=HEADERS)
    assert accepted.json()["results"][0]["status"] == "added"
    assert accepted.json()["agreement"]["budget_remaining_idr"] == -over
    exhausted = funding.get(f"/v1/villages/{VILLAGE}/budget-exhausted", headers=HEADERS).json()
    assert [e["id"] for e in exhausted] == [agreement["id"]]


def test_registry_down_is_a_503_and_changes_nothing(service_client: Callable[..., TestClient]) -> None:
    funding = service_client("funding", registry_url="http://127.0.0.1:9")  # nothing listens on port 9
    created = funding.post("/v1/funding-agreements", json=agreement_body(VILLAGE), headers=HEADERS)
    url = f"/v1/funding-agreements/{created.json()['id']}"
    response = funding.post(f"{url}/members", json={"worker_ids": ["w-1"]}, headers=HEADERS)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert funding.get(url, headers=HEADERS).json()["member_count"] == 0


def test_create_with_idempotency_key_creates_once(funding: TestClient) -> None:
    headers = {**HEADERS, "Idempotency-Key": "agreement-0001"}
    first = funding.post("/v1/funding-agreements", json=agreement_body(VILLAGE), headers=headers)
    again = funding.post("/v1/funding-agreements", json=agreement_body(VILLAGE), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert len(funding.get("/v1/funding-agreements", headers=HEADERS).json()["items"]) == 1
    other = funding.post(
        "/v1/funding-agreements", json=agreement_body(VILLAGE, budget_ceiling_idr=1_000), headers=headers
    )
    assert other.status_code == 422


def test_out_of_range_ids_are_problems_not_errors(funding: TestClient) -> None:
    huge = 2**40
    assert funding.get(f"/v1/funding-agreements/{huge}", headers=HEADERS).status_code == 422
    assert funding.get(f"/v1/invoices/{huge}", headers=HEADERS).status_code == 422
    assert funding.get("/v1/funding-agreements/999", headers=HEADERS).status_code == 404
    bad_ids = funding.post(
        "/v1/funding-agreements/1/members", json={"worker_ids": ["../../etc"]}, headers=HEADERS
    )
    assert bad_ids.status_code == 422
