from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from tests.api.outreach.conftest import ADMIN, JAVA, JAVA_OTHER, REPORTS, OfficerMaker
from tests.support import internal_headers, officer_headers, village_headers

OFFICER = {
    "nrp": "85011234",
    "name": "Bripka Ahmad Yani",
    "rank": "Bripka",
    "unit": "Polsek Lasem",
    "phone": "+6281234567890",
}


def test_create_get_patch_officer_with_etag(outreach: TestClient) -> None:
    created = outreach.post("/v1/officers", json=OFFICER, headers=ADMIN)
    assert created.status_code == 201, created.text
    officer = created.json()
    assert officer["nrp"] == "85011234" and officer["active"] is True and officer["version"] == 1
    got = outreach.get(f"/v1/officers/{officer['id']}", headers=ADMIN)
    assert got.headers["ETag"] == 'W/"1"'
    patched = outreach.patch(
        f"/v1/officers/{officer['id']}", json={"rank": "Aipda"}, headers={**ADMIN, "If-Match": 'W/"1"'}
    )
    assert patched.status_code == 200 and patched.json()["rank"] == "Aipda" and patched.json()["version"] == 2
    stale = outreach.patch(
        f"/v1/officers/{officer['id']}", json={"rank": "Aiptu"}, headers={**ADMIN, "If-Match": 'W/"1"'}
    )
    assert stale.status_code == 412
    listed = outreach.get("/v1/officers", headers=ADMIN).json()
    assert [o["nrp"] for o in listed["items"]] == ["85011234"]


def test_officer_validation_and_unique_nrp(outreach: TestClient) -> None:
    for field, value in (("nrp", "1234567"), ("nrp", "1234567a"), ("phone", "081234567890")):
        response = outreach.post("/v1/officers", json={**OFFICER, field: value}, headers=ADMIN)
        assert response.status_code == 422, (field, value)
        assert response.json()["errors"][0]["field"] == field
    assert outreach.post("/v1/officers", json=OFFICER, headers=ADMIN).status_code == 201
    duplicate = outreach.post("/v1/officers", json=OFFICER, headers=ADMIN)
    assert duplicate.status_code == 409


def test_only_outreach_admin_manages_officers(outreach: TestClient) -> None:
    assert outreach.post("/v1/officers", json=OFFICER, headers=REPORTS).status_code == 403
    assert outreach.post("/v1/officers", json=OFFICER, headers=village_headers(JAVA)).status_code == 403
    assert (
        outreach.post("/v1/officers", json=OFFICER, headers=officer_headers("1", [JAVA])).status_code == 403
    )
    assert outreach.post("/v1/officers", json=OFFICER).status_code == 401


def test_assignments_history_and_me(outreach: TestClient) -> None:
    officer_id = outreach.post("/v1/officers", json=OFFICER, headers=ADMIN).json()["id"]
    today = dt.date.today()
    first = outreach.post(
        f"/v1/officers/{officer_id}/assignments",
        json={"village_code": JAVA, "valid_from": (today - dt.timedelta(days=10)).isoformat()},
        headers=ADMIN,
    ).json()
    outreach.post(
        f"/v1/officers/{officer_id}/assignments",
        json={
            "village_code": JAVA_OTHER,
            "valid_from": (today + dt.timedelta(days=5)).isoformat(),
            "role": "substitute",
        },
        headers=ADMIN,
    )
    headers = officer_headers(str(officer_id), [JAVA])
    me = outreach.get("/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["officer"]["nrp"] == "85011234" and me.json()["villages"] == [JAVA]
    access = outreach.get("/internal/officers/85011234/access", headers=internal_headers(["keys:admin"]))
    assert access.status_code == 200
    assert access.json() == {
        "officer_id": officer_id,
        "nrp": "85011234",
        "name": OFFICER["name"],
        "villages": [JAVA],
    }

    ended = outreach.post(
        f"/v1/officers/{officer_id}/assignments/{first['id']}/end",
        json={"valid_to": (today - dt.timedelta(days=1)).isoformat()},
        headers=ADMIN,
    )
    assert ended.status_code == 200 and ended.json()["ended_by"] == "internal:client-test"
    assert outreach.get("/v1/me", headers=headers).json()["villages"] == []
    history = outreach.get(f"/v1/officers/{officer_id}/assignments", headers=ADMIN).json()
    assert [a["village_code"] for a in history] == [JAVA, JAVA_OTHER]  # ended, not deleted


def test_assignment_refusals(outreach: TestClient) -> None:
    officer_id = outreach.post("/v1/officers", json=OFFICER, headers=ADMIN).json()["id"]
    url = f"/v1/officers/{officer_id}/assignments"
    unknown = outreach.post(
        url, json={"village_code": "33.26.15.9999", "valid_from": "2026-01-01"}, headers=ADMIN
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "village_code"
    backwards = {"village_code": JAVA, "valid_from": "2026-02-01", "valid_to": "2026-01-01"}
    assert outreach.post(url, json=backwards, headers=ADMIN).status_code == 422
    assert (
        outreach.post(
            "/v1/officers/999/assignments",
            json={"village_code": JAVA, "valid_from": "2026-01-01"},
            headers=ADMIN,
        ).status_code
        == 404
    )


def test_officer_sees_only_own_profile(outreach: TestClient, make_officer: OfficerMaker) -> None:
    mine, headers = make_officer(JAVA)
    other, _ = make_officer(JAVA)
    assert outreach.get(f"/v1/officers/{mine}", headers=headers).status_code == 200
    assert outreach.get(f"/v1/officers/{other}", headers=headers).status_code == 404
    assert outreach.get(f"/v1/officers/{mine}", headers=village_headers(JAVA)).status_code == 404
    assert outreach.get("/v1/officers", headers=headers).status_code == 403
    funding = internal_headers(["funding:admin"])
    assert outreach.get(f"/v1/officers/{mine}", headers=funding).status_code == 403
    assert outreach.get("/v1/me", headers=village_headers(JAVA)).status_code == 403


def test_internal_access_endpoint_rules(outreach: TestClient, make_officer: OfficerMaker) -> None:
    officer_id, headers = make_officer(JAVA, nrp="87654321")
    assert outreach.get("/internal/officers/87654321/access", headers=headers).status_code == 403
    assert outreach.get("/internal/officers/87654321/access").status_code == 401
    assert outreach.get("/internal/officers/11112222/access", headers=ADMIN).status_code == 404
    outreach.patch(f"/v1/officers/{officer_id}", json={"active": False}, headers=ADMIN)
    assert outreach.get("/internal/officers/87654321/access", headers=ADMIN).status_code == 404
