"""Lists integrators sync from: agreements, invoices and payments in creation order, `sort`,
`updated_since` (including the set-based overdue marking and payment settlement), ties, refusals,
timestamps in the village's offset, tenancy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from services.funding.models import Invoice
from tests.api.funding.conftest import OTHER_VILLAGE, VILLAGE, FakeRegistry
from tests.funding_support import ADMIN, active_agreement, bill, run_to_result
from tests.support import village_headers
from tests.sync_support import check_openapi, check_refusals, check_sorts, check_ties, ids, walk

FAR_VILLAGE = "91.03.01.1001"  # Sentani Kota, Papua (WIT, +09:00): a kelurahan
VIL = village_headers(VILLAGE)
FAR = village_headers(FAR_VILLAGE, subject="key-far")


def _three_villages(funding: TestClient, registry: FakeRegistry) -> list[dict[str, Any]]:
    """An active agreement in Java, another Java village and Papua (in that order)."""
    return [
        active_agreement(funding, VILLAGE, [registry.add("j1"), registry.add("j2")]),
        active_agreement(funding, OTHER_VILLAGE, [registry.add("o1", village_code=OTHER_VILLAGE)]),
        active_agreement(
            funding, FAR_VILLAGE, [registry.add("p1", village_code=FAR_VILLAGE)], source="apbd_kelurahan"
        ),
    ]


def _pay(funding: TestClient, invoice: dict[str, Any], key: str) -> dict[str, Any]:
    response = funding.post(
        "/v1/payments",
        json={
            "invoice_id": invoice["id"],
            "amount_idr": invoice["total_idr"],
            "paid_on": "2026-02-10",
            "method": "bank_transfer",
            "reference": f"SP2D-{key}",
        },
        headers={**VIL, "Idempotency-Key": f"sync-test-{key}"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_agreements_and_invoices_come_in_creation_order_and_through_ties(
    funding: TestClient, registry: FakeRegistry, database_url: Callable[[str], str]
) -> None:
    agreements = _three_villages(funding, registry)
    check_sorts(funding, "/v1/funding-agreements", ADMIN, [a["id"] for a in agreements])
    bill(funding, "2026-01")
    bill(funding, "2026-02")
    invoices = walk(funding, "/v1/invoices", ADMIN)
    assert [(i["village_code"], i["period"]) for i in invoices] == [
        (village, period)
        for period in ("2026-01", "2026-02")
        for village in (VILLAGE, OTHER_VILLAGE, FAR_VILLAGE)
    ]
    check_sorts(funding, "/v1/invoices", ADMIN, ids(invoices))
    # One billing run writes its invoices in one statement: they already share created_at.
    january = [i for i in invoices if i["period"] == "2026-01"]
    assert len({dt.datetime.fromisoformat(i["created_at"]) for i in january}) == 1
    check_ties(funding, "/v1/invoices", ADMIN, database_url("funding"), Invoice.__table__)  # type: ignore[arg-type]


def test_papua_resources_are_shown_in_wit(funding: TestClient, registry: FakeRegistry) -> None:
    agreements = _three_villages(funding, registry)
    assert agreements[0]["created_at"].endswith("+07:00")
    far = walk(funding, "/v1/funding-agreements", FAR)
    assert ids(far) == [agreements[2]["id"]]
    assert far[0]["created_at"].endswith("+09:00") and far[0]["updated_at"].endswith("+09:00")
    bill(funding, "2026-01")
    invoice = walk(funding, "/v1/invoices", FAR)[0]
    assert invoice["created_at"].endswith("+09:00") and invoice["updated_at"].endswith("+09:00")
    detail = funding.get(f"/v1/invoices/{invoice['id']}", headers=FAR).json()
    assert detail["created_at"] == invoice["created_at"]


def test_overdue_marking_and_settlement_show_up_in_updated_since(
    funding: TestClient, registry: FakeRegistry
) -> None:
    _three_villages(funding, registry)
    bill(funding, "2026-01")
    bill(funding, "2026-02")
    checkpoint = dt.datetime.now(dt.UTC).isoformat()
    assert walk(funding, "/v1/invoices", ADMIN, updated_since=checkpoint) == []
    # One UPDATE marks every January invoice overdue (due on the 15th).
    marked = run_to_result(funding, "/v1/invoices/overdue-runs", {"as_of": "2026-01-16"})
    assert marked["marked_overdue"] == 3
    changed = walk(funding, "/v1/invoices", ADMIN, updated_since=checkpoint, sort="updated_at")
    assert sorted((i["period"], i["status"]) for i in changed) == [("2026-01", "overdue")] * 3
    # Paying Java's February invoice settles it in a set-based UPDATE: the invoice and the payment sync.
    second = dt.datetime.now(dt.UTC).isoformat()
    february = walk(funding, "/v1/invoices", VIL, period="2026-02")[0]
    payment = _pay(funding, february, "feb-java")
    changed = walk(funding, "/v1/invoices", VIL, updated_since=second)
    assert [(i["id"], i["status"]) for i in changed] == [(february["id"], "paid")]
    assert ids(walk(funding, "/v1/payments", VIL, updated_since=second)) == [payment["id"]]
    assert payment["created_at"].endswith("+07:00")
    # Another village's key syncs only its own: its January invoice, no payment.
    other = village_headers(OTHER_VILLAGE, subject="key-other")
    theirs = walk(funding, "/v1/invoices", other, updated_since=checkpoint)
    assert [(i["village_code"], i["period"]) for i in theirs] == [(OTHER_VILLAGE, "2026-01")]
    assert walk(funding, "/v1/payments", other, updated_since=checkpoint) == []


def test_payments_in_creation_order_and_refusals(funding: TestClient, registry: FakeRegistry) -> None:
    _three_villages(funding, registry)
    for period in ("2026-01", "2026-02", "2026-03"):
        bill(funding, period)
    made = [_pay(funding, invoice, f"k{n}") for n, invoice in enumerate(walk(funding, "/v1/invoices", VIL))]
    check_sorts(funding, "/v1/payments", VIL, [p["id"] for p in made])
    for path in ("/v1/funding-agreements", "/v1/invoices", "/v1/payments"):
        check_refusals(funding, path, ADMIN)
        check_openapi(funding, path)
