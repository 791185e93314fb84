"""Faults with real processes on PostgreSQL (issue 14), one system for the module:

- funding frozen (SIGSTOP) past the gateway's timeout: 504 problem, the retried payment lands once;
- funding's job worker killed (SIGKILL) mid-billing: after a restart the run completes once, gapless;
- the registry's job worker killed mid-import: the import resumes, no duplicate and no orphan worker;
- the registry killed while leads are converted: 503 problems, retries register one worker per lead;
- funding's database connections terminated while a village pays: 503 problems or successes, never a
  500, retries land once, every invoice's paid amount equals its payments.

Each test uses villages and NIKs of its own, so their order does not matter.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from services.common.db import create_db_engine
from services.common.wilayah import reference_village_codes
from services.funding.pricing import Period
from services.funding.rates import period_index
from tests.e2e.system import COMPONENT_APPS, RunningSystem
from tests.e2e.test_events import funded_village
from tests.e2e.test_flows import bearer, client_token, village_key
from tests.registry_support import IMPORT_HEADER, nik_for
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


@pytest.fixture(scope="module")
def engines(impatient_system: RunningSystem) -> Iterator[dict[str, Engine]]:
    """Direct connections to the system's databases, to see what the services committed."""
    made = {c: create_db_engine(impatient_system.database_urls[c], pool_size=2) for c in COMPONENT_APPS}
    try:
        yield made
    finally:
        for engine in made.values():
            engine.dispose()


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def job_row(engine: Engine, job_id: str) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM jobs WHERE id = :id"), {"id": job_id}).one()
    return dict(row._mapping)


def kill(system: RunningSystem, name: str) -> None:
    process = system.processes.pop(name)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def wait_job(system: RunningSystem, token: str, job_id: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = httpx.get(
            f"{system.gateway}/v1/jobs/{job_id}", headers=bearer(token), timeout=10
        ).json()
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.5)


# --- killed mid-billing --------------------------------------------------------------------------------

BILLED = Period(2026, 10)  # a month no other test bills: this run's invoices are all the month has
BILLING_VILLAGES = 600  # x 200 workers x 2 programmes = 240,000 lines: seconds of work to land a kill in
BILLING_WORKERS = 200


def seed_agreements(engine: Engine, villages: list[str], workers: int) -> None:
    """Active agreements for October 2026 with their members, set-based (through the API this would take
    longer than the test): the billing run is what is under test, not how agreements are made."""
    index = period_index(BILLED)
    with engine.begin() as connection:
        connection.execute(
            text("""
            INSERT INTO funding_agreements (village_code, fiscal_year, source, legal_reference,
                budget_ceiling_idr, start_idx, end_idx, includes_jht, allow_over_budget, status, version,
                created_at, updated_at)
            SELECT code, 2026, 'dana_desa', 'Perkades fault test', 1000000000, :p, :p, false, false,
                   'active', 1, now(), now()
            FROM unnest(CAST(:codes AS text[])) AS v(code)
            """),
            {"codes": villages, "p": index},
        )
        connection.execute(
            text("""
            INSERT INTO funded_workers (worker_id, village_code, occupation, declared_income_idr, has_jht,
                                        status, registry_version, synced_at)
            SELECT 'fault-' || a.id || '-' || g.i, a.village_code, 'petani', 1000000 + g.i * 1000, false,
                   'active', 1, now()
            FROM funding_agreements a CROSS JOIN generate_series(1, :workers) AS g(i)
            WHERE a.village_code = ANY(CAST(:codes AS text[]))
            """),
            {"codes": villages, "workers": workers},
        )
        connection.execute(
            text("""
            INSERT INTO agreement_members (agreement_id, worker_id, status, added_at, first_period_idx)
            SELECT a.id, 'fault-' || a.id || '-' || g.i, 'active', now(), a.start_idx
            FROM funding_agreements a CROSS JOIN generate_series(1, :workers) AS g(i)
            WHERE a.village_code = ANY(CAST(:codes AS text[]))
            """),
            {"codes": villages, "workers": workers},
        )
        connection.execute(text("ANALYZE"))


