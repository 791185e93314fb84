from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from services.common.wilayah import reference_village_codes
from tests.api.outreach.conftest import ADMIN, JAVA, JAVA_OTHER, REPORTS, OfficerMaker
from tests.outreach_support import FakeRegistry, lead_item
from tests.support import internal_headers, officer_headers, village_headers

YEAR = dt.date.today().year
CONVERT = {"declared_income_idr": 2_000_000, "programs": ["JKK", "JKM"], "nik": "3326154101900001"}


def villages_under(prefix: str) -> int:
    return sum(1 for code in reference_village_codes() if code.startswith(prefix))


def test_done_scenario_progress_of_one_village(
    outreach: TestClient, make_officer: OfficerMaker, registry: FakeRegistry
) -> None:
    _, headers = make_officer(JAVA)
    leads = [lead_item(JAVA, name=f"Calon {i}") for i in range(3)]
    synced = outreach.post("/v1/sync", json={"leads": leads}, headers=headers).json()["leads"]
    assert (
        outreach.post(f"/v1/leads/{synced[0]['id']}/convert", json=CONVERT, headers=headers).status_code
        == 200
    )
    progress = outreach.get("/v1/outreach-progress", params={"area": JAVA, "year": YEAR}, headers=REPORTS)
    assert progress.status_code == 200, progress.text
    body = progress.json()
    assert {
        k: body[k]
        for k in ("area", "level", "target", "covered", "registered", "leads", "conversions", "ratio")
    } == {
        "area": JAVA,
        "level": "village",
        "target": 100,
        "covered": 0,
        "registered": 1,
        "leads": 3,
        "conversions": 1,
        "ratio": 0.0,
    }
    assert body["children"] == [] and body["counts_refreshed_at"] is not None
    method, caller, params = registry.calls[-1]
    assert method == "GET /v1/worker-counts" and params == {"area": JAVA}
    assert (
        caller.kind == "internal"
        and caller.subject == "outreach"
        and caller.scopes == frozenset({"reports:read"})
    )


def test_rollup_by_prefix_uses_every_village_of_the_area(
    outreach: TestClient, make_officer: OfficerMaker, registry: FakeRegistry
) -> None:
    _, headers = make_officer(JAVA, JAVA_OTHER)
    outreach.post(
        "/v1/sync", json={"leads": [lead_item(JAVA), lead_item(JAVA), lead_item(JAVA_OTHER)]}, headers=headers
    )
    assert (
        outreach.put(
            f"/v1/outreach-targets/{JAVA}", params={"year": YEAR}, json={"target": 150}, headers=ADMIN
        ).status_code
        == 200
    )
    assert (
        outreach.put(
            f"/v1/outreach-targets/{JAVA_OTHER}",
            params={"year": YEAR + 1},
            json={"target": 10},
            headers=ADMIN,
        ).status_code
        == 200
    )
    for _ in range(3):
        registry.add_worker(JAVA, "active")
    registry.add_worker(JAVA, "lapsed")
    registry.add_worker(JAVA_OTHER, "active")
    registry.add_worker(JAVA_OTHER, "inactive")
    registry.add_worker("33.26.14.2001", "active")  # another district

    district = outreach.get(
        "/v1/outreach-progress", params={"area": "33.26.15", "year": YEAR}, headers=REPORTS
    ).json()
    villages = villages_under("33.26.15.")
    assert villages > 2
    assert district["target"] == 100 * villages + 50
    assert (district["covered"], district["registered"], district["leads"], district["conversions"]) == (
        4,
        5,
        3,
        0,
    )
    assert len(district["children"]) == villages
    by_code = {child["area"]: child for child in district["children"]}
    assert by_code[JAVA]["target"] == 150 and by_code[JAVA]["covered"] == 3 and by_code[JAVA]["ratio"] == 0.02
    assert by_code[JAVA_OTHER]["target"] == 100 and by_code[JAVA_OTHER]["registered"] == 1

    regency = outreach.get(
        "/v1/outreach-progress", params={"area": "33.26", "year": YEAR}, headers=REPORTS
    ).json()
    assert regency["target"] == 100 * villages_under("33.26.") + 50
    assert regency["covered"] == 5  # includes 33.26.14
    children = {child["area"]: child for child in regency["children"]}
    assert children["33.26.15"]["covered"] == 4 and children["33.26.14"]["covered"] == 1
    assert children["33.26.15"]["target"] == district["target"]

    country = outreach.get("/v1/outreach-progress", params={"year": YEAR}, headers=REPORTS).json()
    assert country["area"] == "ID" and country["name"] == "Indonesia" and len(country["children"]) == 38
    assert {c["area"]: c["name"] for c in country["children"]}["33"].upper() == "JAWA TENGAH"
    assert country["target"] == 100 * len(reference_village_codes()) + 50
    assert {c["area"]: c for c in country["children"]}["33"]["leads"] == 3

    next_year = outreach.get(
        "/v1/outreach-progress", params={"area": "33.26.15", "year": YEAR + 1}, headers=REPORTS
    ).json()
    assert next_year["target"] == 100 * villages - 90 and next_year["leads"] == 0


