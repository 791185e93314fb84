"""Where money goes: whole worker-months, oldest first, one SP2D over several invoices; and what gets
billed: from the month a worker joined, late joiners and voided months on new (supplementary) invoices."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.funding.conftest import OTHER_VILLAGE, VILLAGE, FakeRegistry
from tests.funding_support import ADMIN, active_agreement, bill
from tests.support import village_headers

HEADERS = village_headers(VILLAGE)


def invoices(funding: TestClient, period: str, village: str = VILLAGE) -> list[dict[str, Any]]:
    listed = funding.get("/v1/invoices", params={"period": period}, headers=village_headers(village))
    assert listed.status_code == 200, listed.text
    return [
        funding.get(f"/v1/invoices/{item['id']}", headers=village_headers(village)).json()
        for item in sorted(listed.json()["items"], key=lambda i: i["number"])
    ]


def pay(funding: TestClient, amount: int, reference: str, key: str | None = None, **target: Any) -> Any:
    body = {"amount_idr": amount, "paid_on": "2026-12-05", "method": "bank_transfer", "reference": reference}
    headers = {**HEADERS, "Idempotency-Key": key or f"key-{reference}-{amount}"}
    return funding.post("/v1/payments", json={**body, **target}, headers=headers)


def line_paid(invoice: dict[str, Any]) -> dict[str, list[int]]:
    paid: dict[str, list[int]] = {}
    for line in invoice["lines"]:
        paid.setdefault(line["worker_id"], []).append(line["paid_idr"])
    return paid


def test_partial_payments_pay_whole_worker_months_in_line_order(
    funding: TestClient, registry: FakeRegistry
) -> None:
    active_agreement(funding, VILLAGE, [registry.add("p1"), registry.add("p2")])
    bill(funding, "2026-12")
    (invoice,) = invoices(funding, "2026-12")
    assert invoice["total_idr"] == 33_600  # JKK 10,000 + JKM 6,800 per worker
    # Rp12,000 covers JKK of p1 but not p1's whole month: nothing is split, the money waits on the invoice.
    first = pay(funding, 12_000, "SP2D-1", invoice_id=invoice["id"])
    assert first.status_code == 201, first.text
    assert first.json()["invoice_status"] == "partially_paid"
    (invoice,) = invoices(funding, "2026-12")
    assert line_paid(invoice) == {"p1": [0, 0], "p2": [0, 0]}
    assert (invoice["paid_idr"], invoice["unallocated_idr"], invoice["outstanding_idr"]) == (
        12_000,
        12_000,
        21_600,
    )
    # Rp10,000 more completes p1's month (16,800); the Rp5,200 left waits for p2's.
    assert pay(funding, 10_000, "SP2D-2", invoice_id=invoice["id"]).status_code == 201
    (invoice,) = invoices(funding, "2026-12")
    assert line_paid(invoice) == {"p1": [10_000, 6_800], "p2": [0, 0]}
    assert invoice["unallocated_idr"] == 5_200
    over = pay(funding, 11_601, "SP2D-3", invoice_id=invoice["id"])
    assert over.status_code == 422
    assert over.json()["outstanding_idr"] == 11_600
    assert pay(funding, 11_600, "SP2D-3", invoice_id=invoice["id"]).status_code == 201
    (invoice,) = invoices(funding, "2026-12")
    assert line_paid(invoice) == {"p1": [10_000, 6_800], "p2": [10_000, 6_800]}
    assert (invoice["status"], invoice["unallocated_idr"]) == ("paid", 0)


def test_one_sp2d_pays_several_invoices_oldest_month_first(
    funding: TestClient, registry: FakeRegistry
) -> None:
    active_agreement(funding, VILLAGE, [registry.add("s1")])
    bill(funding, "2026-11")
    bill(funding, "2026-12")
    (november,) = invoices(funding, "2026-11")
    (december,) = invoices(funding, "2026-12")
    both = [december["id"], november["id"]]  # listed newest first: November is still paid first
    refused = pay(funding, 2 * 16_800 + 1, "SP2D/MULTI/0", invoice_ids=both)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "amount_idr"
    paid = pay(funding, 16_800 + 8_400, "SP2D/MULTI/1", invoice_ids=both)
    assert paid.status_code == 201, paid.text
    assert paid.json()["invoice_id"] == november["id"]
    assert paid.json()["allocations"] == [
        {"invoice_id": november["id"], "amount_idr": 16_800},
        {"invoice_id": december["id"], "amount_idr": 8_400},
    ]
    (november,) = invoices(funding, "2026-11")
    (december,) = invoices(funding, "2026-12")
    assert (november["status"], december["status"]) == ("paid", "partially_paid")
    assert december["paid_idr"] == 8_400
    for invoice in (november, december):
        listed = funding.get("/v1/payments", params={"invoice_id": invoice["id"]}, headers=HEADERS).json()
        assert [p["reference"] for p in listed["items"]] == ["SP2D/MULTI/1"]
    # The same SP2D number cannot be used again, even for the rest of December.
    again = pay(funding, 8_400, "SP2D/MULTI/1", invoice_id=december["id"])
    assert again.status_code == 409
    neither = pay(funding, 100, "SP2D/MULTI/2")
    assert neither.status_code == 422
    assert neither.json()["errors"][0]["field"] == "invoice_id"


def test_one_sp2d_stays_inside_its_village(funding: TestClient, registry: FakeRegistry) -> None:
    active_agreement(funding, VILLAGE, [registry.add("v1")])
    active_agreement(funding, OTHER_VILLAGE, [registry.add("v2", village_code=OTHER_VILLAGE)])
    bill(funding, "2026-12")
    (ours,) = invoices(funding, "2026-12")
    (theirs,) = invoices(funding, "2026-12", OTHER_VILLAGE)
    # A village key cannot reach another village's invoice through a list (404, as for one invoice) ...
    crossed = pay(funding, 16_800, "SP2D/X/1", invoice_ids=[ours["id"], theirs["id"]])
    assert crossed.status_code == 404
    # ... and even the agency cannot pay two villages' invoices with one SP2D.
    body = {
        "invoice_ids": [ours["id"], theirs["id"]],
        "amount_idr": 16_800,
        "paid_on": "2026-12-05",
        "method": "giro",
        "reference": "SP2D/X/2",
    }
    mixed = funding.post("/v1/payments", json=body, headers={**ADMIN, "Idempotency-Key": "mixed-villages-1"})
    assert mixed.status_code == 422
    assert mixed.json()["errors"][0]["field"] == "invoice_ids"
    assert funding.get("/v1/payments", headers=ADMIN).json()["items"] == []


def test_billing_starts_in_the_month_a_worker_joins(
    funding: TestClient, registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SASAR_TODAY", "2026-11-20")
    agreement = active_agreement(funding, VILLAGE, [registry.add("j1")], start_period="2026-01")
    # Joined in November: January is not owed, and the budget counts November and December only.
    assert agreement["budget_committed_idr"] == 2 * 16_800
    assert bill(funding, "2026-01")["invoices_issued"] == 0
    assert bill(funding, "2026-11")["invoices_issued"] == 1
    # A worker who joins after November's invoice is billed on a supplementary invoice with the next
    # number; a run with nobody new to bill issues nothing.
    added = funding.post(
        f"/v1/funding-agreements/{agreement['id']}/members",
        json={"worker_ids": [registry.add("j2")]},
        headers=HEADERS,
    )
    assert added.json()["results"][0]["status"] == "added", added.text
    assert bill(funding, "2026-11")["invoices_issued"] == 1
    assert bill(funding, "2026-11")["invoices_issued"] == 0
    regular, supplementary = invoices(funding, "2026-11")
    assert (regular["kind"], regular["number"], [line["worker_id"] for line in regular["lines"]]) == (
        "regular",
        f"INV/2026/{VILLAGE}/000001",
        ["j1", "j1"],
    )
    assert (
        supplementary["kind"],
        supplementary["number"],
        [line["worker_id"] for line in supplementary["lines"]],
    ) == (
        "supplementary",
        f"INV/2026/{VILLAGE}/000002",
        ["j2", "j2"],
    )
    # Issued on the 20th, it cannot have been due on the 15th: two weeks from issue.
    assert supplementary["due_date"] >= "2026-11-29"
    assert bill(funding, "2026-12")["invoices_issued"] == 1
    (december,) = invoices(funding, "2026-12")
    assert sorted({line["worker_id"] for line in december["lines"]}) == ["j1", "j2"]


def test_a_voided_month_is_billed_again_with_a_new_number(
    funding: TestClient, registry: FakeRegistry
) -> None:
    active_agreement(funding, VILLAGE, [registry.add("r1")])
    bill(funding, "2026-12")
    (first,) = invoices(funding, "2026-12")
    assert funding.post(f"/v1/invoices/{first['id']}/void", headers=ADMIN).status_code == 200
    assert bill(funding, "2026-12")["invoices_issued"] == 1
    voided, rebilled = invoices(funding, "2026-12")
    assert (voided["status"], voided["number"]) == ("void", f"INV/2026/{VILLAGE}/000001")
    assert (rebilled["status"], rebilled["kind"], rebilled["number"]) == (
        "issued",
        "regular",
        f"INV/2026/{VILLAGE}/000002",
    )
    assert rebilled["total_idr"] == 16_800


def test_removal_credit_never_exceeds_what_an_invoice_still_owes(
    funding: TestClient, registry: FakeRegistry
) -> None:
    agreement = active_agreement(funding, VILLAGE, [registry.add("c1"), registry.add("c2")])
    bill(funding, "2026-12")
    (invoice,) = invoices(funding, "2026-12")
    # 20,000 paid: c1's month (16,800) and 3,200 towards c2's.
    assert pay(funding, 20_000, "SP2D/CAP/1", invoice_id=invoice["id"]).status_code == 201
    removed = funding.delete(
        f"/v1/funding-agreements/{agreement['id']}/members/c2",
        params={"effective_date": "2026-11-30"},
        headers=ADMIN,
    )
    assert removed.status_code == 200, removed.text
    # Only what is still outstanding is credited; the 3,200 already paid stays paid.
    assert removed.json()["credited_idr"] == 33_600 - 20_000
    (invoice,) = invoices(funding, "2026-12")
    assert (invoice["status"], invoice["paid_idr"], invoice["credited_idr"], invoice["outstanding_idr"]) == (
        "paid",
        20_000,
        13_600,
        0,
    )
    assert invoice["unallocated_idr"] == 0
    assert sum(line["paid_idr"] + line["credited_idr"] for line in invoice["lines"]) == invoice["total_idr"]


def test_handover_skips_workers_already_on_next_years_roster(
    funding: TestClient, registry: FakeRegistry
) -> None:
    this_year = active_agreement(funding, VILLAGE, [registry.add("h1"), registry.add("h2")])
    active_agreement(funding, VILLAGE, ["h1"], fiscal_year=2027, start_period="2027-01", end_period="2027-12")
    ending = funding.get(
        f"/v1/villages/{VILLAGE}/agreements-ending", params={"through": "2026-12"}, headers=HEADERS
    )
    assert ending.status_code == 200, ending.text
    (item,) = [i for i in ending.json() if i["agreement_id"] == this_year["id"]]
    # h1 is funded from January 2027 already: only h2 is told to pay for themselves.
    assert [w["worker_id"] for w in item["workers"]] == ["h2"]


def test_months_before_joining_are_billed_only_by_a_recorded_admin_back_billing_run(
    funding: TestClient, registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SASAR_TODAY", "2026-11-20")
    agreement = active_agreement(funding, VILLAGE, [registry.add("b1")], start_period="2026-01")
    other = active_agreement(funding, VILLAGE, [], source="csr", start_period="2026-01")
    path = f"/v1/funding-agreements/{agreement['id']}/back-billing-runs"
    body = {"period": "2026-10", "reason": "Perkades 7/2026 covers the worker from October"}
    assert funding.post(path, json=body, headers=HEADERS).status_code == 403
    outside = funding.post(path, json={**body, "period": "2025-12"}, headers=ADMIN)
    assert outside.status_code == 422
    run = funding.post(path, json=body, headers=ADMIN)
    assert run.status_code == 201, run.text
    assert (run.json()["kind"], run.json()["reason"], run.json()["agreement_id"]) == (
        "back_billing",
        body["reason"],
        agreement["id"],
    )
    assert run.json()["invoices_issued"] == 1
    (october,) = invoices(funding, "2026-10")
    assert [line["worker_id"] for line in october["lines"]] == ["b1", "b1"]
    # Asked twice, it bills nothing more; the monthly run of October still does not bill b1 again.
    assert funding.post(path, json=body, headers=ADMIN).json()["invoices_issued"] == 0
    assert bill(funding, "2026-10")["invoices_issued"] == 0
    # September is not owed by the back-billing of October, and another agreement's roster is untouched.
    assert bill(funding, "2026-09")["invoices_issued"] == 0
    empty = funding.post(
        f"/v1/funding-agreements/{other['id']}/back-billing-runs", json=body, headers=ADMIN
    ).json()
    assert empty["invoices_issued"] == 0
    committed = funding.get(f"/v1/funding-agreements/{agreement['id']}", headers=HEADERS).json()
    assert committed["budget_committed_idr"] == 3 * 16_800  # October, November, December


def test_back_billing_respects_the_budget(
    funding: TestClient, registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SASAR_TODAY", "2026-12-02")
    agreement = active_agreement(funding, VILLAGE, [registry.add("t1")], budget_ceiling_idr=20_000)
    path = f"/v1/funding-agreements/{agreement['id']}/back-billing-runs"
    refused = funding.post(path, json={"period": "2026-11", "reason": "late roster"}, headers=ADMIN)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "period"
    assert invoices(funding, "2026-11") == []
