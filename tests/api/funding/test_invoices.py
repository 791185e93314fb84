"""Invoice lifecycle, payments (allocation, over-payment, SP2D uniqueness), credit notes, arrears."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.funding.conftest import OTHER_VILLAGE, VILLAGE, FakeRegistry
from tests.funding_support import ADMIN, active_agreement, bill, run_to_result
from tests.support import village_headers

HEADERS = village_headers(VILLAGE)


def _bill(funding: TestClient, period: str) -> dict[str, Any]:
    return bill(funding, period)


def _invoice(funding: TestClient, period: str, village: str = VILLAGE) -> dict[str, Any]:
    items = funding.get("/v1/invoices", params={"period": period}, headers=village_headers(village)).json()[
        "items"
    ]
    assert len(items) == 1
    detail: dict[str, Any] = funding.get(
        f"/v1/invoices/{items[0]['id']}", headers=village_headers(village)
    ).json()
    return detail


def _pay(funding: TestClient, invoice_id: int, amount: int, reference: str, key: str) -> Any:
    return funding.post(
        "/v1/payments",
        json={
            "invoice_id": invoice_id,
            "amount_idr": amount,
            "paid_on": "2026-12-05",
            "method": "bank_transfer",
            "reference": reference,
        },
        headers={**HEADERS, "Idempotency-Key": key},
    )


def test_numbers_are_gapless_per_village_and_year(funding: TestClient, registry: FakeRegistry) -> None:
    active_agreement(funding, VILLAGE, [registry.add("a1")])
    active_agreement(funding, VILLAGE, [registry.add("a2")], source="csr")
    active_agreement(funding, OTHER_VILLAGE, [registry.add("b1", village_code=OTHER_VILLAGE)])
    assert _bill(funding, "2026-11")["invoices_issued"] == 3
    assert _bill(funding, "2026-12")["invoices_issued"] == 3
    numbers = sorted(
        i["number"] for i in funding.get("/v1/invoices", params={"limit": 50}, headers=ADMIN).json()["items"]
    )
    assert numbers == [
        *(f"INV/2026/{VILLAGE}/{n:06d}" for n in (1, 2, 3, 4)),
        *(f"INV/2026/{OTHER_VILLAGE}/{n:06d}" for n in (1, 2)),
    ]
    assert _invoice(funding, "2026-12", OTHER_VILLAGE)["total_idr"] == 16_800  # village fund: no discount


def test_csr_funding_gets_the_pp50_discount(funding: TestClient, registry: FakeRegistry) -> None:
    active_agreement(funding, VILLAGE, [registry.add("c1")], source="csr")
    _bill(funding, "2026-12")
    invoice = _invoice(funding, "2026-12")
    assert invoice["total_idr"] == 8_400
    assert [line["discount_idr"] for line in invoice["lines"]] == [5_000, 3_400]


def test_payment_needs_an_idempotency_key(funding: TestClient, registry: FakeRegistry) -> None:
    active_agreement(funding, VILLAGE, [registry.add("k1")])
    _bill(funding, "2026-12")
    invoice = _invoice(funding, "2026-12")
    body = {
        "invoice_id": invoice["id"],
        "amount_idr": 1,
        "paid_on": "2026-12-01",
        "method": "cash",
        "reference": "X",
    }
    response = funding.post("/v1/payments", json=body, headers=HEADERS)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert funding.get("/v1/payments", headers=HEADERS).json()["items"] == []


def test_overdue_void_and_credit_note(
    funding: TestClient, registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SASAR_TODAY", "2026-11-20")
    agreement = active_agreement(funding, VILLAGE, [registry.add("o1"), registry.add("o2")])
    _bill(funding, "2026-11")
    _bill(funding, "2026-12")
    marked = run_to_result(funding, "/v1/invoices/overdue-runs", {"as_of": "2026-11-16"})
    assert marked == {"as_of": "2026-11-16", "marked_overdue": 1}
    november = _invoice(funding, "2026-11")
    assert november["status"] == "overdue"
    assert _invoice(funding, "2026-12")["status"] == "issued"
    member = f"/v1/funding-agreements/{agreement['id']}/members/o2"
    # A village cannot end a membership in the past (that would credit away covered months) ...
    backdated = funding.delete(member, params={"effective_date": "2026-10-31"}, headers=HEADERS)
    assert backdated.status_code == 422, backdated.text
    assert backdated.json()["errors"][0]["field"] == "effective_date"
    # ... the agency can: o2 left at the end of October, so November and December are credited.
    removed = funding.delete(member, params={"effective_date": "2026-10-31"}, headers=ADMIN)
    assert removed.status_code == 200, removed.text
    assert removed.json()["credited_idr"] == 2 * 16_800
    november = _invoice(funding, "2026-11")
    assert november["credited_idr"] == 16_800
    assert november["outstanding_idr"] == 16_800
    assert [(n["worker_id"], n["amount_idr"]) for n in november["credit_notes"]] == [("o2", 16_800)]
    voided = funding.post(f"/v1/invoices/{november['id']}/void", headers=ADMIN)
    assert voided.status_code == 200
    assert voided.json()["status"] == "void"
    village_void = funding.post(f"/v1/invoices/{_invoice(funding, '2026-12')['id']}/void", headers=HEADERS)
    assert village_void.status_code == 403


def test_arrears_lapse_and_handover(funding: TestClient, registry: FakeRegistry) -> None:
    active_agreement(funding, VILLAGE, [registry.add("l1", occupation="ojol")], start_period="2026-01")
    for month in range(1, 6):
        _bill(funding, f"2026-{month:02d}")
    arrears = funding.get(f"/v1/villages/{VILLAGE}/arrears", params={"as_of": "2026-05-20"}, headers=HEADERS)
    assert arrears.json()[0]["unpaid_months"] == 5
    assert arrears.json()[0]["lapsed"] is False
    lapse = run_to_result(funding, "/v1/invoices/lapse-runs", {"as_of": "2026-04-10"})
    assert lapse["lapsed_worker_ids"] == []  # only 3 months due by then
    lapse = run_to_result(funding, "/v1/invoices/lapse-runs", {"as_of": "2026-04-16"})
    assert lapse["lapsed_worker_ids"] == ["l1"]
    again = funding.get(f"/v1/villages/{VILLAGE}/arrears", params={"as_of": "2026-05-20"}, headers=HEADERS)
    assert again.json()[0]["lapsed"] is True
    ending = funding.get(
        f"/v1/villages/{VILLAGE}/agreements-ending", params={"through": "2026-12"}, headers=HEADERS
    )
    assert ending.status_code == 200, ending.text
    item = ending.json()[0]
    assert item["handover_period"] == "2027-01"
    # An ojol driver paying himself in January 2027 still gets PP 50/2025 (transport: until March 2027).
    assert item["workers"] == [{"worker_id": "l1", "self_pay_monthly_idr": 8_400}]


def test_a_village_cannot_credit_away_a_partly_paid_covered_month(
    funding: TestClient, registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SASAR_TODAY", "2026-11-20")
    agreement = active_agreement(funding, VILLAGE, [registry.add("d1")])
    _bill(funding, "2026-11")
    november = _invoice(funding, "2026-11")
    body = {
        "invoice_id": november["id"],
        "amount_idr": 8_400,
        "paid_on": "2026-11-10",
        "method": "cash",
        "reference": "SP2D/DEBT/1",
    }
    paid = funding.post("/v1/payments", json=body, headers={**HEADERS, "Idempotency-Key": "debt-key-0001"})
    assert paid.status_code == 201, paid.text
    removed = funding.delete(f"/v1/funding-agreements/{agreement['id']}/members/d1", headers=HEADERS)
    assert removed.status_code == 200, removed.text
    # Removal takes effect from today: November (covered, half paid) is still owed in full.
    november = _invoice(funding, "2026-11")
    assert (november["status"], november["credited_idr"], november["outstanding_idr"]) == (
        "partially_paid",
        0,
        8_400,
    )