def test_progress_tenancy_and_validation(outreach: TestClient, make_officer: OfficerMaker) -> None:
    assert (
        outreach.get(
            "/v1/outreach-progress", params={"area": JAVA}, headers=village_headers(JAVA)
        ).status_code
        == 200
    )
    assert (
        outreach.get(
            "/v1/outreach-progress", params={"area": JAVA_OTHER}, headers=village_headers(JAVA)
        ).status_code
        == 404
    )
    assert (
        outreach.get(
            "/v1/outreach-progress", params={"area": "33.26.15"}, headers=village_headers(JAVA)
        ).status_code
        == 404
    )
    assert outreach.get("/v1/outreach-progress", headers=village_headers(JAVA)).status_code == 404
    assert (
        outreach.get(
            "/v1/outreach-progress", params={"area": JAVA}, headers=officer_headers("1", [JAVA])
        ).status_code
        == 200
    )
    assert (
        outreach.get(
            "/v1/outreach-progress", params={"area": JAVA_OTHER}, headers=officer_headers("1", [JAVA])
        ).status_code
        == 404
    )
    assert (
        outreach.get(
            "/v1/outreach-progress", params={"area": JAVA}, headers=internal_headers(["funding:admin"])
        ).status_code
        == 403
    )
    for bad in ("33.26.1", "99", "33.26.15.9999"):
        response = outreach.get("/v1/outreach-progress", params={"area": bad}, headers=REPORTS)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "area", bad


def test_progress_uses_stale_counts_when_registry_is_down(service_client: object) -> None:
    outreach = service_client(  # type: ignore[operator]
        "outreach", registry_url="http://127.0.0.1:9", counts_source="registry"
    )
    response = outreach.get("/v1/outreach-progress", params={"area": JAVA}, headers=REPORTS)
    assert response.status_code == 200 and response.json()["counts_refreshed_at"] is None


def test_targets(outreach: TestClient) -> None:
    url = f"/v1/outreach-targets/{JAVA}"
    default = outreach.get(url, params={"year": YEAR}, headers=REPORTS).json()
    assert default == {"village_code": JAVA, "year": YEAR, "target": 100, "is_default": True}
    assert outreach.put(url, params={"year": YEAR}, json={"target": 120}, headers=REPORTS).status_code == 403
    assert (
        outreach.put(
            url, params={"year": YEAR}, json={"target": 120}, headers=village_headers(JAVA)
        ).status_code
        == 403
    )
    assert outreach.put(url, params={"year": YEAR}, json={"target": -1}, headers=ADMIN).status_code == 422
    assert outreach.put(url, json={"target": 120}, headers=ADMIN).status_code == 422  # year is required
    assert (
        outreach.put(
            "/v1/outreach-targets/33.26.15.9999", params={"year": YEAR}, json={"target": 1}, headers=ADMIN
        ).status_code
        == 422
    )
    assert (
        outreach.put(url, params={"year": YEAR}, json={"target": 120}, headers=ADMIN).json()["target"] == 120
    )
    assert (
        outreach.put(url, params={"year": YEAR}, json={"target": 130}, headers=ADMIN).json()["target"] == 130
    )
    assert outreach.get(url, params={"year": YEAR}, headers=village_headers(JAVA)).json()["target"] == 130
    assert outreach.get(url, params={"year": YEAR}, headers=village_headers(JAVA_OTHER)).status_code == 404


def test_officer_progress(outreach: TestClient, make_officer: OfficerMaker, registry: FakeRegistry) -> None:
    first, first_headers = make_officer(JAVA)
    second, second_headers = make_officer(JAVA_OTHER)
    one = outreach.post(
        "/v1/sync", json={"leads": [lead_item(JAVA), lead_item(JAVA)]}, headers=first_headers
    ).json()
    outreach.post("/v1/sync", json={"leads": [lead_item(JAVA_OTHER)]}, headers=second_headers)
    outreach.post(f"/v1/leads/{one['leads'][0]['id']}/convert", json=CONVERT, headers=first_headers)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    held = {
        "village_code": JAVA,
        "starts_at": past.isoformat(),
        "ends_at": (past + dt.timedelta(hours=1)).isoformat(),
        "venue": "Balai",
        "kind": "sosialisasi",
        "recorded": True,
    }
    assert outreach.post("/v1/outreach-sessions", json=held, headers=first_headers).status_code == 201
    page = outreach.get(
        "/v1/outreach-progress/officers", params={"area": "33.26.15", "year": YEAR}, headers=REPORTS
    ).json()
    rows = {row["officer_id"]: row for row in page["items"]}
    assert (rows[first]["leads"], rows[first]["conversions"], rows[first]["sessions_held"]) == (2, 1, 1)
    assert (rows[second]["leads"], rows[second]["conversions"], rows[second]["sessions_held"]) == (1, 0, 0)
    only_java = outreach.get(
        "/v1/outreach-progress/officers", params={"area": JAVA, "year": YEAR}, headers=REPORTS
    ).json()
    assert [row["officer_id"] for row in only_java["items"]] == [first]
    assert outreach.get("/v1/outreach-progress/officers", headers=first_headers).status_code == 403
