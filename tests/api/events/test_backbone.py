"""The event backbone across the three services, in process: outbox rows written with the change, the
relay delivering them (and retrying), inboxes applying each event exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from services.common.db import create_db_engine
from services.common.events import (
    RELAY_HEADER,
    SOURCES,
    SUBSCRIPTIONS,
    EventType,
    relay_token,
)
from services.common.relay import HttpTransport, Source, relay_once
from services.funding.inbox import funding_inbox
from services.outreach.events import outreach_inbox
from services.registry.inbox import registry_inbox
from services.webhooks.events import webhooks_inbox
from tests.registry_support import VILLAGE, nik_for, worker_body
from tests.support import TEST_SECRET, internal_headers, run_jobs, village_headers

REGISTRY_WRITER = internal_headers(scopes=["registry:read", "registry:write"])
REPORTS = internal_headers(scopes=["reports:read"])
YEAR = dt.date.today().year
COUNTS = "SELECT registered, active FROM village_worker_counts WHERE village_code = :v"
COUNTS_REGISTERED = "SELECT registered FROM village_worker_counts WHERE village_code = :v"
COPY = "SELECT village_code, declared_income_idr, status, registry_version FROM funded_workers"


def test_subscriptions_match_each_services_handlers() -> None:
    # The relay routes by SUBSCRIPTIONS: a service must handle exactly what it is sent.
    assert set(registry_inbox.handlers) == {t.value for t in SUBSCRIPTIONS["registry"]}
    assert set(funding_inbox.handlers) == {t.value for t in SUBSCRIPTIONS["funding"]}
    assert set(outreach_inbox.handlers) == {t.value for t in SUBSCRIPTIONS["outreach"]}
    assert set(webhooks_inbox.handlers) == {t.value for t in SUBSCRIPTIONS["webhooks"]}
    published = set().union(*SOURCES.values())
    assert set().union(*SUBSCRIPTIONS.values()) <= published


@pytest.fixture
def system(service_client: Callable[..., TestClient], database_url: Callable[[str], str]) -> Iterator[Any]:
    class System:
        registry = service_client("registry")
        funding = service_client("funding", registry_url="http://127.0.0.1:9")
        outreach = service_client("outreach", registry_url="http://127.0.0.1:9")
        webhooks = service_client("webhooks")
        urls: ClassVar[dict[str, str]] = {
            name: database_url(name) for name in ("registry", "funding", "outreach")
        }

        def sql(self, component: str, statement: str, **params: Any) -> list[Any]:
            engine = create_db_engine(self.urls[component])
            try:
                with engine.begin() as connection:
                    return list(connection.execute(text(statement), params))
            finally:
                engine.dispose()

        def transport(self, down: frozenset[str] = frozenset()) -> HttpTransport:
            mounts: dict[str, httpx.AsyncBaseTransport] = {
                f"http://{name}": httpx.ASGITransport(app=getattr(self, name).app)
                for name in ("registry", "funding", "outreach", "webhooks")
                if name not in down
            }
            client = httpx.AsyncClient(mounts=mounts)
            # A service that is down: its host has no route (connection refused).
            names = ("registry", "funding", "outreach", "webhooks")
            urls = {name: "http://127.0.0.1:9" if name in down else f"http://{name}" for name in names}
            return HttpTransport(urls, TEST_SECRET, client=client)

        def relay(self, component: str, down: frozenset[str] = frozenset()) -> int:
            source = Source(component, self.urls[component])
            transport = self.transport(down)

            async def once() -> int:
                try:
                    return await relay_once(source, transport, batch_size=100, max_backoff=0.01)
                finally:
                    await transport.close()

            try:
                return asyncio.run(once())
            finally:
                source.dispose()

    yield System()


def register(system: Any, serial: int = 1, **overrides: Any) -> dict[str, Any]:
    response = system.registry.post(
        "/v1/workers", json=worker_body(nik=nik_for(serial), **overrides), headers=village_headers(VILLAGE)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def outbox(system: Any, component: str) -> list[Any]:
    return system.sql(
        component,
        "SELECT type, aggregate_id, data, published_at, attempts, delivered_to FROM outbox ORDER BY seq",
    )


def post_event(client: TestClient, event_type: str, data: dict[str, Any], **extra: Any) -> Any:
    event = {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "source": "funding",
        "aggregate_type": "invoice",
        "aggregate_id": "1",
        "village_code": VILLAGE,
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "data": data,
        **extra,
    }
    response = client.post(
        "/internal/events", json={"events": [event]}, headers={RELAY_HEADER: relay_token(TEST_SECRET)}
    )
    assert response.status_code == 200, response.text
    return event, response.json()["results"][0]


def test_the_event_is_written_with_the_change_and_not_without_it(system: Any) -> None:
    worker = register(system)
    rows = outbox(system, "registry")
    assert [(r[0], r[1]) for r in rows] == [("worker.registered", worker["id"])]
    snapshot = json.loads(rows[0][2])["worker"]
    assert snapshot == {
        "id": worker["id"],
        "village_code": VILLAGE,
        "occupation": "petani",
        "declared_income_idr": 1_500_000,
        "programs": ["JKK", "JKM"],
        "funding": worker["funding"],
        "status": "registered",
        "version": 1,
        "temporary": False,
        "officer_id": None,
        "temporary_id_expires_on": None,
    }
    # A refused registration (NIK already held) writes no event.
    again = system.registry.post(
        "/v1/workers", json=worker_body(nik=nik_for(1)), headers=village_headers(VILLAGE)
    )
    assert again.status_code == 409
    assert len(outbox(system, "registry")) == 1


def test_internal_events_need_the_relays_token(system: Any) -> None:
    body = {"events": []}
    assert system.registry.post("/internal/events", json=body).status_code == 401
    forged = {RELAY_HEADER: relay_token("another-secret-of-at-least-32-characters")}
    assert system.registry.post("/internal/events", json=body, headers=forged).status_code == 401
    # A gateway principal is not a relay token either.
    assert system.registry.post("/internal/events", json=body, headers=REGISTRY_WRITER).status_code == 401


def history_of(system: Any, worker_id: str) -> list[dict[str, Any]]:
    response = system.registry.get(f"/v1/workers/{worker_id}/history", headers=REGISTRY_WRITER)
    assert response.status_code == 200, response.text
    return [h for h in response.json()["items"] if h["field"] == "status"]


def test_payment_received_activates_once_and_redelivery_changes_nothing(system: Any) -> None:
    worker = register(system)
    data = {
        "period": "2026-12",
        "invoice_number": "INV/2026/x/000001",
        "workers": [{"worker_id": worker["id"]}],
    }
    event, result = post_event(system.registry, "payment.received", data)
    assert result["status"] == "applied"
    read = system.registry.get(f"/v1/workers/{worker['id']}", headers=REGISTRY_WRITER).json()
    assert read["status"] == "active"
    assert len(history_of(system, worker["id"])) == 1
    # The same event again (the relay retried after a lost acknowledgement): nothing more happens.
    response = system.registry.post(
        "/internal/events", json={"events": [event]}, headers={RELAY_HEADER: relay_token(TEST_SECRET)}
    )
    assert response.json()["results"][0]["status"] == "duplicate"
    assert len(history_of(system, worker["id"])) == 1
    # The registry's own change went out as coverage.activated for the other services.
    assert [r[0] for r in outbox(system, "registry")] == ["worker.registered", "coverage.activated"]


def test_only_an_active_worker_lapses_and_paid_arrears_reactivate(system: Any) -> None:
    worker = register(system)
    wid = worker["id"]
    post_event(system.registry, "coverage.lapsed", {"worker_id": wid, "unpaid_months": 4})
    status = lambda: system.registry.get(f"/v1/workers/{wid}", headers=REGISTRY_WRITER).json()["status"]  # noqa: E731
    assert status() == "registered"  # never paid: nothing to lapse
    post_event(system.registry, "payment.received", {"workers": [{"worker_id": wid, "arrears_months": 0}]})
    assert status() == "active"
    post_event(system.registry, "coverage.lapsed", {"worker_id": wid, "unpaid_months": 4})
    assert status() == "lapsed"
    # A payment that leaves arrears keeps the worker lapsed; one that clears them reactivates.
    post_event(system.registry, "payment.received", {"workers": [{"worker_id": wid, "arrears_months": 2}]})
    assert status() == "lapsed"
    post_event(system.registry, "payment.received", {"workers": [{"worker_id": wid, "arrears_months": 0}]})
    assert status() == "active"


def test_an_event_the_receiver_refuses_is_recorded_not_retried(system: Any) -> None:
    worker = register(system)
    system.registry.post(
        f"/v1/workers/{worker['id']}/deactivate",
        json={"reason": "deceased", "effective_date": dt.date.today().isoformat()},
        headers=village_headers(VILLAGE),
    )
    # Deceased is terminal: the payment is acknowledged, and nothing changes.
    _, result = post_event(system.registry, "payment.received", {"workers": [{"worker_id": worker["id"]}]})
    assert result["status"] == "applied"
    read = system.registry.get(f"/v1/workers/{worker['id']}", headers=REGISTRY_WRITER).json()
    assert read["status"] == "deceased"


def test_relay_keeps_funding_and_outreach_copies_current(system: Any) -> None:
    worker = register(system)
    assert system.relay("registry") == 1
    copy = system.sql(
        "funding", "SELECT village_code, declared_income_idr, status, registry_version FROM funded_workers"
    )
    assert [tuple(r) for r in copy] == [(VILLAGE, 1_500_000, "registered", 1)]
    counts = system.sql(
        "outreach", "SELECT registered, active FROM village_worker_counts WHERE village_code = :v", v=VILLAGE
    )
    assert [tuple(r) for r in counts] == [(1, 0)]
    assert outbox(system, "registry")[0][3] is not None  # published

    # A raised income reaches billing's copy; the payment-driven activation moves the counter.
    patched = system.registry.patch(
        f"/v1/workers/{worker['id']}",
        json={"declared_income_idr": 3_000_000},
        headers={**village_headers(VILLAGE), "If-Match": f'"{worker["version"]}"'},
    )
    assert patched.status_code == 200, patched.text
    post_event(system.registry, "payment.received", {"workers": [{"worker_id": worker["id"]}]})
    handled = system.relay("registry") + system.relay("registry")
    assert handled == 2  # one per relay pass: a later event of a worker waits for the earlier one
    copy = system.sql("funding", "SELECT declared_income_idr, status, registry_version FROM funded_workers")
    assert [tuple(r) for r in copy] == [(3_000_000, "active", 3)]
    counts = system.sql(
        "outreach", "SELECT registered, active FROM village_worker_counts WHERE village_code = :v", v=VILLAGE
    )
    assert [tuple(r) for r in counts] == [(0, 1)]
    progress = system.outreach.get(
        "/v1/outreach-progress", params={"area": VILLAGE, "year": YEAR}, headers=REPORTS
    )
    assert progress.status_code == 200, progress.text
    assert (progress.json()["registered"], progress.json()["covered"]) == (1, 1)


def test_a_receiver_that_is_down_gets_the_event_later_exactly_once(system: Any) -> None:
    register(system)
    assert system.relay("registry", down=frozenset({"outreach"})) == 1
    [row] = outbox(system, "registry")
    assert row[3] is None and row[4] == 1 and row[5] == "funding,webhooks"  # outreach has not got it
    # Backoff: not due yet at once? max_backoff in the test is 10 ms, so wait for it.
    import time

    time.sleep(0.05)
    assert system.relay("registry") == 1
    [row] = outbox(system, "registry")
    assert row[3] is not None and row[5] == "funding,outreach,webhooks"
    counts = system.sql(
        "outreach", "SELECT registered FROM village_worker_counts WHERE village_code = :v", v=VILLAGE
    )
    assert [r[0] for r in counts] == [1]
    assert system.sql("funding", "SELECT COUNT(*) FROM inbox")[0][0] == 1


def test_an_older_event_never_undoes_a_newer_one(system: Any) -> None:
    worker = register(system)
    snapshot = {
        "id": worker["id"], "village_code": VILLAGE, "occupation": "petani", "declared_income_idr": 5_000_000,
        "programs": ["JKK", "JKM"], "funding": "village_fund", "status": "active", "version": 5,
    }  # fmt: skip
    for client in (system.funding, system.outreach):
        post_event(client, "worker.updated", {"worker": snapshot}, source="registry", aggregate_type="worker")
        stale = {**snapshot, "declared_income_idr": 1_000_000, "status": "registered", "version": 2}
        post_event(client, "worker.updated", {"worker": stale}, source="registry", aggregate_type="worker")
    copy = system.sql("funding", "SELECT declared_income_idr, status, registry_version FROM funded_workers")
    assert [tuple(r) for r in copy] == [(5_000_000, "active", 5)]
    counts = system.sql(
        "outreach", "SELECT registered, active FROM village_worker_counts WHERE village_code = :v", v=VILLAGE
    )
    assert [tuple(r) for r in counts] == [(0, 1)]


def test_a_later_event_of_an_aggregate_waits_for_the_earlier(system: Any) -> None:
    worker = register(system)
    system.registry.post(
        f"/v1/workers/{worker['id']}/deactivate",
        json={"reason": "moved", "effective_date": dt.date.today().isoformat()},
        headers=village_headers(VILLAGE),
    )
    other = register(system, serial=2)
    source = Source("registry", system.urls["registry"])
    try:
        with source.engine.begin() as connection:
            claimed = source.claim(connection, 100)
    finally:
        source.dispose()
    # The deactivation of the first worker is not offered before its registration went out.
    assert [(e.envelope.type, e.envelope.aggregate_id) for e in claimed] == [
        ("worker.registered", worker["id"]),
        ("worker.registered", other["id"]),
    ]


def test_an_import_publishes_one_event_per_registered_worker(system: Any) -> None:
    from tests.registry_support import IMPORT_HEADER

    lines = [IMPORT_HEADER] + [
        f"{nik_for(100 + i)},,Pekerja {i},,,,{VILLAGE},petani,1000000,JKK;JKM," for i in range(5)
    ]
    response = system.registry.post(
        "/v1/worker-imports",
        files={"file": ("rows.csv", "\n".join(lines).encode(), "text/csv")},
        headers={**village_headers(VILLAGE), "Idempotency-Key": "import-events-0001"},
    )
    assert response.status_code == 202, response.text
    assert outbox(system, "registry") == []  # nothing registered yet: the import is a queued job
    run_jobs(system.registry, "registry")
    rows = outbox(system, "registry")
    # One event per worker, then the import's own (for partners' webhooks) with its counts.
    assert [r[0] for r in rows] == ["worker.registered"] * 5 + ["import.completed"]
    assert json.loads(rows[-1][2])["accepted"] == 5
    snapshots = [json.loads(r[2])["worker"] for r in rows[:5]]
    assert all(s["programs"] == ["JKK", "JKM"] and s["temporary"] is False for s in snapshots)
    assert system.relay("registry") == 6
    counts = system.sql(
        "outreach", "SELECT registered FROM village_worker_counts WHERE village_code = :v", v=VILLAGE
    )
    assert [r[0] for r in counts] == [5]
    assert system.sql("funding", "SELECT COUNT(*) FROM funded_workers")[0][0] == 5


@pytest.mark.postgres
def test_two_relays_on_postgresql_never_take_the_same_event(system: Any, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite runs one relay per file")
    for serial in range(1, 7):
        register(system, serial=serial)
    first, second = Source("registry", system.urls["registry"]), Source("registry", system.urls["registry"])
    try:
        with first.engine.begin() as one, second.engine.begin() as two:
            a = {e.seq for e in first.claim(one, 3)}
            b = {e.seq for e in second.claim(two, 100)}
        assert len(a) == 3 and len(b) == 3 and not a & b
    finally:
        first.dispose()
        second.dispose()


def test_readiness_reports_outbox_lag(system: Any) -> None:
    register(system)
    ready = system.registry.get("/readyz").json()
    assert ready["checks"]["outbox"]["pending"] == 1
    assert ready["checks"]["outbox"]["oldest_pending_age_seconds"] >= 0
    system.relay("registry")
    assert system.registry.get("/readyz").json()["checks"]["outbox"]["pending"] == 0


def count_rows(system: Any, component: str, table: str) -> int:
    return int(system.sql(component, f"SELECT COUNT(*) FROM {table}")[0][0])


_ = (func, select, EventType)


def test_lead_converted_fills_in_the_officer_and_session_once(system: Any) -> None:
    worker = register(system)  # registered by the village itself: no officer recorded
    data = {"lead_id": "17", "worker_id": worker["id"], "officer_id": "5", "session_id": "9"}
    post_event(system.registry, "lead.converted", data, source="outreach", aggregate_type="lead")
    read = system.registry.get(f"/v1/workers/{worker['id']}", headers=REGISTRY_WRITER).json()
    assert (read["officer_id"], read["outreach_session_id"], read["lead_id"]) == ("5", "9", "17")
    # What registration recorded is kept: a second conversion naming another officer changes nothing.
    other = {**data, "officer_id": "6", "lead_id": "18"}
    post_event(system.registry, "lead.converted", other, source="outreach", aggregate_type="lead")
    read = system.registry.get(f"/v1/workers/{worker['id']}", headers=REGISTRY_WRITER).json()
    assert (read["officer_id"], read["lead_id"]) == ("5", "17")


def test_an_event_the_receiver_cannot_read_is_rejected_not_retried(system: Any) -> None:
    # A payment naming no worker id: the handler cannot apply it, ever; the relay must not retry it.
    _, result = post_event(system.registry, "payment.received", {"workers": [{"not_a_worker_id": 1}]})
    assert result["status"] == "rejected" and "KeyError" in result["error"]
    rows = system.sql("registry", "SELECT status FROM inbox")
    assert [r[0] for r in rows] == ["rejected"]
