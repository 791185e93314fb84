"""Workers API: register, read, list, change, deactivate, history, coverage, counts, tenancy."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ClientFactory
from tests.registry_support import (
    FAR_VILLAGE,
    NIK_WOMAN,
    OTHER_VILLAGE,
    VILLAGE,
    nik_for,
    temporary_body,
    worker_body,
)
from tests.support import anonymous_headers, internal_headers, officer_headers, village_headers

VIL = village_headers(VILLAGE)
OTHER = village_headers(OTHER_VILLAGE, subject="key-other")
WRITER = internal_headers(["registry:write"])
READER = internal_headers(["registry:read"])


def _create(client: TestClient, headers: dict[str, str] | None = None, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/workers", json=worker_body(**overrides), headers=headers or VIL)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_register_derives_sex_and_birth_date_from_nik(service_client: ClientFactory) -> None:
    client = service_client("registry")
    worker = _create(client)
    assert worker["sex"] == "F"
    assert worker["birth_date"] == "1990-07-01"
    assert worker["nik"] == NIK_WOMAN  # the registering village is entitled
    assert worker["status"] == "registered"
    assert worker["phone"] == "+6281234567890"
    assert worker["programs"] == ["JKK", "JKM"]
    assert worker["funding"] == "village_fund"
    assert worker["version"] == 1
    assert worker["created_at"].endswith("+07:00")  # shown in WIB
    assert worker["temporary_id"] is None


def test_register_rejects_bad_fields_with_reasons(service_client: ClientFactory) -> None:
    client = service_client("registry")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"nik": "3326150000000001"}, "nik"),
        ({"nik": "332615410790000"}, "nik"),
        ({"nik": "3326154107900000"}, "nik"),
        ({"sex": "M"}, "sex"),
        ({"birth_date": "1990-07-02"}, "birth_date"),
        ({"phone": "12345"}, "phone"),
        ({"village_code": "33.26.15.9999"}, "village_code"),
        ({"village_code": "33-26"}, "village_code"),
        ({"declared_income_idr": 999_999}, "declared_income_idr"),
        ({"declared_income_idr": 20_700_001}, "declared_income_idr"),
        ({"declared_income_idr": "1500000"}, "declared_income_idr"),
        ({"declared_income_idr": 1500000.0}, "declared_income_idr"),
        ({"programs": ["JKK"]}, "programs"),
        ({"programs": ["JKK", "JKM", "XYZ"]}, "programs.2"),
        ({"occupation": "astronaut"}, "occupation"),
        ({"funding": "lottery"}, "funding"),
        ({"name": "   "}, "name"),
        ({"nik": None}, "nik"),
    ]
    for overrides, field in cases:
        response = client.post("/v1/workers", json=worker_body(**overrides), headers=VIL)
        assert response.status_code == 422, (overrides, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        fields = [e["field"] for e in response.json()["errors"]]
        assert field in fields, (overrides, fields)
    assert client.get("/v1/workers", headers=VIL).json()["items"] == []


def test_temporary_registration_and_replacing_it_with_a_nik(service_client: ClientFactory) -> None:
    client = service_client("registry")
    response = client.post("/v1/workers", json=temporary_body(), headers=VIL)
    assert response.status_code == 201, response.text
    worker = response.json()
    assert worker["nik"] is None
    assert worker["temporary_id"].startswith("TMP-")
    assert worker["temporary_deadline"] is not None
    listed = client.get("/v1/workers", params={"temporary": "true"}, headers=VIL).json()["items"]
    assert [w["id"] for w in listed] == [worker["id"]]
    # Sex/birth date given at registration must agree with the NIK that replaces the temporary id.
    bad = client.patch(f"/v1/workers/{worker['id']}", json={"nik": NIK_WOMAN}, headers=VIL)
    assert bad.status_code == 422
    nik = nik_for(7, day=17, month=5, yy=80)
    fixed = client.patch(f"/v1/workers/{worker['id']}", json={"nik": nik}, headers=VIL)
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["nik"] == nik
    assert fixed.json()["temporary_deadline"] is None
    assert fixed.json()["version"] == 2
    history = client.get(f"/v1/workers/{worker['id']}/history", headers=VIL).json()["items"]
    nik_change = next(h for h in history if h["field"] == "nik")
    assert nik_change["before"] is None and nik_change["after"] == "3326**********07"


def test_temporary_needs_sex_and_birth_date(service_client: ClientFactory) -> None:
    client = service_client("registry")
    response = client.post("/v1/workers", json=temporary_body(sex=None, birth_date=None), headers=VIL)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} >= {"sex", "birth_date"}


def test_duplicate_nik_is_409_with_id_only_when_visible(service_client: ClientFactory) -> None:
    client = service_client("registry")
    worker = _create(client)
    again = client.post("/v1/workers", json=worker_body(), headers=VIL)
    assert again.status_code == 409
    assert again.json()["existing_worker_id"] == worker["id"]
    elsewhere = client.post("/v1/workers", json=worker_body(village_code=OTHER_VILLAGE), headers=OTHER)
    assert elsewhere.status_code == 409
    assert "existing_worker_id" not in elsewhere.json()
    internal = client.post("/v1/workers", json=worker_body(village_code=FAR_VILLAGE), headers=WRITER)
    assert internal.json()["existing_worker_id"] == worker["id"]
    # Once inactive, the NIK may be registered again (e.g. after moving villages).
    moved = client.post(
        f"/v1/workers/{worker['id']}/deactivate",
        json={"reason": "moved", "effective_date": "2026-11-01"},
        headers=VIL,
    )
    assert moved.status_code == 200
    assert moved.json()["status"] == "inactive"
    assert _create(client, OTHER, village_code=OTHER_VILLAGE)["nik"] == NIK_WOMAN


def test_read_list_masking_and_tenancy(service_client: ClientFactory) -> None:
    client = service_client("registry")
    mine = _create(client)
    theirs = _create(client, OTHER, village_code=OTHER_VILLAGE, nik=nik_for(2))
    read = client.get(f"/v1/workers/{mine['id']}", headers=VIL)
    assert read.status_code == 200 and read.json()["nik"] == NIK_WOMAN
    assert read.headers["etag"] == 'W/"1"'
    listed = client.get("/v1/workers", headers=VIL).json()["items"]
    assert [w["id"] for w in listed] == [mine["id"]]
    assert listed[0]["nik"] == "3326**********01"
    # Another village's worker does not exist for this village, whatever the endpoint.
    for method, path, body in [
        ("GET", f"/v1/workers/{theirs['id']}", None),
        ("PATCH", f"/v1/workers/{theirs['id']}", {"name": "X Y"}),
        (
            "POST",
            f"/v1/workers/{theirs['id']}/deactivate",
            {"reason": "moved", "effective_date": "2026-11-01"},
        ),
        ("GET", f"/v1/workers/{theirs['id']}/history", None),
    ]:
        response = client.request(method, path, json=body, headers=VIL)
        assert response.status_code == 404, (method, path, response.text)
    assert (
        client.get("/v1/workers", params={"village_code": OTHER_VILLAGE}, headers=VIL).json()["items"] == []
    )
    # Registering into another village: 422 on village_code (documented choice).
    foreign = client.post(
        "/v1/workers", json=worker_body(nik=nik_for(3), village_code=OTHER_VILLAGE), headers=VIL
    )
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["field"] == "village_code"
    # Officers see only assigned villages.
    officer = officer_headers("17", [OTHER_VILLAGE])
    assert client.get(f"/v1/workers/{mine['id']}", headers=officer).status_code == 404
    assert client.get(f"/v1/workers/{theirs['id']}", headers=officer).json()["nik"] == nik_for(2)
    assert [w["id"] for w in client.get("/v1/workers", headers=officer).json()["items"]] == [theirs["id"]]
    # Internal: scope decides.
    assert client.get(f"/v1/workers/{mine['id']}", headers=READER).json()["nik"] == NIK_WOMAN
    assert len(client.get("/v1/workers", headers=READER).json()["items"]) == 2
    no_scope = internal_headers(["funding:admin"])
    assert client.get(f"/v1/workers/{mine['id']}", headers=no_scope).status_code == 403
    assert client.get("/v1/workers", headers=no_scope).status_code == 403
    assert client.post("/v1/workers", json=worker_body(nik=nik_for(4)), headers=READER).status_code == 403
    assert client.get("/v1/workers", headers=anonymous_headers()).status_code == 401
    assert client.get("/v1/workers").status_code == 401


def test_officer_registers_in_assigned_village_with_provenance(service_client: ClientFactory) -> None:
    client = service_client("registry")
    officer = officer_headers("42", [VILLAGE])
    worker = _create(client, officer, outreach_session_id="s-1", lead_id="lead-9")
    assert worker["officer_id"] == "42"
    assert worker["lead_id"] == "lead-9" and worker["outreach_session_id"] == "s-1"
    refused = client.post(
        "/v1/workers", json=worker_body(nik=nik_for(5), village_code=FAR_VILLAGE), headers=officer
    )
    assert refused.status_code == 422


def test_list_filters_and_cursor_pagination(service_client: ClientFactory) -> None:
    client = service_client("registry")
    created = [_create(client, nik=nik_for(i), name=f"Pekerja Nomor {i}")["id"] for i in range(1, 6)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/workers", params=params, headers=VIL).json()
        seen += [w["id"] for w in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(created) and len(seen) == 5
    found = client.get("/v1/workers", params={"q": "nomor 3"}, headers=VIL).json()["items"]
    assert [w["name"] for w in found] == ["Pekerja Nomor 3"]
    by_nik = client.get("/v1/workers", params={"q": nik_for(4)}, headers=VIL).json()["items"]
    assert len(by_nik) == 1
    assert client.get("/v1/workers", params={"status": "active"}, headers=VIL).json()["items"] == []
    assert client.get("/v1/workers", params={"cursor": "!!"}, headers=VIL).status_code == 422


def test_patch_with_etag_and_history(service_client: ClientFactory) -> None:
    client = service_client("registry")
    worker = _create(client)
    path = f"/v1/workers/{worker['id']}"
    changed = client.patch(
        path,
        json={"declared_income_idr": 2_000_000, "programs": ["JKK", "JKM", "JHT"]},
        headers={**VIL, "If-Match": 'W/"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.headers["etag"] == 'W/"2"'
    stale = client.patch(path, json={"name": "Siti A."}, headers={**VIL, "If-Match": 'W/"1"'})
    assert stale.status_code == 412
    assert client.patch(path, json={"declared_income_idr": 50}, headers=VIL).status_code == 422
    assert client.patch(path, json={"village_code": OTHER_VILLAGE}, headers=VIL).status_code == 422
    assert client.patch(path, json={"sex": "M"}, headers=VIL).status_code == 422
    assert client.patch(path, json={"nik": nik_for(9)}, headers=VIL).status_code == 422
    history = client.get(f"{path}/history", headers=VIL).json()["items"]
    fields = {h["field"]: h for h in history}
    assert fields["*"]["after"] == "registered"
    assert fields["declared_income_idr"]["before"] == "1500000"
    assert fields["declared_income_idr"]["after"] == "2000000"
    assert fields["programs"]["after"] == "JKK,JKM,JHT"
    assert {h["actor"] for h in history} == {"village:key-test"}
    assert client.get(path, headers=VIL).json()["version"] == 2


def test_status_lifecycle(service_client: ClientFactory) -> None:
    client = service_client("registry")
    worker = _create(client)
    path = f"/v1/workers/{worker['id']}"
    # Coverage is set only by trusted internal callers.
    assert client.post(f"{path}/coverage", json={"status": "active"}, headers=VIL).status_code == 403
    assert client.post(f"{path}/coverage", json={"status": "active"}, headers=READER).status_code == 403
    assert client.post(f"{path}/coverage", json={"status": "lapsed"}, headers=WRITER).status_code == 409
    assert (
        client.post(f"{path}/coverage", json={"status": "active"}, headers=WRITER).json()["status"]
        == "active"
    )
    assert (
        client.post(f"{path}/coverage", json={"status": "lapsed"}, headers=WRITER).json()["status"]
        == "lapsed"
    )
    assert (
        client.post(f"{path}/coverage", json={"status": "active"}, headers=WRITER).json()["status"]
        == "active"
    )
    died = client.post(
        f"{path}/deactivate", json={"reason": "deceased", "effective_date": "2026-10-30"}, headers=VIL
    )
    assert died.status_code == 200
    assert died.json()["status"] == "deceased" and died.json()["status_effective_date"] == "2026-10-30"
    again = client.post(
        f"{path}/deactivate", json={"reason": "moved", "effective_date": "2026-11-01"}, headers=VIL
    )
    assert again.status_code == 409
    assert client.post(f"{path}/coverage", json={"status": "active"}, headers=WRITER).status_code == 409
    assert client.patch(path, json={"name": "Other Name"}, headers=VIL).status_code == 409
    bad_reason = client.post(
        f"{path}/deactivate", json={"reason": "bored", "effective_date": "2026-11-01"}, headers=VIL
    )
    assert bad_reason.status_code == 422
    statuses = [
        h["after"]
        for h in client.get(f"{path}/history", headers=VIL).json()["items"]
        if h["field"] == "status"
    ]
    assert statuses == ["active", "lapsed", "active", "deceased"]
    entries = client.get(f"{path}/history", headers=VIL).json()["items"]
    effective = [h for h in entries if h["field"] == "status_effective_date"]
    assert [(h["before"], h["after"]) for h in effective] == [(None, "2026-10-30")]
    actors = {h["actor"] for h in entries if h["field"] == "status"}
    assert actors == {"internal:client-test", "village:key-test"}


def test_worker_counts(service_client: ClientFactory) -> None:
    client = service_client("registry")
    a = _create(client)
    _create(client, nik=nik_for(2))
    _create(client, OTHER, village_code=OTHER_VILLAGE, nik=nik_for(3))
    client.post(f"/v1/workers/{a['id']}/coverage", json={"status": "active"}, headers=WRITER)
    counts = client.get("/v1/worker-counts", params={"area": "33.26.15"}, headers=READER)
    assert counts.status_code == 200, counts.text
    assert counts.json() == {
        "area": "33.26.15",
        "items": [
            {
                "village_code": VILLAGE,
                "registered": 1,
                "active": 1,
                "lapsed": 0,
                "inactive": 0,
                "deceased": 0,
            },
            {
                "village_code": OTHER_VILLAGE,
                "registered": 1,
                "active": 0,
                "lapsed": 0,
                "inactive": 0,
                "deceased": 0,
            },
        ],
    }
    reports = internal_headers(["reports:read"])
    assert len(client.get("/v1/worker-counts", params={"area": "33"}, headers=reports).json()["items"]) == 2
    own = client.get("/v1/worker-counts", params={"area": VILLAGE}, headers=VIL).json()
    assert [i["village_code"] for i in own["items"]] == [VILLAGE]
    # A village principal never sees another village's counts.
    assert client.get("/v1/worker-counts", params={"area": OTHER_VILLAGE}, headers=VIL).status_code == 404
    district = client.get("/v1/worker-counts", params={"area": "33.26.15"}, headers=VIL).json()
    assert [i["village_code"] for i in district["items"]] == [VILLAGE]
    assert (
        client.get(
            "/v1/worker-counts", params={"area": "33"}, headers=internal_headers(["funding:admin"])
        ).status_code
        == 403
    )
    assert client.get("/v1/worker-counts", params={"area": "3x"}, headers=READER).status_code == 422
    assert client.get("/v1/worker-counts", params={"area": "99"}, headers=READER).status_code == 404


def test_control_characters_are_refused_not_stored(service_client: ClientFactory) -> None:
    client = service_client("registry")
    for overrides in ({"name": "Siti\x00Aminah"}, {"lead_id": "l\x00"}, {"phone": "0812\x003456789"}):
        response = client.post("/v1/workers", json=worker_body(**overrides), headers=VIL)
        assert response.status_code == 422, (overrides, response.text)
    assert client.get("/v1/workers", params={"q": "ab\x00c"}, headers=VIL).status_code == 422
    assert client.get("/v1/workers/abc%00", headers=VIL).status_code in (404, 422)


def test_replacing_a_temporary_id_with_a_held_nik_is_409(service_client: ClientFactory) -> None:
    client = service_client("registry")
    nik = nik_for(7, day=17, month=5, yy=80)
    holder = _create(client, nik=nik, name="Budi Lain")
    temp = client.post("/v1/workers", json=temporary_body(), headers=VIL).json()
    response = client.patch(f"/v1/workers/{temp['id']}", json={"nik": nik}, headers=VIL)
    assert response.status_code == 409
    assert response.json()["existing_worker_id"] == holder["id"]
    assert client.get(f"/v1/workers/{temp['id']}", headers=VIL).json()["nik"] is None


def test_officers_mark_deceased_only_workers_they_registered(service_client: ClientFactory) -> None:
    client = service_client("registry")
    officer = officer_headers("7", [VILLAGE])
    substitute = officer_headers("8", [VILLAGE])
    by_village = _create(client)
    by_officer = _create(client, officer, nik=nik_for(3))
    deceased = {"reason": "deceased", "effective_date": "2026-10-30"}
    for worker, headers in ((by_village, officer), (by_officer, substitute)):
        refused = client.post(f"/v1/workers/{worker['id']}/deactivate", json=deceased, headers=headers)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert client.get(f"/v1/workers/{worker['id']}", headers=VIL).json()["status"] == "registered"
    own = client.post(f"/v1/workers/{by_officer['id']}/deactivate", json=deceased, headers=officer)
    assert own.status_code == 200 and own.json()["status"] == "deceased"
    village = client.post(f"/v1/workers/{by_village['id']}/deactivate", json=deceased, headers=VIL)
    assert village.status_code == 200 and village.json()["status"] == "deceased"
