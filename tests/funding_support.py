"""Helpers shared by the funding tests (API, unit and bench tests)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support import finished_job, internal_headers, village_headers

ADMIN = internal_headers(scopes=["funding:admin"])


def agreement_body(village_code: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "village_code": village_code,
        "fiscal_year": 2026,
        "source": "dana_desa",
        "legal_reference": "Perkades No. 7 Tahun 2026",
        "budget_ceiling_idr": 10_000_000,
        "start_period": "2026-01",
        "end_period": "2026-12",
        "programs": ["JKK", "JKM"],
    }
    body.update(overrides)
    return body


def active_agreement(
    client: TestClient, village_code: str, worker_ids: list[str], **overrides: Any
) -> dict[str, Any]:
    """Create, fill and activate an agreement as the village; returns the agreement body."""
    headers = village_headers(village_code)
    created = client.post(
        "/v1/funding-agreements", json=agreement_body(village_code, **overrides), headers=headers
    )
    assert created.status_code == 201, created.text
    agreement_id = created.json()["id"]
    if worker_ids:
        added = client.post(
            f"/v1/funding-agreements/{agreement_id}/members", json={"worker_ids": worker_ids}, headers=headers
        )
        assert added.status_code == 200, added.text
        assert all(r["status"] == "added" for r in added.json()["results"]), added.text
    activated = client.post(f"/v1/funding-agreements/{agreement_id}/activate", headers=headers)
    assert activated.status_code == 200, activated.text
    body: dict[str, Any] = activated.json()
    return body


def run_to_result(funding: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a run (billing, overdue, lapse) as funding:admin; its job runs; return the job's result."""
    job = finished_job(funding, funding.post(path, json=body, headers=ADMIN), ADMIN, "funding")
    assert job["status"] == "succeeded", job
    result: dict[str, Any] = job["result"]
    return result


def bill(funding: TestClient, period: str) -> dict[str, Any]:
    """Bill ``period`` through ``POST /v1/billing-runs`` and its job; the billing run's summary."""
    return run_to_result(funding, "/v1/billing-runs", {"period": period})
