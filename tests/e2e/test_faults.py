"""Faults with real processes (issue 14): a service frozen past the gateway's timeout. The caller gets a
504 problem, and a retry with the same Idempotency-Key completes the payment exactly once."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.system import COMPONENT_APPS, RunningSystem
from tests.e2e.test_events import funded_village
from tests.e2e.test_flows import bearer, client_token
from tests.support import DatabaseFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def impatient_system(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory, postgres_url: str | None
) -> Iterator[RunningSystem]:
    """The whole system on PostgreSQL with a 2 s gateway read timeout."""
    if postgres_url is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is required in CI")
        pytest.skip("fault tests run on PostgreSQL")
    urls = {component: databases.url(component, "postgres", fresh=True) for component in COMPONENT_APPS}
    running = RunningSystem(
        database_urls=urls,
        log_dir=tmp_path_factory.mktemp("e2e-faults"),
        extra_env={"SASAR_GATEWAY_READ_TIMEOUT_SECONDS": "2"},
    )
    running.start_all()
    try:
        yield running
    finally:
        for process in running.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
        running.stop_all()


def test_a_frozen_service_answers_504_and_the_retried_payment_lands_once(
    impatient_system: RunningSystem,
) -> None:
    system = impatient_system
    niks = ["3326150909800001", "3326150909800002"]
    key, _, invoice = funded_village(system, "33.26.15.2008", niks)
    payment = {
        "invoice_id": invoice["id"],
        "amount_idr": invoice["total_idr"],
        "paid_on": "2026-12-05",
        "method": "bank_transfer",
        "reference": f"SP2D/{uuid.uuid4().hex[:8]}/2026",
    }
    headers = {**bearer(key), "Idempotency-Key": str(uuid.uuid4())}
    funding = system.processes["funding"]
    funding.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        answer = httpx.post(f"{system.gateway}/v1/payments", json=payment, headers=headers, timeout=30)
        waited = time.monotonic() - started
        assert answer.status_code == 504, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert waited < 6, f"the gateway gave up after {waited:.1f} s, not its 2 s timeout"
        reads = httpx.get(f"{system.gateway}/v1/invoices", headers=bearer(key), timeout=30)
        assert reads.status_code == 504
    finally:
        funding.send_signal(signal.SIGCONT)
    # The frozen process may still finish the first attempt; the retry replays it or records it, once.
    retried = httpx.post(f"{system.gateway}/v1/payments", json=payment, headers=headers, timeout=30)
    assert retried.status_code == 201, retried.text
    again = httpx.post(f"{system.gateway}/v1/payments", json=payment, headers=headers, timeout=30)
    assert again.json()["id"] == retried.json()["id"]
    admin = client_token(system, "fault audit", "funding:admin")
    listed = httpx.get(
        f"{system.gateway}/v1/payments",
        params={"invoice_id": invoice["id"]},
        headers=bearer(admin),
        timeout=10,
    ).json()["items"]
    assert [p["amount_idr"] for p in listed] == [invoice["total_idr"]]
    detail = httpx.get(
        f"{system.gateway}/v1/invoices/{invoice['id']}", headers=bearer(admin), timeout=10
    ).json()
    assert (detail["status"], detail["paid_idr"]) == ("paid", invoice["total_idr"])
