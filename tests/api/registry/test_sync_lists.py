"""Lists integrators sync from: workers and duplicate candidates in creation order, `sort`,
`updated_since`, ties on one timestamp, refusals, timestamps in the village's offset, tenancy."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from services.common.events import RELAY_HEADER, relay_token
from services.registry.models import DuplicateCandidate, Worker
from tests.conftest import ClientFactory
from tests.registry_support import (
    FAR_VILLAGE,
    OTHER_VILLAGE,
    VILLAGE,
    nik_for,
    roster_csv,
    roster_row,
    temporary_body,
    worker_body,
)
from tests.support import TEST_SECRET, internal_headers, run_jobs, village_headers
from tests.sync_support import check_openapi, check_refusals, check_sorts, check_ties, ids, walk

VIL = village_headers(VILLAGE)
OTHER = village_headers(OTHER_VILLAGE, subject="key-other")
FAR = village_headers(FAR_VILLAGE, subject="key-far")
READER = internal_headers(["registry:read"])


def _register(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/workers", json=worker_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _relay(client: TestClient, event_type: str, source: str, data: dict[str, Any]) -> None:
    event = {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "source": source,
        "aggregate_type": "invoice" if source == "funding" else "lead",
        "aggregate_id": str(uuid.uuid4()),
        "village_code": VILLAGE,
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "data": data,
    }
    response = client.post(
        "/internal/events", json={"events": [event]}, headers={RELAY_HEADER: relay_token(TEST_SECRET)}
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] in {"applied", "processed"}, response.text


def test_workers_come_in_creation_order_in_every_sort_and_through_ties(
    service_client: ClientFactory, database_url: Callable[[str], str]
) -> None:
    client = service_client("registry")
    created = [
        _register(client, FAR, nik=nik_for(i), name=f"Pekerja Nomor {i}", village_code=FAR_VILLAGE)["id"]
        for i in range(1, 7)
    ]
    check_sorts(client, "/v1/workers", FAR, created)
    check_sorts(client, "/v1/workers", READER, created)
    check_ties(client, "/v1/workers", FAR, database_url("registry"), Worker.__table__)  # type: ignore[arg-type]


def test_a_papua_worker_is_shown_in_wit_and_a_java_worker_in_wib(service_client: ClientFactory) -> None:
    client = service_client("registry")
    _register(client, FAR, nik=nik_for(1), village_code=FAR_VILLAGE)
    _register(client, VIL, nik=nik_for(2))
    far = walk(client, "/v1/workers", READER, village_code=FAR_VILLAGE)[0]
    assert far["created_at"].endswith("+09:00") and far["updated_at"].endswith("+09:00")
    java = walk(client, "/v1/workers", READER, village_code=VILLAGE)[0]
    assert java["created_at"].endswith("+07:00") and java["updated_at"].endswith("+07:00")
    # The same instant either way: 09:00 WIT is 07:00 WIB is 00:00Z.
    moment = dt.datetime.fromisoformat(far["created_at"])
    assert moment.utcoffset() == dt.timedelta(hours=9)
    history = client.get(f"/v1/workers/{far['id']}/history", headers=FAR).json()["items"]
    assert history and all(entry["changed_at"].endswith("+09:00") for entry in history)


def test_changes_applied_from_events_show_up_in_updated_since(service_client: ClientFactory) -> None:
    client = service_client("registry")
    workers = [_register(client, VIL, nik=nik_for(i), name=f"Pekerja Nomor {i}") for i in range(1, 5)]
    checkpoint = dt.datetime.now(dt.UTC).isoformat()
    assert walk(client, "/v1/workers", VIL, updated_since=checkpoint) == []
    # Funding's payment makes worker 2 active; outreach's conversion links worker 3 to its lead (a change
    # that names no timestamp of its own).
    _relay(
        client,
        "payment.received",
        "funding",
        {
            "period": "2026-11",
            "invoice_number": "INV/2026/0001",
            "workers": [{"worker_id": workers[1]["id"], "arrears_months": 0}],
        },
    )
    _relay(
        client,
        "lead.converted",
        "outreach",
        {"worker_id": workers[2]["id"], "officer_id": 42, "session_id": 7, "lead_id": 9},
    )
    changed = walk(client, "/v1/workers", VIL, updated_since=checkpoint, sort="updated_at")
    assert ids(changed) == [workers[1]["id"], workers[2]["id"]]
    assert changed[0]["status"] == "active" and changed[1]["lead_id"] == "9"
    assert all(item["updated_at"] >= item["created_at"] for item in changed)
    # A village key's sync never shows another village's workers, changed or not.
    _register(client, OTHER, nik=nik_for(9), village_code=OTHER_VILLAGE)
    assert walk(client, "/v1/workers", OTHER, updated_since=checkpoint)[0]["village_code"] == OTHER_VILLAGE
    assert len(walk(client, "/v1/workers", OTHER, updated_since="2000-01-01T00:00:00Z")) == 1
    mine = walk(client, "/v1/workers", VIL, updated_since=checkpoint)
    assert all(w["village_code"] == VILLAGE for w in mine)


def test_refusals_and_the_documented_parameters(service_client: ClientFactory) -> None:
    client = service_client("registry")
    _register(client, VIL, nik=nik_for(1))
    _register(client, VIL, nik=nik_for(2))
    check_refusals(client, "/v1/workers", VIL)
    check_openapi(client, "/v1/workers")
    check_openapi(client, "/v1/duplicate-candidates")


def test_duplicate_candidates_sync_in_village_time(
    service_client: ClientFactory, database_url: Callable[[str], str]
) -> None:
    client = service_client("registry")
    born = {"sex": "M", "birth_date": "1980-05-17"}
    for name in ("Budi Santoso", "Budi  SANTOSO", "budi santoso"):
        response = client.post(
            "/v1/workers", json=temporary_body(name=name, village_code=FAR_VILLAGE, **born), headers=FAR
        )
        assert response.status_code == 201, response.text
    queue = walk(client, "/v1/duplicate-candidates", FAR, limit=1)
    assert len(queue) == 3  # three temporary records of one person: three pairs
    assert ids(queue) == sorted(ids(queue))
    assert all(c["created_at"].endswith("+09:00") and c["updated_at"].endswith("+09:00") for c in queue)
    assert walk(client, "/v1/duplicate-candidates", VIL) == []
    check_ties(
        client,
        "/v1/duplicate-candidates",
        FAR,
        database_url("registry"),
        DuplicateCandidate.__table__,  # type: ignore[arg-type]
    )
    checkpoint = dt.datetime.now(dt.UTC).isoformat()
    decision = {"decision": "different_people"}
    path = f"/v1/duplicate-candidates/{queue[0]['id']}/resolve"
    resolved = client.post(path, json=decision, headers=FAR)
    assert resolved.status_code == 200, resolved.text
    changed = walk(
        client, "/v1/duplicate-candidates", FAR, updated_since=checkpoint, status="different_people"
    )
    assert ids(changed) == [queue[0]["id"]]


def test_imports_list_in_creation_order_and_sync_their_processing(service_client: ClientFactory) -> None:
    client = service_client("registry")
    accepted = []
    for n in range(3):
        roster = roster_csv([roster_row(10 * n + i, village=FAR_VILLAGE) for i in range(2)])
        response = client.post("/v1/worker-imports", files={"file": (f"r{n}.csv", roster)}, headers=FAR)
        assert response.status_code == 202, response.text
        accepted.append(response.json()["id"])
    queued = walk(client, "/v1/worker-imports", FAR, limit=1)
    assert ids(queued) == accepted and {i["status"] for i in queued} == {"queued"}
    assert all(i["created_at"].endswith("+09:00") and i["village_code"] == FAR_VILLAGE for i in queued)
    assert ids(walk(client, "/v1/worker-imports", FAR, sort="-created_at", limit=2)) == accepted[::-1]
    assert ids(walk(client, "/v1/worker-imports", READER)) == accepted
    assert walk(client, "/v1/worker-imports", VIL) == []
    check_refusals(client, "/v1/worker-imports", FAR)
    check_openapi(client, "/v1/worker-imports")
    checkpoint = dt.datetime.now(dt.UTC).isoformat()
    assert walk(client, "/v1/worker-imports", FAR, updated_since=checkpoint) == []
    # The job worker processes each import in set-based statements (staging, INSERT ... SELECT, counts).
    assert run_jobs(client, "registry") == 3
    done = walk(client, "/v1/worker-imports", FAR, updated_since=checkpoint, sort="updated_at")
    assert sorted(ids(done)) == sorted(accepted)
    assert {(i["status"], i["accepted"]) for i in done} == {("completed", 2)}
    assert len(walk(client, "/v1/workers", FAR, updated_since=checkpoint, limit=4)) == 6
    assert walk(client, "/v1/workers", VIL, updated_since=checkpoint) == []
