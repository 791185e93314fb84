"""Imports as durable jobs: the job resource, its tenancy, and a worker killed mid-import (real processes)."""

from __future__ import annotations

import datetime as dt
import os
import signal
from collections.abc import Callable

from sqlalchemy import func, select, update

from services.common import jobs
from services.common.db import Database
from services.common.timeutil import utcnow
from services.common.worker import sweep
from services.registry import jobs as registry_jobs
from services.registry.models import Worker, WorkerImport, WorkerImportRow, jobs_table
from tests.conftest import ClientFactory
from tests.registry_support import OTHER_VILLAGE, VILLAGE, roster_csv, roster_row
from tests.support import (
    internal_headers,
    officer_headers,
    run_jobs,
    start_worker,
    village_headers,
    wait_for,
)

VIL = village_headers(VILLAGE)


def test_job_resource_and_its_tenancy(service_client: ClientFactory) -> None:
    client = service_client("registry")
    response = client.post(
        "/v1/worker-imports", files={"file": ("r.csv", roster_csv([roster_row(0)]))}, headers=VIL
    )
    assert response.status_code == 202
    location = response.headers["Location"]
    queued = client.get(location, headers=VIL).json()
    assert queued["status"] == "queued" and queued["attempts"] == 0 and queued["progress"]["done"] == 0
    assert queued["id"].startswith("reg_") and queued["result"] is None
    assert run_jobs(client, "registry") == 1
    job = client.get(location, headers=VIL).json()
    assert job["status"] == "succeeded" and job["attempts"] == 1
    assert job["result"]["accepted"] == 1 and job["result"]["import_id"] == response.json()["id"]
    # Another village's key and an officer elsewhere see nothing; internal readers do; no scope: 403.
    assert client.get(location, headers=village_headers(OTHER_VILLAGE, subject="k2")).status_code == 404
    assert client.get(location, headers=officer_headers("9", [OTHER_VILLAGE])).status_code == 404
    assert client.get(location, headers=internal_headers(["registry:read"])).status_code == 200
    assert client.get(location, headers=internal_headers(["funding:admin"])).status_code == 403
    assert client.get("/v1/jobs/reg_00000000-0000-0000-0000-000000000000", headers=VIL).status_code == 404
    assert client.get("/v1/jobs/not-a-job", headers=VIL).status_code == 422


def _state(database: Database, import_id: str) -> tuple[int, int, int]:
    """(resume point, row results, workers) of the import, as committed."""
    with database.sessions() as session:
        committed = session.scalar(select(WorkerImport.committed_row).where(WorkerImport.id == import_id))
        results = session.scalar(select(func.count()).where(WorkerImportRow.import_id == import_id))
        workers = session.scalar(
            select(func.count()).select_from(Worker).where(Worker.import_id == import_id)
        )
    return int(committed or 0), int(results or 0), int(workers or 0)


def test_a_worker_killed_mid_import_is_recovered_exactly_once(
    service_client: ClientFactory, database_url: Callable[[str], str]
) -> None:
    client = service_client("registry")
    url = database_url("registry")
    total = 80_000  # sixteen chunks: a kill after the first lands mid-way even on a busy machine
    content = roster_csv([roster_row(i) for i in range(total)])
    accepted = client.post("/v1/worker-imports", files={"file": ("r.csv", content)}, headers=VIL).json()
    import_id, location = accepted["id"], f"/v1/jobs/{accepted['job_id']}"
    database = Database(url)
    first = start_worker("registry", url, stale_after=1.5)
    # The lowest priority, so this test's polling is not starved on a loaded machine while the worker races
    # through the chunks (it once finished the whole file before the kill could land).
    os.setpriority(os.PRIO_PROCESS, first.pid, 19)
    try:
        wait_for(lambda: _state(database, import_id)[0] > 0, 120, "the first committed chunk")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        committed, results, workers = _state(database, import_id)
        # Killed mid-way: some chunks committed, each with every row's result, the rest not started.
        assert 0 < committed < total + 1, committed
        assert results == committed - 1 and workers == results  # rows 2..committed, all accepted
        stuck = client.get(location, headers=VIL).json()
        assert stuck["status"] == "running" and stuck["attempts"] == 1
        assert client.get(f"/v1/worker-imports/{import_id}", headers=VIL).json()["status"] == "processing"

        second = start_worker("registry", url, stale_after=1.5)
        try:
            job = wait_for(
                lambda: (
                    (j := client.get(location, headers=VIL).json())["status"] in ("succeeded", "failed") and j
                ),
                180,
                "the sweeper and the second worker",
            )
        finally:
            second.terminate()
            second.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        database.dispose()
    assert job["status"] == "succeeded" and job["attempts"] == 2, job
    assert job["progress"] == {"done": total, "total": total}
    record = client.get(f"/v1/worker-imports/{import_id}", headers=VIL).json()
    assert record["status"] == "completed"
    assert (record["total"], record["accepted"], record["duplicate_existing"]) == (total, total, 0)
    # Exactly once: one worker and one result per row, none written twice by the resumed run.
    database = Database(url)
    try:
        assert _state(database, import_id)[1:] == (total, total)
    finally:
        database.dispose()


def test_an_import_whose_job_gives_up_is_failed_not_left_processing(
    service_client: ClientFactory, database_url: Callable[[str], str]
) -> None:
    client = service_client("registry")
    response = client.post(
        "/v1/worker-imports", files={"file": ("r.csv", roster_csv([roster_row(0)]))}, headers=VIL
    )
    job_id, import_id = response.json()["job_id"], response.json()["id"]
    database = Database(database_url("registry"))
    try:
        # A worker took it on its last attempt and died without a word.
        assert jobs.claim(database.engine, jobs_table, owner="dead", kinds=[registry_jobs.IMPORT]) is not None
        with database.sessions() as session, session.begin():
            session.execute(
                update(jobs_table)
                .where(jobs_table.c.id == job_id)
                .values(attempts=3, heartbeat_at=utcnow() - dt.timedelta(minutes=1))
            )
        assert sweep(database, registry_jobs.SERVICE, stale_after=dt.timedelta(seconds=30)) == (0, 1)
    finally:
        database.dispose()
    job = client.get(f"/v1/jobs/{job_id}", headers=VIL).json()
    assert job["status"] == "failed" and job["error"]["title"] == "Worker lost"
    record = client.get(f"/v1/worker-imports/{import_id}", headers=VIL).json()
    assert record["status"] == "failed" and "no rows were registered" in record["error"]
