"""The registry's ``import.completed``: written once, when an import has processed its last row, with
its final counts (and the worker events it carries validate against the published models)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from services.common.db import create_db_engine
from services.common.partner_events import ImportCompletedData, WorkerRegisteredData
from tests.conftest import ClientFactory
from tests.registry_support import VILLAGE, roster_csv, roster_row
from tests.support import run_jobs, village_headers


def outbox(url: str, event_type: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT aggregate_id, village_code, data FROM outbox WHERE type = :t ORDER BY seq"),
                {"t": event_type},
            ).all()
    finally:
        engine.dispose()
    return [(str(r[0]), r[1], json.loads(r[2])) for r in rows]


def test_an_import_publishes_import_completed_with_its_counts(service_client: ClientFactory) -> None:
    client = service_client("registry")
    url = client.app.state.settings.database_url  # type: ignore[attr-defined]
    rows = [roster_row(0), roster_row(1), roster_row(1), {**roster_row(2), "nik": "123"}]
    accepted = client.post(
        "/v1/worker-imports", files={"file": ("r.csv", roster_csv(rows))}, headers=village_headers(VILLAGE)
    )
    assert accepted.status_code == 202, accepted.text
    assert outbox(url, "import.completed") == []  # not before it ran
    assert run_jobs(client, "registry") == 1
    [(aggregate, village, data)] = outbox(url, "import.completed")
    assert (aggregate, village) == (accepted.json()["id"], VILLAGE)
    completed = ImportCompletedData.model_validate(data)
    counts = client.get(f"/v1/worker-imports/{aggregate}", headers=village_headers(VILLAGE)).json()
    assert (completed.total, completed.accepted, completed.rejected) == (
        counts["total"],
        counts["accepted"],
        counts["rejected"],
    )
    assert completed.accepted >= 1 and completed.rejected >= 1
    registered = outbox(url, "worker.registered")
    assert len(registered) == completed.accepted
    assert all(
        WorkerRegisteredData.model_validate(d).worker.village_code == VILLAGE for _, _, d in registered
    )
