from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.api.outreach.conftest import ADMIN, JAVA, JAVA_OTHER, REPORTS, OfficerMaker
from tests.outreach_support import FakeRegistry, future, lead_item
from tests.support import create_component_app, live_server, officer_headers, village_headers


def _session(outreach: TestClient, headers: dict[str, str], village: str = JAVA, day: int = 3) -> int:
    body = {
        "village_code": village,
        "starts_at": future(day, 9),
        "ends_at": future(day, 11),
        "venue": "Balai Desa",
        "kind": "registration_desk",
    }
    response = outreach.post("/v1/outreach-sessions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    session_id: int = response.json()["id"]
    return session_id


def _statuses(results: list[dict[str, Any]]) -> list[str]:
    return [r["status"] for r in results]


def test_same_batch_twice_is_unchanged(outreach: TestClient, make_officer: OfficerMaker) -> None:
    _, headers = make_officer(JAVA)
    session_id = _session(outreach, headers)
    batch = {
        "attendance": [
            {"client_id": str(uuid.uuid4()), "session_id": session_id, "name": f"Warga {i}"} for i in range(2)
        ],
        "leads": [
            lead_item(JAVA, session_id=session_id, name=f"Calon {i}", app_note="v2 field") for i in range(3)
        ],
    }
    first = outreach.post("/v1/sync", json=batch, headers=headers)
    assert first.status_code == 200, first.text
    assert _statuses(first.json()["leads"]) == ["created"] * 3
    assert _statuses(first.json()["attendance"]) == ["created"] * 2
    second = outreach.post("/v1/sync", json=batch, headers=headers).json()
    assert (
        _statuses(second["leads"]) == ["unchanged"] * 3
        and _statuses(second["attendance"]) == ["unchanged"] * 2
    )
    assert [r["id"] for r in second["leads"]] == [r["id"] for r in first.json()["leads"]]
    leads = outreach.get("/v1/leads", headers=headers).json()["items"]
    assert len(leads) == 3 and {lead["session_id"] for lead in leads} == {session_id}
    assert all(lead["consent_captured_by"].startswith("officer:") for lead in leads)
    attendees = outreach.get(f"/v1/outreach-sessions/{session_id}/attendance", headers=headers).json()[
        "items"
    ]
    assert sorted(a["name"] for a in attendees) == ["Warga 0", "Warga 1"]
    assert (
        outreach.get(
            f"/v1/outreach-sessions/{session_id}/attendance", headers=village_headers(JAVA_OTHER)
        ).status_code
        == 404
    )


def test_bad_items_rejected_alone(outreach: TestClient, make_officer: OfficerMaker) -> None:
    _, headers = make_officer(JAVA)
    _, other_headers = make_officer(JAVA)
    other_session = _session(outreach, other_headers)
    good = lead_item(JAVA)
    batch = {
        "leads": [
            good,
            lead_item(JAVA, client_id="not-a-uuid"),
            lead_item(JAVA_OTHER),  # not assigned
            lead_item(JAVA, consent_given_at=None),
            lead_item(JAVA, nik="123"),
            lead_item(JAVA, session_id=other_session),  # another officer's session
            lead_item(JAVA, consent_given_at="2099-01-01T00:00:00+07:00"),
            {**good, "name": "Someone Else"},  # same client_id twice in the batch
            "not an object",
        ],
        "attendance": [{"client_id": str(uuid.uuid4()), "session_id": 99999, "name": "X"}],
    }
    result = outreach.post("/v1/sync", json=batch, headers=headers).json()
    assert _statuses(result["leads"]) == ["created"] + ["rejected"] * 8
    fields = [r["errors"][0]["field"] for r in result["leads"][1:8]]
    assert fields == [
        "client_id",
        "village_code",
        "consent_given_at",
        "nik",
        "session_id",
        "consent_given_at",
        "client_id",
    ]
    assert result["attendance"][0]["status"] == "rejected"
    # Same client_id, different content later: rejected with a reason, not silently unchanged.
    changed = outreach.post(
        "/v1/sync", json={"leads": [{**good, "phone": "+6289999999999"}]}, headers=headers
    ).json()
    assert changed["leads"][0]["status"] == "rejected"
    assert "different content" in changed["leads"][0]["errors"][0]["reason"]


def test_sync_refused_for_village_and_reports(outreach: TestClient) -> None:
    batch = {"leads": [lead_item(JAVA)]}
    assert outreach.post("/v1/sync", json=batch, headers=village_headers(JAVA)).status_code == 403
    assert outreach.post("/v1/sync", json=batch, headers=REPORTS).status_code == 403


def test_thousand_item_batch_is_fast(outreach: TestClient, make_officer: OfficerMaker) -> None:
    _, headers = make_officer(JAVA)
    session_id = _session(outreach, headers)
    batch = {
        "attendance": [
            {"client_id": str(uuid.uuid4()), "session_id": session_id, "name": f"W {i}"} for i in range(500)
        ],
        "leads": [lead_item(JAVA, session_id=session_id, name=f"L {i}") for i in range(500)],
    }
    started = time.perf_counter()
    result = outreach.post("/v1/sync", json=batch, headers=headers).json()
    elapsed = time.perf_counter() - started
    assert (
        _statuses(result["leads"]).count("created") == 500
        and _statuses(result["attendance"]).count("created") == 500
    )
    assert elapsed < 4.0, elapsed  # ~0.2 s here; the bound leaves room for a loaded CI machine
    again = outreach.post("/v1/sync", json=batch, headers=headers).json()
    assert set(_statuses(again["leads"])) == {"unchanged"}


def test_lead_tenancy(outreach: TestClient, make_officer: OfficerMaker) -> None:
    _, headers = make_officer(JAVA)
    _, other = make_officer(JAVA)
    created = outreach.post(
        "/v1/sync", json={"leads": [lead_item(JAVA, nik="3326154101900001")]}, headers=headers
    ).json()
    lead_id = created["leads"][0]["id"]
    lead = outreach.get(f"/v1/leads/{lead_id}", headers=headers).json()
    assert lead["nik"] == "3326**********01"
    assert outreach.get(f"/v1/leads/{lead_id}", headers=other).status_code == 404
    assert outreach.get(f"/v1/leads/{lead_id}", headers=village_headers(JAVA)).status_code == 200
    assert outreach.get(f"/v1/leads/{lead_id}", headers=village_headers(JAVA_OTHER)).status_code == 404
    assert outreach.get("/v1/leads", headers=village_headers(JAVA_OTHER)).json()["items"] == []
    assert len(outreach.get("/v1/leads", params={"status": "open"}, headers=ADMIN).json()["items"]) == 1


CONVERT = {"declared_income_idr": 2_000_000, "programs": ["JKK", "JKM"]}


def test_convert_lead_registers_worker_once(
    outreach: TestClient, make_officer: OfficerMaker, registry: FakeRegistry
) -> None:
    officer_id, headers = make_officer(JAVA)
    session_id = _session(outreach, headers)
    item = lead_item(JAVA, session_id=session_id, nik="3326154101900001")
    lead_id = outreach.post("/v1/sync", json={"leads": [item]}, headers=headers).json()["leads"][0]["id"]
    first = outreach.post(f"/v1/leads/{lead_id}/convert", json=CONVERT, headers=headers)
    assert first.status_code == 200, first.text
    worker_id = first.json()["worker_id"]
    assert first.json()["linked_existing"] is False
    worker = registry.workers[worker_id]
    assert worker["officer_id"] == str(officer_id) and worker["outreach_session_id"] == str(session_id)
    assert worker["lead_id"] == str(lead_id) and worker["nik"] == "3326154101900001"
    _, caller, _ = registry.calls[0]
    assert caller.kind == "officer" and caller.subject == str(officer_id)  # the officer's own principal
    again = outreach.post(f"/v1/leads/{lead_id}/convert", json=CONVERT, headers=headers)
    assert again.json()["worker_id"] == worker_id and len(registry.workers) == 1
    lead = outreach.get(f"/v1/leads/{lead_id}", headers=headers).json()
    assert lead["status"] == "converted" and lead["worker_id"] == worker_id
    assert lead["converted_by"] == f"officer:{officer_id}"


def test_convert_links_existing_worker(
    outreach: TestClient, make_officer: OfficerMaker, registry: FakeRegistry
) -> None:
    _, headers = make_officer(JAVA)
    existing = registry.add_worker(JAVA, "active", nik="3326154101900001")
    lead_id = outreach.post("/v1/sync", json={"leads": [lead_item(JAVA)]}, headers=headers).json()["leads"][
        0
    ]["id"]
    response = outreach.post(
        f"/v1/leads/{lead_id}/convert", json={**CONVERT, "nik": "3326154101900001"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {**response.json(), "worker_id": existing, "linked_existing": True}


def test_convert_refusals(outreach: TestClient, make_officer: OfficerMaker, registry: FakeRegistry) -> None:
    _, headers = make_officer(JAVA)
    _, other = make_officer(JAVA)
    lead_id = outreach.post("/v1/sync", json={"leads": [lead_item(JAVA)]}, headers=headers).json()["leads"][
        0
    ]["id"]
    url = f"/v1/leads/{lead_id}/convert"
    assert outreach.post(url, json=CONVERT, headers=headers).status_code == 422  # no NIK, not temporary
    assert (
        outreach.post(
            url, json={**CONVERT, "declared_income_idr": 999_999, "nik": "3326154101900001"}, headers=headers
        ).status_code
        == 422
    )
    assert outreach.post(url, json={**CONVERT, "nik": "3326154101900001"}, headers=other).status_code == 404
    assert (
        outreach.post(
            url, json={**CONVERT, "nik": "3326154101900001"}, headers=village_headers(JAVA)
        ).status_code
        == 403
    )
    assert (
        outreach.post(
            url, json={**CONVERT, "nik": "3326154101900001"}, headers=officer_headers("999", [JAVA_OTHER])
        ).status_code
        == 404
    )
    assert registry.workers == {}
    temporary = outreach.post(url, json={**CONVERT, "temporary": True}, headers=headers)
    assert (
        temporary.status_code == 200 and registry.workers[temporary.json()["worker_id"]]["temporary"] is True
    )


def test_convert_when_registry_down_is_503_and_nothing_stored(service_client: Any) -> None:
    outreach = service_client("outreach", registry_url="http://127.0.0.1:9")
    officer_id = outreach.post(
        "/v1/officers", json={"nrp": "55556666", "name": "B", "rank": "Bripda", "unit": "P"}, headers=ADMIN
    ).json()["id"]
    outreach.post(
        f"/v1/officers/{officer_id}/assignments",
        json={"village_code": JAVA, "valid_from": "2026-01-01"},
        headers=ADMIN,
    )
    mine = officer_headers(str(officer_id), [JAVA])
    lead_id = outreach.post("/v1/sync", json={"leads": [lead_item(JAVA)]}, headers=mine).json()["leads"][0][
        "id"
    ]
    response = outreach.post(
        f"/v1/leads/{lead_id}/convert", json={**CONVERT, "nik": "3326154101900001"}, headers=mine
    )
    assert response.status_code == 503
    assert outreach.get(f"/v1/leads/{lead_id}", headers=mine).json()["status"] == "open"


def test_concurrent_conversions_register_one_worker(
    database_url: Any, make_officer: OfficerMaker, registry: FakeRegistry, registry_url: str
) -> None:
    _, headers = make_officer(JAVA)
    app = create_component_app("outreach", database_url("outreach"), registry_url=registry_url)
    with live_server(app) as base:
        lead_id = httpx.post(f"{base}/v1/sync", json={"leads": [lead_item(JAVA)]}, headers=headers).json()[
            "leads"
        ][0]["id"]
        barrier = threading.Barrier(4)
        answers: list[tuple[int, str]] = []

        def convert() -> None:
            barrier.wait()
            response = httpx.post(
                f"{base}/v1/leads/{lead_id}/convert",
                json={**CONVERT, "nik": "3326154101900001"},
                headers=headers,
                timeout=30,
            )
            answers.append((response.status_code, response.json().get("worker_id", response.text)))

        threads = [threading.Thread(target=convert) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert {status for status, _ in answers} == {200}, answers
    assert len({worker for _, worker in answers}) == 1 and len(registry.workers) == 1


def test_concurrent_identical_batches_store_each_item_once(
    database_url: Any, make_officer: OfficerMaker, outreach: TestClient
) -> None:
    _, headers = make_officer(JAVA)
    batch = {"leads": [lead_item(JAVA, name=f"L {i}") for i in range(50)]}
    app = create_component_app("outreach", database_url("outreach"))
    results: list[list[str]] = []
    with live_server(app) as base:
        barrier = threading.Barrier(3)

        def upload() -> None:
            barrier.wait()
            response = httpx.post(f"{base}/v1/sync", json=batch, headers=headers, timeout=60)
            results.append(_statuses(response.json()["leads"]))

        threads = [threading.Thread(target=upload) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(results) == 3
    for index in range(50):
        assert sorted(r[index] for r in results) == ["created", "unchanged", "unchanged"]
    assert len(outreach.get("/v1/leads", params={"limit": 500}, headers=ADMIN).json()["items"]) == 50


def test_deactivated_officer_cannot_sync_or_convert(outreach: TestClient, make_officer: OfficerMaker) -> None:
    officer_id, headers = make_officer(JAVA)
    lead_id = outreach.post("/v1/sync", json={"leads": [lead_item(JAVA)]}, headers=headers).json()["leads"][
        0
    ]["id"]
    outreach.patch(f"/v1/officers/{officer_id}", json={"active": False}, headers=ADMIN)
    assert outreach.post("/v1/sync", json={"leads": [lead_item(JAVA)]}, headers=headers).status_code == 403
    convert = outreach.post(
        f"/v1/leads/{lead_id}/convert", json={**CONVERT, "nik": "3326154101900001"}, headers=headers
    )
    assert convert.status_code == 403
