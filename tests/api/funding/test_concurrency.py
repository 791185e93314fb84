"""Concurrency with real connections, on SQLite and PostgreSQL: billing runs, payments and roster
additions racing each other."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import text

from services.common.db import Database
from services.funding.billing import run_billing
from services.funding.pricing import Period
from tests.api.funding.conftest import OTHER_VILLAGE, VILLAGE, FakeRegistry
from tests.funding_support import ADMIN, active_agreement, bill
from tests.support import create_component_app, live_server, village_headers


def test_concurrent_billing_runs_issue_one_invoice_each(
    funding: TestClient, registry: FakeRegistry, database_url: Callable[[str], str]
) -> None:
    for n in range(4):
        active_agreement(funding, VILLAGE, [registry.add(f"a{n}")], source="csr" if n % 2 else "dana_desa")
        active_agreement(funding, OTHER_VILLAGE, [registry.add(f"b{n}", village_code=OTHER_VILLAGE)])
    database = Database(database_url("funding"))
    barrier = threading.Barrier(4)

    def run(period: str) -> int:
        barrier.wait()
        with database.sessions() as session, session.begin():
            return run_billing(session, Period.parse(period), actor="test").invoices_issued

    try:
        with ThreadPoolExecutor(4) as pool:
            issued = list(pool.map(run, ["2026-12", "2026-12", "2026-11", "2026-11"]))
        with database.engine.connect() as connection:
            per_period = connection.execute(
                text(
                    "SELECT period_idx, COUNT(*), COUNT(DISTINCT agreement_id) FROM invoices "
                    "GROUP BY period_idx"
                )
            ).all()
            numbers = connection.execute(
                text("SELECT village_code, sequence_no FROM invoices ORDER BY village_code, sequence_no")
            ).all()
    finally:
        database.dispose()
    assert sorted(issued) == [0, 0, 8, 8]
    assert sorted((count, distinct) for _, count, distinct in per_period) == [(8, 8), (8, 8)]
    for village in (VILLAGE, OTHER_VILLAGE):
        assert [n for v, n in numbers if v == village] == list(range(1, 9))  # gapless under the race


def test_concurrent_identical_payments_record_one(
    funding: TestClient,
    registry: FakeRegistry,
    database_url: Callable[[str], str],
    fake_registry: tuple[FakeRegistry, str],
) -> None:
    active_agreement(funding, VILLAGE, [registry.add("p1"), registry.add("p2")])
    assert bill(funding, "2026-12")["invoices_issued"] == 1
    invoice = funding.get("/v1/invoices", headers=ADMIN).json()["items"][0]
    app = create_component_app("funding", database_url("funding"), registry_url=fake_registry[1])
    body = {
        "invoice_id": invoice["id"],
        "amount_idr": invoice["total_idr"],
        "paid_on": "2026-12-03",
        "method": "bank_transfer",
        "reference": "SP2D-RACE-1",
    }
    with live_server(app) as url:
        barrier = threading.Barrier(6)

        def pay(key: str) -> httpx.Response:
            barrier.wait()
            headers = {**village_headers(VILLAGE), "Idempotency-Key": key}
            return httpx.post(f"{url}/v1/payments", json=body, headers=headers, timeout=30)

        with ThreadPoolExecutor(6) as pool:
            same_key = list(pool.map(pay, ["race-key-0001"] * 6))
        ids = {r.json()["id"] for r in same_key if r.status_code == 201}
        assert len(ids) == 1
        assert {r.status_code for r in same_key} <= {201, 409}

        body["reference"] = "SP2D-RACE-2"
        with ThreadPoolExecutor(6) as pool:
            other_keys = list(pool.map(pay, [f"race-key-1{n:03d}" for n in range(6)]))
        # The invoice is already paid: every new attempt is refused, none recorded.
        assert {r.status_code for r in other_keys} == {409}
    payments = funding.get("/v1/payments", headers=ADMIN).json()["items"]
    assert len(payments) == 1
    assert (
        funding.get(f"/v1/invoices/{invoice['id']}", headers=ADMIN).json()["paid_idr"] == invoice["total_idr"]
    )


def test_concurrent_different_payments_never_overpay(
    funding: TestClient,
    registry: FakeRegistry,
    database_url: Callable[[str], str],
    fake_registry: tuple[FakeRegistry, str],
) -> None:
    active_agreement(funding, VILLAGE, [registry.add("q1")])
    bill(funding, "2026-12")
    invoice = funding.get("/v1/invoices", headers=ADMIN).json()["items"][0]  # Rp16,800
    app = create_component_app("funding", database_url("funding"), registry_url=fake_registry[1])
    with live_server(app) as url:
        barrier = threading.Barrier(5)

        def pay(n: int) -> httpx.Response:
            barrier.wait()
            body = {
                "invoice_id": invoice["id"],
                "amount_idr": 5_000,
                "paid_on": "2026-12-03",
                "method": "cash",
                "reference": f"R-{n}",
            }
            headers = {**village_headers(VILLAGE), "Idempotency-Key": f"split-key-{n:04d}"}
            return httpx.post(f"{url}/v1/payments", json=body, headers=headers, timeout=30)

        with ThreadPoolExecutor(5) as pool:
            results = list(pool.map(pay, range(5)))
    assert sorted(r.status_code for r in results) == [201, 201, 201, 422, 422]
    assert funding.get(f"/v1/invoices/{invoice['id']}", headers=ADMIN).json()["paid_idr"] == 15_000


def test_concurrent_roster_additions_respect_the_budget(
    funding: TestClient,
    registry: FakeRegistry,
    database_url: Callable[[str], str],
    fake_registry: tuple[FakeRegistry, str],
) -> None:
    # Room for exactly one worker for 12 months (Rp201,600): two requests racing must not both fit.
    agreement = active_agreement(funding, VILLAGE, [], budget_ceiling_idr=300_000)
    workers = [registry.add(f"r{n}") for n in range(4)]
    app = create_component_app("funding", database_url("funding"), registry_url=fake_registry[1])
    with live_server(app) as url:
        barrier = threading.Barrier(len(workers))

        def add(worker_id: str) -> httpx.Response:
            barrier.wait()
            return httpx.post(
                f"{url}/v1/funding-agreements/{agreement['id']}/members",
                json={"worker_ids": [worker_id]},
                headers=village_headers(VILLAGE),
                timeout=30,
            )

        with ThreadPoolExecutor(len(workers)) as pool:
            results = list(pool.map(add, workers))
    assert sorted(r.status_code for r in results) == [200, 422, 422, 422]
    state = funding.get(f"/v1/funding-agreements/{agreement['id']}", headers=village_headers(VILLAGE)).json()
    assert state["member_count"] == 1
    assert state["budget_remaining_idr"] == 300_000 - 12 * 16_800
