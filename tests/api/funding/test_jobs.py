"""Billing, overdue and lapse runs as durable jobs: 202 + polling, who may read them, a killed worker."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from services.common.db import normalise_url
from services.funding.billing import BILLING_LOCK_CLASS
from tests.api.funding.conftest import VILLAGE, FakeRegistry
from tests.funding_support import ADMIN, active_agreement, bill
from tests.support import internal_headers, run_jobs, start_worker, village_headers, wait_for

REPORTS = internal_headers(scopes=["reports:read"])


def test_billing_run_answers_202_with_a_job_that_completes(
    funding: TestClient, registry: FakeRegistry
) -> None:
    active_agreement(funding, VILLAGE, [registry.add("j1"), registry.add("j2")])
    response = funding.post("/v1/billing-runs", json={"period": "2026-12"}, headers=ADMIN)
    assert response.status_code == 202, response.text
    queued = response.json()
    assert response.headers["Location"] == f"/v1/jobs/{queued['id']}" and queued["id"].startswith("fun_")
    assert (
        queued["status"] == "queued" and queued["kind"] == "funding.billing_run" and queued["result"] is None
    )
    assert funding.get("/v1/invoices", headers=ADMIN).json()["items"] == []  # nothing billed in the request
    assert run_jobs(funding, "funding") == 1
    job: dict[str, Any] = funding.get(response.headers["Location"], headers=REPORTS).json()
    assert job["status"] == "succeeded" and job["attempts"] == 1
    assert job["progress"]["done"] == job["progress"]["total"] == 6
    result = job["result"]
    assert (result["period"], result["invoices_issued"], result["lines"]) == ("2026-12", 1, 4)
    assert (
        funding.get(f"/v1/billing-runs/{result['id']}", headers=REPORTS).json()["total_idr"]
        == result["total_idr"]
    )
    # Who may read funding jobs: internal readers only.
    assert funding.get(response.headers["Location"], headers=village_headers(VILLAGE)).status_code == 403
    assert (
        funding.get(response.headers["Location"], headers=internal_headers(["registry:read"])).status_code
        == 403
    )
    assert funding.get("/v1/jobs/fun_00000000-0000-0000-0000-000000000000", headers=ADMIN).status_code == 404


def test_a_month_without_a_rate_schedule_is_refused_before_any_job(funding: TestClient) -> None:
    response = funding.post("/v1/billing-runs", json={"period": "2000-01"}, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "period"
    assert run_jobs(funding, "funding") == 0


def test_overdue_and_lapse_runs_are_jobs(funding: TestClient, registry: FakeRegistry) -> None:
    active_agreement(funding, VILLAGE, [registry.add("j3")], start_period="2026-01")
    for month in range(1, 5):
        bill(funding, f"2026-{month:02d}")
    overdue = funding.post("/v1/invoices/overdue-runs", json={"as_of": "2026-04-16"}, headers=ADMIN)
    lapse = funding.post("/v1/invoices/lapse-runs", json={"as_of": "2026-04-16"}, headers=ADMIN)
    assert overdue.status_code == lapse.status_code == 202
    assert run_jobs(funding, "funding") == 2
    assert funding.get(overdue.headers["Location"], headers=ADMIN).json()["result"]["marked_overdue"] == 4
    assert funding.get(lapse.headers["Location"], headers=ADMIN).json()["result"]["lapsed_worker_ids"] == [
        "j3"
    ]


def test_a_worker_killed_mid_billing_is_recovered_without_double_invoices(
    backend: str, funding: TestClient, registry: FakeRegistry, database_url: Callable[[str], str]
) -> None:
    if backend != "postgres":
        pytest.skip("holding a billing run mid-transaction needs PostgreSQL's advisory lock")
    active_agreement(funding, VILLAGE, [registry.add("k1"), registry.add("k2")])
    url = database_url("funding")
    location = funding.post("/v1/billing-runs", json={"period": "2026-12"}, headers=ADMIN).headers["Location"]
    # The test holds the year's billing lock, so the worker's run stops inside its transaction.
    with psycopg.connect(normalise_url(url).replace("+psycopg", ""), autocommit=True) as blocker:
        blocker.execute("SELECT pg_advisory_lock(%s, %s)", (BILLING_LOCK_CLASS, 2026))
        first = start_worker("funding", url, stale_after=1.5)
        try:
            wait_for(
                lambda: funding.get(location, headers=ADMIN).json()["status"] == "running", 60, "the claim"
            )

            def waiting_on_lock() -> bool:
                row = blocker.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                ).fetchone()
                return bool(row and row[0])

            wait_for(waiting_on_lock, 30, "the worker inside run_billing")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        blocker.execute("SELECT pg_advisory_unlock(%s, %s)", (BILLING_LOCK_CLASS, 2026))
    assert funding.get(location, headers=ADMIN).json()["status"] == "running"  # its owner is dead
    assert funding.get("/v1/invoices", headers=ADMIN).json()["items"] == []  # rolled back with the worker
    second = start_worker("funding", url, stale_after=1.5)
    try:
        job = wait_for(
            lambda: (
                (j := funding.get(location, headers=ADMIN).json())["status"] in ("succeeded", "failed") and j
            ),
            60,
            "the sweeper and the second worker",
        )
    finally:
        second.terminate()
        second.wait(10)
    assert job["status"] == "succeeded" and job["attempts"] == 2, job
    assert job["result"]["invoices_issued"] == 1
    invoices = funding.get("/v1/invoices", headers=ADMIN).json()["items"]
    assert len(invoices) == 1 and invoices[0]["total_idr"] == job["result"]["total_idr"]
    assert bill(funding, "2026-12")["invoices_issued"] == 0  # and billing it again issues nothing
