"""Funding's partner-visible events: one ``invoice.issued`` per invoice a billing run issues, one
``invoice.overdue`` per invoice the overdue run marks, and ``payment.received``, each with data of
the model the AsyncAPI document publishes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from services.common.db import create_db_engine
from services.common.partner_events import (
    InvoiceIssuedData,
    InvoiceOverdueData,
    PaymentReceivedData,
)
from tests.api.funding.conftest import OTHER_VILLAGE, VILLAGE, FakeRegistry
from tests.funding_support import ADMIN, active_agreement, bill, run_to_result
from tests.support import village_headers


def outbox_events(funding: TestClient, event_type: str) -> list[tuple[str, str, dict[str, Any]]]:
    engine = create_db_engine(funding.app.state.settings.database_url)  # type: ignore[attr-defined]
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT aggregate_id, village_code, data FROM outbox WHERE type = :t ORDER BY seq"),
                {"t": event_type},
            ).all()
    finally:
        engine.dispose()
    return [(str(r[0]), str(r[1]), json.loads(r[2])) for r in rows]


def test_a_billing_run_emits_one_invoice_issued_per_invoice(
    funding: TestClient, registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SASAR_TODAY", "2026-11-20")
    active_agreement(funding, VILLAGE, [registry.add("a1"), registry.add("a2")])
    active_agreement(funding, OTHER_VILLAGE, [registry.add("b1", village_code=OTHER_VILLAGE)])
    assert bill(funding, "2026-11")["invoices_issued"] == 2
    invoices = funding.get("/v1/invoices", headers=ADMIN).json()["items"]
    issued = outbox_events(funding, "invoice.issued")
    assert sorted((a, v) for a, v, _ in issued) == sorted((str(i["id"]), i["village_code"]) for i in invoices)
    for _, _, data in issued:
        parsed = InvoiceIssuedData.model_validate(data)
        invoice = next(i for i in invoices if i["id"] == parsed.invoice_id)
        assert (parsed.invoice_number, parsed.total_idr, parsed.period) == (
            invoice["number"],
            invoice["total_idr"],
            "2026-11",
        )
    assert bill(funding, "2026-11")["invoices_issued"] == 0
    assert len(outbox_events(funding, "invoice.issued")) == 2  # a repeated run issues (and says) nothing

    marked = run_to_result(funding, "/v1/invoices/overdue-runs", {"as_of": "2026-11-16"})
    assert marked["marked_overdue"] == 2
    overdue = outbox_events(funding, "invoice.overdue")
    assert sorted(a for a, _, _ in overdue) == sorted(str(i["id"]) for i in invoices)
    assert all(InvoiceOverdueData.model_validate(d).paid_idr == 0 for _, _, d in overdue)
    run_to_result(funding, "/v1/invoices/overdue-runs", {"as_of": "2026-11-17"})
    assert len(outbox_events(funding, "invoice.overdue")) == 2


def test_payment_received_matches_its_published_model(funding: TestClient, registry: FakeRegistry) -> None:
    active_agreement(funding, VILLAGE, [registry.add("p1")])
    bill(funding, "2026-12")
    [invoice] = funding.get("/v1/invoices", headers=ADMIN).json()["items"]
    paid = funding.post(
        "/v1/payments",
        json={
            "invoice_id": invoice["id"],
            "amount_idr": invoice["total_idr"],
            "paid_on": "2026-12-05",
            "method": "bank_transfer",
            "reference": "SP2D-1",
        },
        headers={**village_headers(VILLAGE), "Idempotency-Key": "partner-events-1"},
    )
    assert paid.status_code == 201, paid.text
    [(_, village, data)] = outbox_events(funding, "payment.received")
    parsed = PaymentReceivedData.model_validate(data)
    assert (village, parsed.amount_idr, parsed.reference) == (VILLAGE, invoice["total_idr"], "SP2D-1")
    assert [w.worker_id for w in parsed.workers] == ["p1"]
