"""The issue's done criterion, end to end at the funding API (on SQLite and PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.funding.conftest import VILLAGE, FakeRegistry
from tests.funding_support import active_agreement, bill
from tests.support import village_headers


def test_agreement_billing_payment_statement(funding: TestClient, registry: FakeRegistry) -> None:
    workers = [registry.add(f"w-{n}") for n in range(3)]
    agreement = active_agreement(funding, VILLAGE, workers)
    assert agreement["status"] == "active"
    assert agreement["member_count"] == 3
    assert {c["kind"] for c in registry.calls} == {"internal"}

    first = bill(funding, "2026-12")
    assert first["invoices_issued"] == 1
    assert first["lines"] == 6
    assert first["total_idr"] == 50_400

    second = bill(funding, "2026-12")
    assert second["invoices_issued"] == 0

    village = village_headers(VILLAGE)
    invoices = funding.get("/v1/invoices", params={"period": "2026-12"}, headers=village).json()["items"]
    assert len(invoices) == 1
    invoice = invoices[0]
    assert invoice["number"] == "INV/2026/33.26.15.2001/000001"
    assert invoice["total_idr"] == 50_400
    assert invoice["status"] == "issued"

    payment = {
        "invoice_id": invoice["id"],
        "amount_idr": 50_400,
        "paid_on": "2026-12-10",
        "method": "bank_transfer",
        "reference": "SP2D/0012/2026",
    }
    headers = {**village, "Idempotency-Key": "pay-2026-12-0001"}
    paid = funding.post("/v1/payments", json=payment, headers=headers)
    assert paid.status_code == 201, paid.text
    retried = funding.post("/v1/payments", json=payment, headers=headers)
    assert retried.status_code == 201
    assert retried.json()["id"] == paid.json()["id"]
    assert retried.headers.get("Idempotent-Replayed") == "true"
    listed = funding.get("/v1/payments", params={"invoice_id": invoice["id"]}, headers=village).json()[
        "items"
    ]
    assert len(listed) == 1

    detail = funding.get(f"/v1/invoices/{invoice['id']}", headers=village).json()
    assert detail["status"] == "paid"
    assert detail["outstanding_idr"] == 0
    assert [line["amount_idr"] for line in detail["lines"]] == [10_000, 6_800] * 3
    assert all(line["paid_idr"] == line["amount_idr"] for line in detail["lines"])

    statement = funding.get(
        f"/v1/villages/{VILLAGE}/statement", params={"fiscal_year": 2026}, headers=village
    )
    assert statement.status_code == 200, statement.text
    december = statement.json()["months"][11]
    assert december == {
        "period": "2026-12",
        "invoices": 1,
        "invoiced_idr": 50_400,
        "paid_idr": 50_400,
        "outstanding_idr": 0,
    }
    # 12 months x 3 workers x Rp16,800 (village-funded: no PP 50/2025 discount) = Rp604,800 committed.
    assert statement.json()["budget_committed_idr"] == 604_800
    assert statement.json()["budget_remaining_idr"] == 10_000_000 - 604_800
