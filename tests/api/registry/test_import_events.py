"""An import's ``worker.registered`` events: built in SQL from the staged rows, they must carry exactly the
snapshot a single registration carries, one per worker actually inserted, in file order."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.common.db import create_db_engine
from services.registry.events import worker_snapshot
from services.registry.models import Worker
from tests.conftest import ClientFactory
from tests.registry_support import VILLAGE, roster_row, worker_body
from tests.support import finished_job, village_headers

VIL = village_headers(VILLAGE)
COLUMNS = (
    "nik",
    "temporary",
    "name",
    "birth_date",
    "sex",
    "village_code",
    "occupation",
    "declared_income_idr",
    "programs",
    "funding",
    "officer_id",
)


def _csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _import(client: Any, content: bytes) -> dict[str, Any]:
    response = client.post("/v1/worker-imports", files={"file": ("r.csv", content)}, headers=VIL)
    assert response.status_code == 202, response.text
    finished_job(client, response, VIL, "registry")
    result: dict[str, Any] = client.get(f"/v1/worker-imports/{response.json()['id']}", headers=VIL).json()
    return result


def _registered_events_and_workers(url: str) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Worker]]:
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            events = session.execute(
                text("SELECT aggregate_id, data FROM outbox WHERE type = 'worker.registered' ORDER BY seq")
            ).all()
            workers = {w.id: w for w in session.execute(select(Worker)).scalars()}
            session.expunge_all()
    finally:
        engine.dispose()
    return [(str(a), json.loads(d)) for a, d in events], workers


def test_imported_workers_carry_the_same_snapshot_as_a_registration(service_client: ClientFactory) -> None:
    client = service_client("registry")
    url = client.app.state.settings.database_url  # type: ignore[attr-defined]
    rows = [
        {**roster_row(0), "programs": "JKK;JKM;JHT", "funding": "self_pay"},
        # Without a NIK: the snapshot says temporary and when the temporary id expires.
        {
            "temporary": "true",
            "name": "Budi Santoso",
            "birth_date": "1980-05-17",
            "sex": "M",
            "village_code": VILLAGE,
            "occupation": "ojol",
            "declared_income_idr": "2000000",
            "programs": "JKK;JKM",
        },
        # An officer id is free text: quotes, a backslash and non-ASCII letters must come out as JSON.
        {**roster_row(1), "officer_id": 'nrp "85011234" \\ Ñoño'},
    ]
    result = _import(client, _csv(rows))
    assert (result["accepted"], result["rejected"]) == (3, 0), result
    events, workers = _registered_events_and_workers(url)
    assert len(events) == 3
    for aggregate_id, data in events:
        assert data == {"worker": worker_snapshot(workers[aggregate_id])}
    snapshots = [data["worker"] for _, data in events]
    # In file order.
    assert [s["temporary"] for s in snapshots] == [False, True, False]
    assert snapshots[0]["programs"] == ["JKK", "JKM", "JHT"] and snapshots[0]["funding"] == "self_pay"
    assert snapshots[1]["temporary_id_expires_on"] is not None and snapshots[1]["officer_id"] is None
    assert snapshots[2]["officer_id"] == 'nrp "85011234" \\ Ñoño'


def test_a_chunk_meeting_a_held_nik_announces_only_the_workers_it_inserted(
    service_client: ClientFactory,
) -> None:
    client = service_client("registry")
    url = client.app.state.settings.database_url  # type: ignore[attr-defined]
    held = client.post("/v1/workers", json=worker_body(nik=roster_row(1)["nik"]), headers=VIL)
    assert held.status_code == 201, held.text
    result = _import(client, _csv([roster_row(0), roster_row(1), roster_row(2)]))
    assert (result["accepted"], result["duplicate_existing"]) == (2, 1), result
    events, workers = _registered_events_and_workers(url)
    # The single registration's event, then one per imported worker (the held NIK's row has none).
    assert events[0][0] == held.json()["id"]
    imported = events[1:]
    assert len(imported) == 2
    assert {workers[a].nik for a, _ in imported} == {roster_row(0)["nik"], roster_row(2)["nik"]}
    for aggregate_id, data in imported:
        assert data == {"worker": worker_snapshot(workers[aggregate_id])}
