"""Funding's copy of the workers comes from registry events: rosters validate against it without calling
the registry, and billing prices from the current declared income."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi.testclient import TestClient

from services.common.events import RELAY_HEADER, relay_token
from tests.api.funding.conftest import VILLAGE, FakeRegistry
from tests.funding_support import ADMIN, agreement_body, bill
from tests.support import TEST_SECRET, village_headers


def worker_event(client: TestClient, event_type: str, worker_id: str, **snapshot: Any) -> None:
    worker = {
        "id": worker_id,
        "village_code": VILLAGE,
        "occupation": "petani",
        "declared_income_idr": 1_000_000,
        "programs": ["JKK", "JKM"],
        "funding": "village_fund",
        "status": "registered",
        "version": 1,
        **snapshot,
    }
    event = {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "source": "registry",
        "aggregate_type": "worker",
        "aggregate_id": worker_id,
        "village_code": VILLAGE,
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "data": {"worker": worker},
    }
    response = client.post(
        "/internal/events", json={"events": [event]}, headers={RELAY_HEADER: relay_token(TEST_SECRET)}
    )
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "applied", response.text


def new_agreement(funding: TestClient) -> int:
    created = funding.post(
        "/v1/funding-agreements",
        json=agreement_body(VILLAGE, start_period="2026-12", end_period="2026-12"),
        headers=village_headers(VILLAGE),
    )
    assert created.status_code == 201, created.text
    agreement_id: int = created.json()["id"]
    return agreement_id


def test_roster_additions_use_the_local_copy_and_never_call_the_registry(
    funding: TestClient, registry: FakeRegistry
) -> None:
    worker_event(funding, "worker.registered", "w-known")
    worker_event(funding, "worker.deactivated", "w-dead", status="deceased", version=2)
    agreement_id = new_agreement(funding)
    added = funding.post(
        f"/v1/funding-agreements/{agreement_id}/members",
        json={"worker_ids": ["w-known", "w-dead"]},
        headers=village_headers(VILLAGE),
    )
    assert added.status_code == 200, added.text
    assert [(r["worker_id"], r["status"]) for r in added.json()["results"]] == [
        ("w-known", "added"),
        ("w-dead", "rejected"),
    ]
    assert registry.calls == []  # both answered from funding's own copy


def test_a_worker_whose_event_has_not_arrived_is_fetched_once_before_the_lock(
    funding: TestClient, registry: FakeRegistry
) -> None:
    registry.add("w-new", status="registered")
    agreement_id = new_agreement(funding)
    added = funding.post(
        f"/v1/funding-agreements/{agreement_id}/members",
        json={"worker_ids": ["w-new", "w-new"]},
        headers=village_headers(VILLAGE),
    )
    assert added.status_code == 200, added.text
    assert [c["worker_id"] for c in registry.calls] == ["w-new"]


def test_billing_prices_the_income_the_latest_event_carries(
    funding: TestClient, registry: FakeRegistry
) -> None:
    worker_event(funding, "worker.registered", "w-1")
    agreement_id = new_agreement(funding)
    headers = village_headers(VILLAGE)
    funding.post(
        f"/v1/funding-agreements/{agreement_id}/members", json={"worker_ids": ["w-1"]}, headers=headers
    )
    assert funding.post(f"/v1/funding-agreements/{agreement_id}/activate", headers=headers).status_code == 200
    # The village raises the declared income in the registry: JKK is 1 % of Rp3,000,000 = Rp30,000.
    worker_event(funding, "worker.updated", "w-1", declared_income_idr=3_000_000, version=2)
    # A late, older event changes nothing.
    worker_event(funding, "worker.updated", "w-1", declared_income_idr=1_000_000, version=1)
    bill(funding, "2026-12")
    invoices = funding.get("/v1/invoices", params={"period": "2026-12"}, headers=headers).json()["items"]
    assert [i["total_idr"] for i in invoices] == [30_000 + 6_800]


def test_ending_an_agreement_hands_over_only_workers_nobody_else_funds(
    funding: TestClient, registry: FakeRegistry, database_url: Any
) -> None:
    from sqlalchemy import text

    from services.common.db import create_db_engine

    headers = village_headers(VILLAGE)
    for worker in ("w-a", "w-b"):
        worker_event(funding, "worker.registered", worker)
    first = new_agreement(funding)
    funding.post(
        f"/v1/funding-agreements/{first}/members", json={"worker_ids": ["w-a", "w-b"]}, headers=headers
    )
    funding.post(f"/v1/funding-agreements/{first}/activate", headers=headers)
    # Next year's agreement already funds w-b.
    nxt = funding.post(
        "/v1/funding-agreements",
        json=agreement_body(VILLAGE, fiscal_year=2027, start_period="2027-01", end_period="2027-12"),
        headers=headers,
    ).json()["id"]
    funding.post(f"/v1/funding-agreements/{nxt}/members", json={"worker_ids": ["w-b"]}, headers=headers)
    ended = funding.post(f"/v1/funding-agreements/{first}/end", headers=ADMIN)
    assert ended.status_code == 200, ended.text
    engine = create_db_engine(database_url("funding"))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT type, aggregate_id, data FROM outbox WHERE type LIKE 'coverage%' ORDER BY seq")
            ).all()
    finally:
        engine.dispose()
    assert [(r[0], r[1]) for r in rows] == [("coverage.handover_due", "w-a")]
    assert '"self_pay_from":"2027-01"' in rows[0][2]
