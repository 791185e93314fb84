"""Money under real concurrency, on SQLite and PostgreSQL alike (a live server, real threads)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from fastapi.testclient import TestClient

from services.common.db import Database
from services.funding.billing import run_billing
from services.funding.pricing import Period
from tests.api.funding.conftest import VILLAGE, FakeRegistry
from tests.funding_support import ADMIN, active_agreement
from tests.support import create_component_app, live_server, village_headers


def bill(database_url: Callable[[str], str], period: str = "2026-12") -> None:
    database = Database(database_url("funding"))
    try:
        with database.sessions() as session, session.begin():
            run_billing(session, Period.parse(period), actor="test")
    finally:
        database.dispose()


def payment(invoice_id: int, amount: int, reference: str) -> dict[str, Any]:
    return {
        "invoice_id": invoice_id,
        "amount_idr": amount,
        "paid_on": "2026-12-03",
        "method": "bank_transfer",
        "reference": reference,
    }


def test_twenty_concurrent_different_payments_never_overpay_or_vanish(
    funding: TestClient,
    registry: FakeRegistry,
    database_url: Callable[[str], str],
    fake_registry: tuple[FakeRegistry, str],
) -> None:
    active_agreement(funding, VILLAGE, [registry.add("m1"), registry.add("m2")])
    bill(database_url)
    invoice = funding.get("/v1/invoices", headers=ADMIN).json()["items"][0]
    assert invoice["total_idr"] == 33_600
    app = create_component_app("funding", database_url("funding"), registry_url=fake_registry[1])
    with live_server(app) as url:
        barrier = threading.Barrier(20)

        def pay(n: int) -> httpx.Response:
            barrier.wait()
            headers = {**village_headers(VILLAGE), "Idempotency-Key": f"twenty-{n:04d}"}
            body = payment(invoice["id"], 8_400, f"SP2D/20/{n}")
            return httpx.post(f"{url}/v1/payments", json=body, headers=headers, timeout=60)

        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(pay, range(20)))
    codes = sorted(r.status_code for r in results)
    # Four fit; the rest are refused: 409 once the invoice is paid (422 if one ever found it partly paid).
    assert codes[:4] == [201] * 4 and set(codes[4:]) <= {409, 422}, [r.text for r in results]
    recorded = funding.get("/v1/payments", params={"invoice_id": invoice["id"]}, headers=ADMIN).json()[
        "items"
    ]
    after = funding.get(f"/v1/invoices/{invoice['id']}", headers=ADMIN).json()
    assert sum(p["amount_idr"] for p in recorded) == after["paid_idr"] == 33_600
    assert after["status"] == "paid"
    assert sum(line["paid_idr"] for line in after["lines"]) == 33_600


def test_a_failed_post_leaves_its_idempotency_key_free_for_the_retry(
    funding: TestClient, registry: FakeRegistry, database_url: Callable[[str], str]
) -> None:
    active_agreement(funding, VILLAGE, [registry.add("k1")])
    bill(database_url)
    invoice = funding.get("/v1/invoices", headers=ADMIN).json()["items"][0]
    headers = {**village_headers(VILLAGE), "Idempotency-Key": "retry-after-failure-1"}
    too_much = payment(invoice["id"], invoice["total_idr"] + 1, "SP2D/RETRY/1")
    first = funding.post("/v1/payments", json=too_much, headers=headers)
    assert first.status_code == 422, first.text
    # The same request again runs again (422 again), rather than "in progress" (409) for 24 hours.
    again = funding.post("/v1/payments", json=too_much, headers=headers)
    assert again.status_code == 422, again.text
    fine = {**village_headers(VILLAGE), "Idempotency-Key": "retry-after-failure-2"}
    paid = funding.post("/v1/payments", json=payment(invoice["id"], 1_000, "SP2D/RETRY/1"), headers=fine)
    assert paid.status_code == 201, paid.text


def test_two_agreements_racing_for_one_worker_fund_and_bill_it_once(
    funding: TestClient,
    registry: FakeRegistry,
    database_url: Callable[[str], str],
    fake_registry: tuple[FakeRegistry, str],
) -> None:
    registry.add("twice")
    first = active_agreement(funding, VILLAGE, [])
    second = active_agreement(funding, VILLAGE, [], source="csr", legal_reference="CSR Bank Jateng 2026")
    app = create_component_app("funding", database_url("funding"), registry_url=fake_registry[1])
    with live_server(app) as url:
        for attempt in range(5):  # several rounds: a race lost by chance must not pass the test
            barrier = threading.Barrier(2)

            def add(agreement_id: int, barrier: threading.Barrier = barrier) -> httpx.Response:
                barrier.wait()
                return httpx.post(
                    f"{url}/v1/funding-agreements/{agreement_id}/members",
                    json={"worker_ids": ["twice"]},
                    headers=village_headers(VILLAGE),
                    timeout=60,
                )

            with ThreadPoolExecutor(2) as pool:
                results = list(pool.map(add, [first["id"], second["id"]]))
            assert sorted(r.status_code for r in results) == [200, 422], [r.text for r in results]
            winner = first["id"] if results[0].status_code == 200 else second["id"]
            if attempt < 4:  # take the worker off again for the next round
                removed = httpx.delete(  # from before the year: every month is free again
                    f"{url}/v1/funding-agreements/{winner}/members/twice",
                    params={"effective_date": "2025-12-31"},
                    headers=ADMIN,
                    timeout=60,
                )
                assert removed.status_code in (200, 204), removed.text
    bill(database_url)
    lines = [
        line
        for invoice in funding.get("/v1/invoices", params={"period": "2026-12"}, headers=ADMIN).json()[
            "items"
        ]
        for line in funding.get(f"/v1/invoices/{invoice['id']}", headers=ADMIN).json()["lines"]
        if line["worker_id"] == "twice"
    ]
    assert sorted(line["program"] for line in lines) == ["JKK", "JKM"]  # billed once, by one agreement


def test_payment_and_roster_removal_at_once_never_deadlock(
    funding: TestClient,
    registry: FakeRegistry,
    database_url: Callable[[str], str],
    fake_registry: tuple[FakeRegistry, str],
) -> None:
    agreements = [
        active_agreement(funding, VILLAGE, [registry.add(f"d{n}a"), registry.add(f"d{n}b")]) for n in range(5)
    ]
    bill(database_url)
    by_agreement = {i["agreement_id"]: i for i in funding.get("/v1/invoices", headers=ADMIN).json()["items"]}
    app = create_component_app("funding", database_url("funding"), registry_url=fake_registry[1])
    with live_server(app) as url:
        barrier = threading.Barrier(2 * len(agreements))

        def act(job: tuple[str, int]) -> httpx.Response:
            kind, n = job
            agreement = agreements[n]
            invoice = by_agreement[agreement["id"]]
            barrier.wait()
            if kind == "pay":
                headers = {**village_headers(VILLAGE), "Idempotency-Key": f"lock-order-{n:04d}"}
                body = payment(invoice["id"], 16_800, f"SP2D/LOCK/{n}")
                return httpx.post(f"{url}/v1/payments", json=body, headers=headers, timeout=60)
            return httpx.delete(
                f"{url}/v1/funding-agreements/{agreement['id']}/members/d{n}b",
                params={"effective_date": "2026-11-30"},
                headers=ADMIN,
                timeout=60,
            )

        jobs = [(kind, n) for n in range(len(agreements)) for kind in ("pay", "remove")]
        with ThreadPoolExecutor(len(jobs)) as pool:
            results = list(pool.map(act, jobs))
    assert all(r.status_code in (200, 201) for r in results), [r.text for r in results]
    for invoice in by_agreement.values():
        after = funding.get(f"/v1/invoices/{invoice['id']}", headers=ADMIN).json()
        # Whichever came first, d{n}a's month is paid, d{n}b's credited, and nothing is owed twice.
        assert (after["status"], after["paid_idr"], after["credited_idr"]) == ("paid", 16_800, 16_800)
        assert sum(line["paid_idr"] + line["credited_idr"] for line in after["lines"]) == after["total_idr"]
