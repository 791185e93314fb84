"""Client text in outreach: control characters are a 422 naming the field (never a 500 on PostgreSQL);
a synced item with bad text is rejected alone while the others are created."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.outreach.conftest import ADMIN, JAVA, OfficerMaker
from tests.outreach_support import future, lead_item

PROBLEM = "application/problem+json"
OFFICER = {"nrp": "85011234", "name": "Bripka Ahmad", "rank": "Bripka", "unit": "Polsek Lasem"}


def assert_refused(response: Any, field: str, reason: str = "control characters") -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    errors = response.json()["errors"]
    assert any(e["field"] == field and reason in e["reason"] for e in errors), errors


@pytest.mark.parametrize("field", ["name", "rank", "unit"])
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x9b"])
def test_control_characters_in_officer_fields_are_422(outreach: TestClient, field: str, char: str) -> None:
    body = {**OFFICER, field: f"{OFFICER[field][:3]}{char}{OFFICER[field][3:]}"}
    assert_refused(outreach.post("/v1/officers", json=body, headers=ADMIN), field)
    assert outreach.get("/v1/officers", headers=ADMIN).json()["items"] == []


def _session_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "village_code": JAVA,
        "starts_at": future(3, 9),
        "ends_at": future(3, 11),
        "venue": "Balai Desa",
        "kind": "registration_desk",
    }
    return {**body, **overrides}


def test_control_characters_in_session_text_are_422(outreach: TestClient, make_officer: OfficerMaker) -> None:
    _, headers = make_officer(JAVA)
    assert_refused(
        outreach.post("/v1/outreach-sessions", json=_session_body(venue="Balai\x00"), headers=headers),
        "venue",
    )
    co_host = {"role": "kepala_desa", "name": "Pak\x00 Kades"}
    response = outreach.post("/v1/outreach-sessions", json=_session_body(co_hosts=[co_host]), headers=headers)
    assert_refused(response, "co_hosts.0.name")
    created = outreach.post("/v1/outreach-sessions", json=_session_body(), headers=headers)
    assert created.status_code == 201, created.text
    path = f"/v1/outreach-sessions/{created.json()['id']}"
    etag = outreach.get(path, headers=headers).headers["ETag"]
    cancel = outreach.post(
        f"/v1/outreach-sessions/{created.json()['id']}/cancel",
        json={"reason": "hujan\x00 deras"},
        headers={**headers, "If-Match": etag},
    )
    assert_refused(cancel, "reason")
    # A reason may span lines (tab, line breaks), but not hold other control characters.
    cancelled = outreach.post(
        f"/v1/outreach-sessions/{created.json()['id']}/cancel",
        json={"reason": "Hujan deras.\r\nDijadwal ulang\tminggu depan."},
        headers={**headers, "If-Match": etag},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/leads", {"village_code": "33.26.15.2001\x00"}, "village_code"),
        ("/v1/outreach-sessions", {"village_code": "\x0033.26.15.2001"}, "village_code"),
        ("/v1/outreach-progress", {"area": "33\x00"}, "area"),
        ("/v1/outreach-progress/officers", {"area": "33.26\x00"}, "area"),
        ("/v1/outreach-targets/33.26.15.2001%00", {}, "village_code"),
        ("/internal/officers/8501123%00/access", {}, "nrp"),
    ],
)
def test_control_characters_in_query_and_path_parameters_are_422(
    outreach: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    assert_refused(outreach.get(path, params=params, headers=ADMIN), field, "")


def test_sync_rejects_items_with_bad_text_alone(outreach: TestClient, make_officer: OfficerMaker) -> None:
    _, headers = make_officer(JAVA)
    created = outreach.post("/v1/outreach-sessions", json=_session_body(), headers=headers)
    session_id = created.json()["id"]
    leads = [
        lead_item(JAVA, name="Siti Aminah"),
        lead_item(JAVA, name="Sri\x00 Wahyuni"),
        lead_item(JAVA, phone="+62812345\x0067890"),
        lead_item(JAVA, nik="3326154107900001\n"),
        lead_item(JAVA, consent_captured_by="Bripka\x1b Ahmad"),
        lead_item(JAVA, name="ß" * 70),
        lead_item(JAVA, name="e\u0301" * 121),
    ]
    attendance = [
        {"client_id": str(uuid.uuid4()), "session_id": session_id, "name": "Warga\x00 1"},
        {"client_id": str(uuid.uuid4()), "session_id": session_id, "name": "Warga 2"},
    ]
    response = outreach.post("/v1/sync", json={"leads": leads, "attendance": attendance}, headers=headers)
    assert response.status_code == 200, response.text
    results = response.json()
    statuses = [r["status"] for r in results["leads"]]
    assert statuses == ["created", "rejected", "rejected", "rejected", "rejected", "created", "rejected"]
    fields = [[e["field"] for e in r["errors"] or []] for r in results["leads"]]
    assert fields == [[], ["name"], ["phone"], ["nik"], ["consent_captured_by"], [], ["name"]]
    assert "at most 120 characters" in results["leads"][6]["errors"][0]["reason"]
    assert [r["status"] for r in results["attendance"]] == ["rejected", "created"]
    stored = {lead["name"] for lead in outreach.get("/v1/leads", headers=headers).json()["items"]}
    assert stored == {"Siti Aminah", "ß" * 70}