def test_a_worker_killed_mid_billing_leaves_a_run_that_completes_once_after_a_restart(
    impatient_system: RunningSystem, engines: dict[str, Engine]
) -> None:
    system, funding = impatient_system, engines["funding"]
    villages = sorted(c for c in reference_village_codes() if c.startswith("35.") and c[9] == "2")
    villages = villages[:BILLING_VILLAGES]
    seed_agreements(funding, villages, BILLING_WORKERS)
    admin = client_token(system, "fault billing", "funding:admin")
    started = httpx.post(
        f"{system.gateway}/v1/billing-runs", json={"period": str(BILLED)}, headers=bearer(admin), timeout=30
    )
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    # The handler commits its progress total, then bills in one transaction: kill inside that one.
    deadline = time.monotonic() + 60
    while (job := job_row(funding, job_id))["progress_total"] is None:
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    time.sleep(0.5)
    kill(system, "worker-funding")
    killed = job_row(funding, job_id)
    assert killed["status"] == "running", f"the kill should land mid-run: {killed}"
    index = period_index(BILLED)
    assert scalar(funding, "SELECT COUNT(*) FROM invoices WHERE period_idx = :p", p=index) == 0

    system.start_worker("funding")  # sweeps the dead owner's job once its heartbeat is stale, reruns it
    job = wait_job(system, admin, job_id)
    assert job["status"] == "succeeded", job
    assert job["result"]["invoices_issued"] == len(villages)
    assert job_row(funding, job_id)["attempts"] == 2
    with funding.connect() as connection:
        per_agreement = connection.execute(
            text("""
            SELECT a.id, COUNT(i.id) FROM funding_agreements a
            LEFT JOIN invoices i ON i.agreement_id = a.id AND i.period_idx = :p
            WHERE a.village_code = ANY(CAST(:codes AS text[])) GROUP BY a.id
            """),
            {"p": index, "codes": villages},
        ).all()
        numbers = connection.execute(
            text("""
            SELECT i.village_code, i.sequence_no, c.last_number FROM invoices i
            JOIN invoice_counters c ON c.village_code = i.village_code AND c.year = i.year
            WHERE i.village_code = ANY(CAST(:codes AS text[])) ORDER BY i.village_code, i.sequence_no
            """),
            {"codes": villages},
        ).all()
        lines = connection.execute(
            text(
                "SELECT COUNT(*) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id "
                "WHERE i.period_idx = :p"
            ),
            {"p": index},
        ).scalar()
        runs = connection.execute(
            text("SELECT COUNT(*) FROM billing_runs WHERE period_idx = :p"), {"p": index}
        ).scalar()
    assert len(per_agreement) == len(villages)
    assert {count for _, count in per_agreement} == {1}  # each agreement billed exactly once
    # Gapless: each fresh village's only invoice is its number 1, and its counter stopped there.
    assert [(n, last) for _, n, last in numbers] == [(1, 1)] * len(villages)
    assert lines == len(villages) * BILLING_WORKERS * 2
    assert runs == 1  # the killed attempt left no run behind


# --- killed mid-import ---------------------------------------------------------------------------------

IMPORT_ROWS = 15_000  # three chunks of 5,000: the kill lands after the first has committed


