"""Possible duplicates: temporary registrations matching another worker by name, birth date, village."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ClientFactory
from tests.registry_support import (
    OTHER_VILLAGE,
    VILLAGE,
    nik_for,
    roster_csv,
    roster_row,
    temporary_body,
    worker_body,
)
from tests.support import internal_headers, officer_headers, run_jobs, village_headers

VIL = village_headers(VILLAGE)
OTHER = village_headers(OTHER_VILLAGE, subject="key-other")
NIK = nik_for(11, day=17, month=5, yy=80)  # male, 1980-05-17: the temporary body's sex and birth date


def _post(client: TestClient, body: dict[str, Any], headers: dict[str, str] = VIL) -> dict[str, Any]:
    response = client.post("/v1/workers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _candidates(client: TestClient, headers: dict[str, str] = VIL, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/duplicate-candidates", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_temporary_worker_matching_a_registered_one_is_queued_and_merged(
    service_client: ClientFactory,
) -> None:
    client = service_client("registry")
    temp = _post(client, temporary_body(name="Budi  SANTOSO"))
    real = _post(client, worker_body(nik=NIK, name="budi santoso"))
    _post(client, worker_body(nik=nik_for(12), name="Someone Else"))
    queue = _candidates(client)
    assert len(queue) == 1
    candidate = queue[0]
    assert {candidate["worker_id"], candidate["other_worker_id"]} == {temp["id"], real["id"]}
    assert candidate["status"] == "open"
    resolved = client.post(
        f"/v1/duplicate-candidates/{candidate['id']}/resolve", json={"decision": "same_person"}, headers=VIL
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["kept_worker_id"] == real["id"]  # the record with a real NIK is kept
    assert resolved.json()["resolved_by"] == "village:key-test"
    gone = client.get(f"/v1/workers/{temp['id']}", headers=VIL).json()
    assert gone["status"] == "inactive" and gone["status_reason"] == "merged"
    assert gone["merged_into_id"] == real["id"]
    history = client.get(f"/v1/workers/{temp['id']}/history", headers=VIL).json()["items"]
    assert [h["field"] for h in history] == ["*", "status", "status_reason"]
    assert history[1]["note"] == f"merged into {real['id']}"
    assert _candidates(client) == []
    assert len(_candidates(client, status="same_person")) == 1
    again = client.post(
        f"/v1/duplicate-candidates/{candidate['id']}/resolve",
        json={"decision": "different_people"},
        headers=VIL,
    )
    assert again.status_code == 409


def test_kept_temporary_record_takes_over_the_nik(service_client: ClientFactory) -> None:
    client = service_client("registry")
    temp = _post(client, temporary_body())
    real = _post(client, worker_body(nik=NIK, name="Budi Santoso"))
    candidate = _candidates(client)[0]
    resolved = client.post(
        f"/v1/duplicate-candidates/{candidate['id']}/resolve",
        json={"decision": "same_person", "keep_worker_id": temp["id"]},
        headers=VIL,
    )
    assert resolved.status_code == 200, resolved.text
    kept = client.get(f"/v1/workers/{temp['id']}", headers=VIL).json()
    assert kept["nik"] == NIK and kept["temporary_deadline"] is None
    assert client.get(f"/v1/workers/{real['id']}", headers=VIL).json()["status"] == "inactive"


def test_different_people_and_bad_decisions(service_client: ClientFactory) -> None:
    client = service_client("registry")
    _post(client, temporary_body())
    _post(client, temporary_body(sex="M"))
    candidate = _candidates(client)[0]
    path = f"/v1/duplicate-candidates/{candidate['id']}/resolve"
    assert client.post(path, json={"decision": "maybe"}, headers=VIL).status_code == 422
    foreign_keep = client.post(path, json={"decision": "same_person", "keep_worker_id": "x"}, headers=VIL)
    assert foreign_keep.status_code == 422
    different = client.post(path, json={"decision": "different_people"}, headers=VIL)
    assert different.status_code == 200 and different.json()["status"] == "different_people"
    assert all(w["status"] == "registered" for w in client.get("/v1/workers", headers=VIL).json()["items"])


def test_imports_queue_candidates(service_client: ClientFactory) -> None:
    client = service_client("registry")
    temp = _post(client, temporary_body(name="Pekerja 3", birth_date="1960-03-12"))
    response = client.post(
        "/v1/worker-imports",
        files={"file": ("r.csv", roster_csv([roster_row(i) for i in range(5)]))},
        headers=VIL,
    )
    assert response.status_code == 202
    assert run_jobs(client, "registry") == 1
    queue = _candidates(client)
    assert len(queue) == 1 and temp["id"] in (queue[0]["worker_id"], queue[0]["other_worker_id"])


def test_candidate_tenancy(service_client: ClientFactory) -> None:
    client = service_client("registry")
    _post(client, temporary_body())
    _post(client, temporary_body())
    candidate = _candidates(client)[0]
    path = f"/v1/duplicate-candidates/{candidate['id']}/resolve"
    assert _candidates(client, OTHER) == []
    assert client.post(path, json={"decision": "different_people"}, headers=OTHER).status_code == 404
    officer_elsewhere = officer_headers("5", [OTHER_VILLAGE])
    assert _candidates(client, officer_elsewhere) == []
    assert (
        client.post(path, json={"decision": "different_people"}, headers=officer_elsewhere).status_code == 404
    )
    reader = internal_headers(["registry:read"])
    assert len(_candidates(client, reader)) == 1
    assert client.post(path, json={"decision": "different_people"}, headers=reader).status_code == 403
    assert (
        client.get("/v1/duplicate-candidates", headers=internal_headers(["funding:admin"])).status_code == 403
    )
    assert (
        client.post(
            "/v1/duplicate-candidates/999/resolve", json={"decision": "same_person"}, headers=VIL
        ).status_code
        == 404
    )
    writer = internal_headers(["registry:write"])
    assert client.post(path, json={"decision": "different_people"}, headers=writer).status_code == 200
