"""Rules that end something: a deceased person's NIK is never registered again, and a temporary id past
its 90-day deadline is listed (and announced to funding, which then refuses to roster the worker)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from services.common.timeutil import today_in_area
from services.registry.models import Worker, outbox
from tests.conftest import ClientFactory
from tests.registry_support import (
    FAR_VILLAGE,
    NIK_WOMAN,
    OTHER_VILLAGE,
    VILLAGE,
    nik_for,
    roster_csv,
    roster_row,
    temporary_body,
    worker_body,
)
from tests.support import finished_job, internal_headers, village_headers

VIL = village_headers(VILLAGE)
OTHER = village_headers(OTHER_VILLAGE, subject="key-other")
FAR = village_headers(FAR_VILLAGE, subject="key-far")
WRITER = internal_headers(["registry:write"])
DECEASED_REASON = "this NIK belongs to a person recorded as deceased"


def _register(client: TestClient, body: dict[str, Any], headers: dict[str, str] = VIL) -> dict[str, Any]:
    response = client.post("/v1/workers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _deactivate(client: TestClient, worker_id: str, reason: str, headers: dict[str, str] = VIL) -> Any:
    return client.post(
        f"/v1/workers/{worker_id}/deactivate",
        json={"reason": reason, "effective_date": "2026-10-30"},
        headers=headers,
    )


def _assert_deceased_refusal(response: Any) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/problems/deceased-nik")
    assert body["errors"] == [{"field": "nik", "reason": DECEASED_REASON}]
    assert "existing_worker_id" not in body


def test_a_deceased_persons_nik_is_never_registered_again(service_client: ClientFactory) -> None:
    client = service_client("registry")
    worker = _register(client, worker_body())
    assert _deactivate(client, worker["id"], "deceased").status_code == 200
    # Same village, another village, an internal client: all refused, none gets a new record.
    for body, headers in (
        (worker_body(), VIL),
        (worker_body(village_code=OTHER_VILLAGE), OTHER),
        (worker_body(village_code=OTHER_VILLAGE), WRITER),
    ):
        _assert_deceased_refusal(client.post("/v1/workers", json=body, headers=headers))
    # Nor can a temporary id be replaced by that NIK.
    temp = _register(client, temporary_body(sex="F", birth_date="1990-07-01", name="Siti A"))
    _assert_deceased_refusal(client.patch(f"/v1/workers/{temp['id']}", json={"nik": NIK_WOMAN}, headers=VIL))
    assert client.get(f"/v1/workers/{temp['id']}", headers=VIL).json()["nik"] is None
    living = client.get("/v1/workers", params={"q": NIK_WOMAN}, headers=WRITER).json()["items"]
    assert [w["status"] for w in living] == ["deceased"]


def test_a_moved_record_cannot_die_while_a_living_record_holds_its_nik(service_client: ClientFactory) -> None:
    client = service_client("registry")
    old = _register(client, worker_body())
    assert _deactivate(client, old["id"], "moved").status_code == 200
    new = _register(client, worker_body(village_code=OTHER_VILLAGE), OTHER)
    refused = _deactivate(client, old["id"], "deceased")
    assert refused.status_code == 409, refused.text
    assert client.get(f"/v1/workers/{old['id']}", headers=VIL).json()["status"] == "inactive"
    # Recorded on the living record, the death ends the NIK; the old record may then follow.
    assert _deactivate(client, new["id"], "deceased", OTHER).status_code == 200
    assert _deactivate(client, old["id"], "deceased").status_code == 200
    _assert_deceased_refusal(client.post("/v1/workers", json=worker_body(), headers=VIL))


def test_an_import_rejects_each_row_with_a_deceased_nik(service_client: ClientFactory) -> None:
    client = service_client("registry")
    dead = _register(client, worker_body(nik=roster_row(1)["nik"]))
    assert _deactivate(client, dead["id"], "deceased").status_code == 200
    rows = [roster_row(0), roster_row(1), roster_row(2)]
    response = client.post("/v1/worker-imports", files={"file": ("r.csv", roster_csv(rows))}, headers=VIL)
    assert response.status_code == 202, response.text
    finished_job(client, response, VIL, "registry")
    result = client.get(f"/v1/worker-imports/{response.json()['id']}", headers=VIL).json()
    assert (result["accepted"], result["rejected"], result["duplicate_existing"]) == (2, 1, 0), result
    listed = client.get(f"/v1/worker-imports/{result['id']}/rows", headers=VIL).json()["items"]
    by_row = {r["row"]: r for r in listed}
    assert by_row[3]["result"] == "rejected" and by_row[3]["worker_id"] is None
    assert by_row[3]["errors"] == [{"field": "nik", "reason": DECEASED_REASON}]
    assert by_row[2]["result"] == by_row[4]["result"] == "accepted"
    found = client.get("/v1/workers", params={"q": roster_row(1)["nik"]}, headers=VIL).json()["items"]
    assert [w["id"] for w in found] == [dead["id"]]


def _set_deadline(client: TestClient, worker_id: str, deadline: dt.date) -> None:
    with client.app.state.database.sessions() as session:  # type: ignore[attr-defined]
        session.execute(update(Worker).where(Worker.id == worker_id).values(temporary_deadline=deadline))
        session.commit()


def _listed(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = client.get("/v1/workers", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return sorted(w["id"] for w in response.json()["items"])


def test_temporary_ids_past_their_deadline_are_listed_by_local_date(service_client: ClientFactory) -> None:
    client = service_client("registry")
    reader = internal_headers(["registry:read"])
    in_time = _register(client, temporary_body(name="Tepat Waktu"))
    overdue = _register(client, temporary_body(name="Terlambat"))
    due_today = _register(client, temporary_body(name="Hari Ini"))
    elsewhere = _register(client, temporary_body(name="Desa Lain", village_code=OTHER_VILLAGE), OTHER)
    far = _register(client, temporary_body(name="Papua", village_code=FAR_VILLAGE), FAR)
    with_nik = _register(client, worker_body())
    today = today_in_area(VILLAGE)
    assert in_time["temporary_deadline"] == (today + dt.timedelta(days=90)).isoformat()
    _set_deadline(client, overdue["id"], today - dt.timedelta(days=1))
    _set_deadline(client, due_today["id"], today)  # the deadline day itself is still in time
    _set_deadline(client, elsewhere["id"], today - dt.timedelta(days=3))
    # Papua's (WIT) today, not Java's: its deadline is judged by its own calendar.
    _set_deadline(client, far["id"], today_in_area(FAR_VILLAGE) - dt.timedelta(days=1))

    assert _listed(client, VIL, temporary_id_overdue="true") == [overdue["id"]]
    assert _listed(client, VIL, temporary_id_overdue="false") == sorted(
        [in_time["id"], due_today["id"], with_nik["id"]]
    )
    assert _listed(client, reader, temporary_id_overdue="true") == sorted(
        [overdue["id"], elsewhere["id"], far["id"]]
    )
    assert _listed(client, OTHER, temporary_id_overdue="true") == [elsewhere["id"]]  # tenancy holds
    # A NIK ends the deadline; a deceased worker is no longer listed.
    nik = nik_for(7, day=17, month=5, yy=80)
    fixed = client.patch(f"/v1/workers/{overdue['id']}", json={"nik": nik}, headers=VIL)
    assert fixed.status_code == 200, fixed.text
    assert _deactivate(client, far["id"], "deceased", FAR).status_code == 200
    assert _listed(client, reader, temporary_id_overdue="true") == [elsewhere["id"]]


def _snapshots(client: TestClient, worker_id: str) -> list[dict[str, Any]]:
    with client.app.state.database.sessions() as session:  # type: ignore[attr-defined]
        rows = session.execute(
            select(outbox.c.data).where(outbox.c.aggregate_id == worker_id).order_by(outbox.c.occurred_at)
        ).scalars()
        return [(json.loads(d) if isinstance(d, str) else d)["worker"] for d in rows]


def test_worker_events_carry_the_temporary_id_deadline(service_client: ClientFactory) -> None:
    client = service_client("registry")
    temp = _register(client, temporary_body())
    nik = nik_for(7, day=17, month=5, yy=80)
    assert client.patch(f"/v1/workers/{temp['id']}", json={"nik": nik}, headers=VIL).status_code == 200
    registered, updated = _snapshots(client, temp["id"])
    assert registered["temporary_id_expires_on"] == temp["temporary_deadline"]
    assert updated["temporary_id_expires_on"] is None
    # Imported workers' events are built in SQL: the same field, on both databases.
    rows = [roster_row(0), roster_row(1, nik="", temporary="true", sex="F", birth_date="1979-02-03")]
    response = client.post("/v1/worker-imports", files={"file": ("r.csv", roster_csv(rows))}, headers=VIL)
    finished_job(client, response, VIL, "registry")
    imported = client.get("/v1/workers", params={"temporary": "true"}, headers=VIL).json()["items"]
    [worker] = [w for w in imported if w["id"] != temp["id"]]
    [snapshot] = _snapshots(client, worker["id"])
    assert snapshot["temporary_id_expires_on"] == worker["temporary_deadline"]
    with_nik = [w for w in client.get("/v1/workers", headers=VIL).json()["items"] if w["name"] == "Pekerja 0"]
    [nik_snapshot] = _snapshots(client, with_nik[0]["id"])
    assert nik_snapshot["temporary_id_expires_on"] is None