def test_a_worker_killed_mid_import_resumes_without_duplicate_or_orphan_workers(
    impatient_system: RunningSystem, engines: dict[str, Engine]
) -> None:
    system, registry = impatient_system, engines["registry"]
    village = "33.26.15.2011"
    key = village_key(system, village)
    niks = [nik_for(i % 9999 + 1, day=20, month=9, yy=61 + i // 9999) for i in range(IMPORT_ROWS)]
    assert len(set(niks)) == IMPORT_ROWS
    lines = [IMPORT_HEADER] + [
        f"{nik},,Pekerja Impor {n},,,,{village},petani,1000000,JKK;JKM," for n, nik in enumerate(niks)
    ]
    response = httpx.post(
        f"{system.gateway}/v1/worker-imports",
        files={"file": ("rows.csv", "\n".join(lines).encode(), "text/csv")},
        headers={**bearer(key), "Idempotency-Key": str(uuid.uuid4())},
        timeout=60,
    )
    assert response.status_code == 202, response.text
    import_id, job_id = response.json()["id"], response.json()["job_id"]
    deadline = time.monotonic() + 120
    while (job := job_row(registry, job_id))["progress_done"] < 5_000:
        assert job["status"] in ("queued", "running") and time.monotonic() < deadline, job
        time.sleep(0.02)
    kill(system, "worker-registry")
    record = scalar(registry, "SELECT status FROM worker_imports WHERE id = :id", id=import_id)
    committed = scalar(registry, "SELECT committed_row FROM worker_imports WHERE id = :id", id=import_id)
    assert (record, job_row(registry, job_id)["status"]) == ("processing", "running")
    assert 0 < committed < IMPORT_ROWS + 1, "the kill should land between chunks"

    system.start_worker("registry")
    deadline = time.monotonic() + 180
    while job_row(registry, job_id)["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, job_row(registry, job_id)
        time.sleep(0.5)
    job = job_row(registry, job_id)
    assert (job["status"], job["attempts"]) == ("succeeded", 2), job
    imported = httpx.get(f"{system.gateway}/v1/worker-imports/{import_id}", headers=bearer(key), timeout=10)
    assert imported.status_code == 200, imported.text
    assert (imported.json()["status"], imported.json()["accepted"]) == ("completed", IMPORT_ROWS)
    with registry.connect() as connection:
        workers, distinct_niks = connection.execute(
            text("SELECT COUNT(*), COUNT(DISTINCT nik) FROM workers WHERE village_code = :v"), {"v": village}
        ).one()
        orphans = connection.execute(
            text("""
            SELECT COUNT(*) FROM workers w LEFT JOIN worker_imports i ON i.id = w.import_id
            WHERE w.import_id IS NOT NULL AND (i.id IS NULL OR i.status <> 'completed')
            """)
        ).scalar()
        results = connection.execute(
            text("SELECT COUNT(*) FROM worker_import_rows WHERE import_id = :id AND result = 'accepted'"),
            {"id": import_id},
        ).scalar()
    assert (workers, distinct_niks) == (IMPORT_ROWS, IMPORT_ROWS)
    assert orphans == 0  # every worker came from a finished import or was registered directly
    assert results == IMPORT_ROWS


# --- killed mid-conversion -----------------------------------------------------------------------------

LEADS = 12


def officer_token(system: RunningSystem, village: str) -> str:
    admin = client_token(system, f"fault desk {village}", "outreach:admin")
    nrp = f"{uuid.uuid4().int % 10**8:08d}"
    officer = httpx.post(
        f"{system.gateway}/v1/officers",
        json={"nrp": nrp, "name": "Bripka Sigit", "rank": "Bripka", "unit": "Polsek Wonokerto"},
        headers=bearer(admin),
        timeout=10,
    )
    assert officer.status_code == 201, officer.text
    assigned = httpx.post(
        f"{system.gateway}/v1/officers/{officer.json()['id']}/assignments",
        json={"village_code": village, "valid_from": "2020-01-01"},
        headers=bearer(admin),
        timeout=10,
    )
    assert assigned.status_code == 201, assigned.text
    password = system.cli_json("keys", "set-officer-password", nrp)["password"]
    login = httpx.post(
        f"{system.gateway}/v1/auth/token",
        data={"grant_type": "password", "username": nrp, "password": password},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    token: str = login.json()["access_token"]
    return token


def assert_problem(response: httpx.Response, *statuses: int) -> None:
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.text


def test_the_registry_killed_mid_conversion_leaves_one_worker_per_lead_after_retries(
    impatient_system: RunningSystem, engines: dict[str, Engine]
) -> None:
    system = impatient_system
    village = "33.26.15.2012"
    token = officer_token(system, village)
    consent = "2026-11-01T08:00:00+07:00"
    leads = [
        {
            "client_id": str(uuid.uuid4()),
            "village_code": village,
            "name": f"Calon {n}",
            "nik": nik_for(n + 1, day=21, month=9, yy=63),
            "occupation": "nelayan",
            "consent_given_at": consent,
        }
        for n in range(LEADS)
    ]
    synced = httpx.post(f"{system.gateway}/v1/sync", json={"leads": leads}, headers=bearer(token), timeout=30)
    assert synced.status_code == 200, synced.text
    lead_ids = [item["id"] for item in synced.json()["leads"]]
    assert len(lead_ids) == LEADS
    keys = {lead_id: str(uuid.uuid4()) for lead_id in lead_ids}
    body = {"declared_income_idr": 1_200_000, "programs": ["JKK", "JKM"]}

    def convert(lead_id: int) -> httpx.Response:
        return httpx.post(
            f"{system.gateway}/v1/leads/{lead_id}/convert",
            json=body,
            headers={**bearer(token), "Idempotency-Key": keys[lead_id]},
            timeout=30,
        )

    answers: dict[int, httpx.Response] = {}
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {lead_id: pool.submit(convert, lead_id) for lead_id in lead_ids}
        while sum(f.done() for f in futures.values()) < 2:  # some conversions have gone through
            time.sleep(0.01)
        kill(system, "registry")
        answers = {lead_id: future.result() for lead_id, future in futures.items()}
    try:
        first = {lead_id: r for lead_id, r in answers.items() if r.status_code in (200, 201)}
        for response in answers.values():
            if response.status_code not in (200, 201):
                assert_problem(response, 503, 504)
        assert len(first) < LEADS, "the kill should leave conversions undone"
    finally:
        system.start("registry")
    retried = {lead_id: convert(lead_id) for lead_id in lead_ids}
    for lead_id, response in retried.items():
        assert response.status_code in (200, 201), response.text
        if lead_id in first:  # an answered conversion is answered the same again
            assert response.json()["worker_id"] == first[lead_id].json()["worker_id"]
    worker_ids = {lead_id: r.json()["worker_id"] for lead_id, r in retried.items()}
    assert len(set(worker_ids.values())) == LEADS
    with engines["registry"].connect() as connection:
        registered = connection.execute(
            text("SELECT lead_id, id FROM workers WHERE village_code = :v"), {"v": village}
        ).all()
    assert sorted((int(lead), worker) for lead, worker in registered) == sorted(worker_ids.items())
    with engines["outreach"].connect() as connection:
        converted = connection.execute(
            text("SELECT id, status, worker_id FROM leads WHERE village_code = :v"), {"v": village}
        ).all()
    assert sorted(converted) == sorted((i, "converted", w) for i, w in worker_ids.items())


# --- database connections terminated -------------------------------------------------------------------

INSTALMENTS = 10


def test_terminated_database_connections_give_503s_and_retries_pay_exactly_once(
    impatient_system: RunningSystem, engines: dict[str, Engine]
) -> None:
    system, funding = impatient_system, engines["funding"]
    niks = [nik_for(n, day=22, month=9, yy=64) for n in (1, 2)]
    key, _, invoice = funded_village(system, "33.26.15.2013", niks)
    total = invoice["total_idr"]
    share = total // INSTALMENTS
    payments = [
        {
            "invoice_id": invoice["id"],
            "amount_idr": share if n < INSTALMENTS - 1 else total - share * (INSTALMENTS - 1),
            "paid_on": "2026-12-05",
            "method": "bank_transfer",
            "reference": f"SP2D/{uuid.uuid4().hex[:8]}/2026",
        }
        for n in range(INSTALMENTS)
    ]
    keys = [str(uuid.uuid4()) for _ in payments]
    database = scalar(funding, "SELECT current_database()")
    stop = threading.Event()
    terminated = 0

    def terminate() -> None:
        nonlocal terminated
        while not stop.wait(0.02):
            terminated += int(
                scalar(
                    funding,
                    "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :d AND pid <> pg_backend_pid()",
                    d=database,
                )
                or 0
            )

    def pay(n: int) -> httpx.Response:
        return httpx.post(
            f"{system.gateway}/v1/payments",
            json=payments[n],
            headers={**bearer(key), "Idempotency-Key": keys[n]},
            timeout=30,
        )

    terminator = threading.Thread(target=terminate, daemon=True)
    terminator.start()
    try:
        answers = [pay(n) for n in range(INSTALMENTS)]
    finally:
        stop.set()
        terminator.join(timeout=10)
    assert terminated > 0
    # Terminating every 20 ms, payments meet a dead connection (on this machine: every one of them).
    assert any(r.status_code == 503 for r in answers), [r.status_code for r in answers]
    for response in answers:
        if response.status_code != 201:
            assert_problem(response, 503, 504)
    retried = [pay(n) for n in range(INSTALMENTS)]
    assert [r.status_code for r in retried] == [201] * INSTALMENTS, [r.text for r in retried]
    for first, again in zip(answers, retried, strict=True):
        if first.status_code == 201:
            assert again.json()["id"] == first.json()["id"]
    assert len({r.json()["id"] for r in retried}) == INSTALMENTS
    detail = httpx.get(f"{system.gateway}/v1/invoices/{invoice['id']}", headers=bearer(key), timeout=10)
    assert (detail.json()["status"], detail.json()["paid_idr"]) == ("paid", total), detail.text
    with funding.connect() as connection:
        recorded = connection.execute(
            text("SELECT COUNT(*), COALESCE(SUM(amount_idr), 0) FROM payments WHERE invoice_id = :i"),
            {"i": invoice["id"]},
        ).one()
        mismatched = connection.execute(
            text("""
            SELECT COUNT(*) FROM invoices i
            LEFT JOIN (SELECT invoice_id, SUM(amount_idr) AS paid FROM payment_allocations
                       GROUP BY invoice_id) a ON a.invoice_id = i.id
            WHERE i.paid_idr <> COALESCE(a.paid, 0)
            """)
        ).scalar()
        unallocated = connection.execute(
            text("""
            SELECT COUNT(*) FROM payments p
            LEFT JOIN (SELECT payment_id, SUM(amount_idr) AS allocated FROM payment_allocations
                       GROUP BY payment_id) a ON a.payment_id = p.id
            WHERE p.amount_idr <> COALESCE(a.allocated, 0)
            """)
        ).scalar()
    assert tuple(recorded) == (INSTALMENTS, total)  # nothing doubled, nothing lost
    assert (mismatched, unallocated) == (0, 0)  # every invoice's paid amount is its payments
