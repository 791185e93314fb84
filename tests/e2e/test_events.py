"""Issue 10's "done when", through the gateway with every process running (relay included), over the
embedded transport and over NATS JetStream: a paid invoice makes its workers covered within seconds, also
when the registry was down while the village paid."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.system import COMPONENT_APPS, RunningSystem
from tests.e2e.test_flows import bearer, client_token, eventually, register_worker, village_key
from tests.support import DatabaseFactory

pytestmark = pytest.mark.e2e

NATS_URL = os.environ.get("SASAR_TEST_NATS_URL", "nats://127.0.0.1:4222")


def nats_reachable() -> bool:
    host, _, port = NATS_URL.removeprefix("nats://").partition(":")
    try:
        with socket.create_connection((host, int(port or 4222)), timeout=1):
            return True
    except OSError:
        return False


async def _delete_stream(name: str) -> None:
    import nats

    connection = await nats.connect(NATS_URL)
    try:
        await connection.jetstream().delete_stream(name)
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def nats_system(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory, postgres_url: str | None
) -> Iterator[RunningSystem]:
    """The whole system with SASAR_EVENT_BROKER set: its own stream, so runs never share events."""
    if not nats_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"NATS is required in CI but not reachable at {NATS_URL}")
        pytest.skip("NATS not reachable")
    backend = "postgres" if postgres_url else "sqlite"
    tag = uuid.uuid4().hex[:10]
    stream = f"SASAR_TEST_{tag.upper()}"
    urls = {component: databases.url(component, backend, fresh=True) for component in COMPONENT_APPS}
    running = RunningSystem(
        database_urls=urls,
        log_dir=tmp_path_factory.mktemp("e2e-nats"),
        extra_env={
            "SASAR_EVENT_BROKER": NATS_URL,
            "SASAR_RELAY_NATS_STREAM": stream,
            "SASAR_RELAY_NATS_SUBJECT_PREFIX": f"sasar.test{tag}",
        },
    )
    running.start_all()
    try:
        yield running
    finally:
        running.stop_all()
        asyncio.run(_delete_stream(stream))


def bill(system: RunningSystem, admin: str, period: str) -> dict[str, Any]:
    """Start a billing run and wait for it (202 + job when the run is a durable job)."""
    response = httpx.post(
        system.gateway + "/v1/billing-runs", json={"period": period}, headers=bearer(admin), timeout=120
    )
    assert response.status_code in (200, 201, 202), response.text
    body: dict[str, Any] = response.json()
    if response.status_code != 202:
        return body
    location = response.headers.get("Location") or f"/v1/jobs/{body['id']}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = httpx.get(system.gateway + location, headers=bearer(admin), timeout=10).json()
        if job["status"] in ("succeeded", "failed"):
            assert job["status"] == "succeeded", job
            result: dict[str, Any] = job["result"]
            return result
        time.sleep(0.2)
    raise AssertionError("billing job did not finish")


def funded_village(
    system: RunningSystem, village: str, niks: list[str]
) -> tuple[str, list[str], dict[str, Any]]:
    """A village with workers on an active agreement and its December invoice: (key, worker ids, invoice)."""
    key = village_key(system, village)
    workers = [register_worker(system, key, village, nik)["id"] for nik in niks]
    gateway = system.gateway
    agreement = httpx.post(
        f"{gateway}/v1/funding-agreements",
        json={
            "village_code": village,
            "fiscal_year": 2026,
            "source": "dana_desa",
            "legal_reference": f"Perkades {village} No. 3 Tahun 2026",
            "budget_ceiling_idr": 10_000_000,
            "start_period": "2026-12",
            "end_period": "2026-12",
            "programs": ["JKK", "JKM"],
        },
        headers=bearer(key),
        timeout=10,
    )
    assert agreement.status_code == 201, agreement.text
    agreement_id = agreement.json()["id"]
    members = httpx.post(
        f"{gateway}/v1/funding-agreements/{agreement_id}/members",
        json={"worker_ids": workers},
        headers=bearer(key),
        timeout=30,
    )
    assert members.status_code == 200, members.text
    assert [r["status"] for r in members.json()["results"]] == ["added"] * len(workers), members.text
    activated = httpx.post(f"{gateway}/v1/funding-agreements/{agreement_id}/activate", headers=bearer(key))
    assert activated.status_code == 200, activated.text
    admin = client_token(system, f"billing {village}", "funding:admin")
    bill(system, admin, "2026-12")
    invoices = httpx.get(f"{gateway}/v1/invoices?period=2026-12", headers=bearer(key), timeout=10).json()
    [invoice] = invoices["items"]
    return key, workers, invoice


def pay(system: RunningSystem, key: str, invoice: dict[str, Any]) -> None:
    payment = {
        "invoice_id": invoice["id"],
        "amount_idr": invoice["total_idr"],
        "paid_on": "2026-12-05",
        "method": "bank_transfer",
        "reference": f"SP2D/{uuid.uuid4().hex[:8]}/2026",
    }
    headers = {**bearer(key), "Idempotency-Key": str(uuid.uuid4())}
    paid = httpx.post(system.gateway + "/v1/payments", json=payment, headers=headers, timeout=10)
    assert paid.status_code == 201, paid.text


def statuses(system: RunningSystem, token: str, workers: list[str]) -> list[str]:
    return [
        httpx.get(f"{system.gateway}/v1/workers/{w}", headers=bearer(token), timeout=10).json()["status"]
        for w in workers
    ]


def status_history(system: RunningSystem, key: str, worker_id: str) -> list[tuple[str, str]]:
    response = httpx.get(f"{system.gateway}/v1/workers/{worker_id}/history", headers=bearer(key), timeout=10)
    assert response.status_code == 200, response.text
    return [(h["before"], h["after"]) for h in response.json()["items"] if h["field"] == "status"]


def test_a_paid_invoice_makes_its_workers_active_within_5_seconds(system: RunningSystem) -> None:
    paid_invoice_activates_workers(system)


def test_over_nats_a_paid_invoice_makes_its_workers_active_within_5_seconds(
    nats_system: RunningSystem,
) -> None:
    paid_invoice_activates_workers(nats_system)


@pytest.fixture(scope="module")
def restart_system(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory, postgres_url: str | None
) -> Iterator[RunningSystem]:
    """A system of its own for the test that stops and restarts the registry: the shared system's gateway
    must not meet connections to a process that is gone."""
    backend = "postgres" if postgres_url else "sqlite"
    urls = {component: databases.url(component, backend, fresh=True) for component in COMPONENT_APPS}
    running = RunningSystem(database_urls=urls, log_dir=tmp_path_factory.mktemp("e2e-restart"))
    running.start_all()
    try:
        yield running
    finally:
        running.stop_all()


def test_a_payment_made_while_the_registry_is_down_arrives_once_it_is_back(
    restart_system: RunningSystem,
) -> None:
    payment_survives_registry_restart(restart_system)


def test_over_nats_a_payment_made_while_the_registry_is_down_arrives_once_it_is_back(
    nats_system: RunningSystem,
) -> None:
    payment_survives_registry_restart(nats_system)


def paid_invoice_activates_workers(system: RunningSystem) -> None:
    niks = [f"33261502028{n}0001" for n in range(3)]
    village = system.fresh_village()
    key, workers, invoice = funded_village(system, village, niks)
    # Polling reads use an internal reader: the village key's own limit (60/min here) is not for polling.
    reader = client_token(system, "coverage reader", "registry:read", "reports:read")
    assert statuses(system, reader, workers) == ["registered"] * 3
    started = time.monotonic()
    pay(system, key, invoice)
    assert eventually(lambda: statuses(system, reader, workers), ["active"] * 3, timeout=5.0)
    elapsed = time.monotonic() - started
    assert elapsed < 5.0
    for worker in workers:
        assert status_history(system, key, worker) == [("registered", "active")]
    # Outreach's covered count follows the registry's coverage.activated events.

    def covered() -> tuple[int, int]:
        body = httpx.get(
            f"{system.gateway}/v1/outreach-progress?area={village}&year=2026", headers=bearer(reader)
        ).json()
        return body["registered"], body["covered"]

    assert eventually(covered, (3, 3))


def payment_survives_registry_restart(system: RunningSystem) -> None:
    niks = [f"33261503038{n}0001" for n in range(2)]
    key, workers, invoice = funded_village(system, system.fresh_village(), niks)
    reader = client_token(system, "restart reader", "registry:read")
    system.stop("registry")
    try:
        pay(system, key, invoice)  # funding records it; the event waits in funding's outbox
        time.sleep(1.0)  # the relay tries, fails and backs off meanwhile
    finally:
        system.start("registry")
    assert eventually(lambda: statuses(system, reader, workers), ["active"] * 2, timeout=15.0)
    time.sleep(1.0)  # any duplicate delivery would have landed by now
    for worker in workers:
        assert status_history(system, key, worker) == [("registered", "active")]


def test_a_relay_killed_mid_delivery_loses_nothing_and_applies_nothing_twice(system: RunningSystem) -> None:
    """SIGKILL the relay while a 1,500-worker import's events are being delivered; a new relay finishes:
    outreach counts every worker exactly once."""
    import signal

    from tests.registry_support import IMPORT_HEADER, nik_for

    village, total = system.fresh_village(), 1500
    key = village_key(system, village)
    lines = [IMPORT_HEADER] + [
        f"{nik_for(n, day=15, month=6, yy=77)},,Pekerja {n},,,,{village},petani,1000000,JKK;JKM,"
        for n in range(1, total + 1)
    ]
    # Hold the relay back while the import commits, so the kill lands in the middle of the backlog.
    system.stop("relay")
    response = httpx.post(
        f"{system.gateway}/v1/worker-imports",
        files={"file": ("rows.csv", "\n".join(lines).encode(), "text/csv")},
        headers={**bearer(key), "Idempotency-Key": str(uuid.uuid4())},
        timeout=120,
    )
    assert response.status_code == 202, response.text
    location = f"{system.gateway}/v1/worker-imports/{response.json()['id']}"
    assert eventually(
        lambda: httpx.get(location, headers=bearer(key), timeout=10).json()["status"],
        "completed",
        timeout=120,
    )

    def pending() -> int:
        ready = httpx.get(system.url("registry") + "/readyz", timeout=10).json()
        return int(ready["checks"]["outbox"]["pending"])

    assert pending() >= total
    system.start_relay()
    deadline = time.monotonic() + 60
    while pending() > total * 0.7 and time.monotonic() < deadline:
        time.sleep(0.02)
    system.processes["relay"].send_signal(signal.SIGKILL)
    system.processes["relay"].wait(timeout=10)
    left = pending()
    assert 0 < left < total, f"the kill should land mid-backlog ({left} of {total} pending)"
    system.start_relay()
    assert eventually(pending, 0, timeout=90)
    reader = client_token(system, "relay kill reader", "reports:read")

    def registered() -> int:
        body = httpx.get(
            f"{system.gateway}/v1/outreach-progress?area={village}&year=2026",
            headers=bearer(reader),
            timeout=10,
        ).json()
        return int(body["registered"])

    assert eventually(registered, total, timeout=30)
    time.sleep(1.0)
    assert registered() == total  # and it stays there: nothing was applied twice


def test_a_worker_who_died_on_the_10th_is_billed_for_that_month_and_not_the_next(
    system: RunningSystem,
) -> None:
    village = system.fresh_village()
    key = village_key(system, village)
    gone, stays = (
        register_worker(system, key, village, nik)["id"] for nik in ("3326151010800001", "3326151010800002")
    )
    gateway = system.gateway
    created = httpx.post(
        f"{gateway}/v1/funding-agreements",
        json={
            "village_code": village,
            "fiscal_year": 2026,
            "source": "dana_desa",
            "legal_reference": "Perkades 9/2026",
            "budget_ceiling_idr": 5_000_000,
            "start_period": "2026-11",
            "end_period": "2026-12",
            "programs": ["JKK", "JKM"],
        },
        headers=bearer(key),
        timeout=10,
    ).json()
    agreement = f"{gateway}/v1/funding-agreements/{created['id']}"
    httpx.post(f"{agreement}/members", json={"worker_ids": [gone, stays]}, headers=bearer(key), timeout=30)
    assert httpx.post(f"{agreement}/activate", headers=bearer(key), timeout=10).status_code == 200
    admin = client_token(system, "death billing", "funding:admin", "registry:read")
    bill(system, admin, "2026-11")
    died = httpx.post(
        f"{gateway}/v1/workers/{gone}/deactivate",
        json={"reason": "deceased", "effective_date": "2026-11-10"},
        headers=bearer(key),
        timeout=10,
    )
    assert died.status_code == 200, died.text
    # worker.deactivated reaches funding, which ends the membership on the 10th.
    assert eventually(
        lambda: httpx.get(agreement, headers=bearer(admin), timeout=10).json()["member_count"], 1, timeout=10
    )
    bill(system, admin, "2026-12")

    def billed(period: str) -> tuple[list[str], int]:
        [invoice] = httpx.get(
            f"{gateway}/v1/invoices", params={"period": period}, headers=bearer(key), timeout=10
        ).json()["items"]
        detail = httpx.get(f"{gateway}/v1/invoices/{invoice['id']}", headers=bearer(key), timeout=10).json()
        return sorted({line["worker_id"] for line in detail["lines"]}), detail["credited_idr"]

    assert billed("2026-11") == (sorted([gone, stays]), 0)  # the month of death stays payable
    assert billed("2026-12") == ([stays], 0)  # and the next is not billed
