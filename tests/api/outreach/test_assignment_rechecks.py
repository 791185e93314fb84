"""An officer whose assignment ended, or who was deactivated, stops writing at once even though the token
still lists the village: the registry asks outreach before officer writes, outreach re-checks its own
assignments per synced item."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.common.timeutil import today_in_area
from tests.api.outreach.conftest import ADMIN, JAVA, JAVA_OTHER, OfficerMaker
from tests.outreach_support import lead_item
from tests.registry_support import nik_for, roster_csv, roster_row, temporary_body, worker_body
from tests.support import create_component_app, live_server, officer_headers

NOT_ASSIGNED = "you were not assigned to this village on that day (or the assignment has ended)"


@pytest.fixture
def registry_app(
    service_client: Callable[..., TestClient], database_url: Callable[[str], str], registry_url: str
) -> Iterator[TestClient]:
    """The real registry, asking a real outreach (same database as the ``outreach`` client) over HTTP,
    with no caching so each change is seen at once."""
    outreach_app = create_component_app("outreach", database_url("outreach"), registry_url=registry_url)
    with live_server(outreach_app) as outreach_url:
        yield service_client("registry", outreach_url=outreach_url, officer_check_ttl_seconds=0)


def _end_assignment(outreach: TestClient, officer_id: int, valid_to: dt.date) -> None:
    [assignment] = outreach.get(f"/v1/officers/{officer_id}/assignments", headers=ADMIN).json()
    ended = outreach.post(
        f"/v1/officers/{officer_id}/assignments/{assignment['id']}/end",
        json={"valid_to": valid_to.isoformat()},
        headers=ADMIN,
    )
    assert ended.status_code == 200, ended.text


def _register(registry: TestClient, headers: dict[str, str], serial: int) -> Any:
    body = worker_body(nik=nik_for(serial), village_code=JAVA)
    return registry.post("/v1/workers", json=body, headers=headers)


def test_registry_refuses_officers_whose_assignment_ended_or_who_were_deactivated(
    outreach: TestClient, make_officer: OfficerMaker, registry_app: TestClient
) -> None:
    registry = registry_app
    current_id, current = make_officer(JAVA)
    ended_id, ended = make_officer(JAVA)
    gone_id, gone = make_officer(JAVA)
    # Registered while still assigned, then the assignment ends / the officer is deactivated; the
    # tokens (headers) keep listing the village.
    earlier = _register(registry, ended, 1)
    assert earlier.status_code == 201, earlier.text
    _end_assignment(outreach, ended_id, today_in_area(JAVA) - dt.timedelta(days=1))
    assert outreach.patch(f"/v1/officers/{gone_id}", json={"active": False}, headers=ADMIN).status_code == 200

    for headers, serial in ((ended, 2), (gone, 3)):
        refused = _register(registry, headers, serial)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    worker_id = earlier.json()["id"]
    patch = registry.patch(f"/v1/workers/{worker_id}", json={"name": "Ganti Nama"}, headers=ended)
    assert patch.status_code == 403, patch.text
    deceased = {"reason": "deceased", "effective_date": "2026-10-30"}
    died = registry.post(f"/v1/workers/{worker_id}/deactivate", json=deceased, headers=ended)
    assert died.status_code == 403, died.text
    assert registry.get(f"/v1/workers/{worker_id}", headers=ended).json()["status"] == "registered"
    # A possible duplicate (same name, birth date and village as a temporary registration): an officer
    # no longer assigned cannot resolve it either.
    twin = temporary_body(name="Siti Aminah", sex="F", birth_date="1985-03-12", village_code=JAVA)
    assert registry.post("/v1/workers", json=twin, headers=current).status_code == 201
    [candidate] = registry.get("/v1/duplicate-candidates", headers=current).json()["items"]
    decision = {"decision": "different_people"}
    resolve = f"/v1/duplicate-candidates/{candidate['id']}/resolve"
    assert registry.post(resolve, json=decision, headers=ended).status_code == 403
    upload = registry.post(
        "/v1/worker-imports", files={"file": ("r.csv", roster_csv([roster_row(6)]))}, headers=ended
    )
    assert upload.status_code == 403, upload.text
    # Reading stays possible with the still-valid token; the current officer writes as before.
    assert registry.get("/v1/workers", headers=ended).status_code == 200
    assert _register(registry, current, 4).status_code == 201
    # Another village the token never listed is still the domain's 422, not a call to outreach.
    elsewhere = registry.post(
        "/v1/workers", json=worker_body(nik=nik_for(5), village_code=JAVA_OTHER), headers=current
    )
    assert elsewhere.status_code == 422
    assert current_id != ended_id


def test_registry_fails_closed_when_outreach_is_unreachable(
    service_client: Callable[..., TestClient],
) -> None:
    registry = service_client("registry", outreach_url="http://127.0.0.1:9", outreach_timeout_seconds=0.5)
    response = _register(registry, officer_headers("7", [JAVA]), 1)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert registry.get("/v1/workers", headers=officer_headers("7", [JAVA])).json()["items"] == []


def test_sync_rejects_items_the_assignment_no_longer_covers(
    outreach: TestClient, make_officer: OfficerMaker
) -> None:
    ended_id, ended = make_officer(JAVA)
    gone_id, gone = make_officer(JAVA)
    today = today_in_area(JAVA)
    _end_assignment(outreach, ended_id, today - dt.timedelta(days=1))
    now = dt.datetime.now(dt.UTC)
    captured_while_assigned = (now - dt.timedelta(days=2)).isoformat()
    batch = {
        "leads": [
            lead_item(JAVA, consent_given_at=now.isoformat()),  # after the assignment ended
            lead_item(JAVA, consent_given_at=captured_while_assigned),  # offline capture, synced late
        ]
    }
    result = outreach.post("/v1/sync", json=batch, headers=ended)
    assert result.status_code == 200, result.text
    leads = result.json()["leads"]
    assert [r["status"] for r in leads] == ["rejected", "created"]
    assert leads[0]["errors"] == [{"field": "village_code", "reason": NOT_ASSIGNED}]
    # Long after the end, even a capture dated inside the assignment is refused (no backdating).
    _end_assignment(outreach, ended_id, today - dt.timedelta(days=10))
    late = {"leads": [lead_item(JAVA, consent_given_at=(now - dt.timedelta(days=12)).isoformat())]}
    [refused] = outreach.post("/v1/sync", json=late, headers=ended).json()["leads"]
    assert refused["status"] == "rejected" and refused["errors"][0]["reason"] == NOT_ASSIGNED
    # A deactivated officer's still-valid token syncs nothing.
    assert outreach.patch(f"/v1/officers/{gone_id}", json={"active": False}, headers=ADMIN).status_code == 200
    assert outreach.post("/v1/sync", json={"leads": [lead_item(JAVA)]}, headers=gone).status_code == 403


def test_converting_a_lead_needs_a_current_assignment(
    outreach: TestClient, make_officer: OfficerMaker
) -> None:
    officer_id, headers = make_officer(JAVA)
    created = outreach.post("/v1/sync", json={"leads": [lead_item(JAVA)]}, headers=headers).json()
    lead_id = created["leads"][0]["id"]
    _end_assignment(outreach, officer_id, today_in_area(JAVA) - dt.timedelta(days=1))
    convert = outreach.post(
        f"/v1/leads/{lead_id}/convert",
        json={"declared_income_idr": 2_000_000, "programs": ["JKK", "JKM"], "nik": "3326154101900001"},
        headers=headers,
    )
    assert convert.status_code == 403, convert.text
    assert outreach.get(f"/v1/leads/{lead_id}", headers=ADMIN).json()["status"] == "open"


def test_the_internal_check_is_for_internal_callers_only(
    outreach: TestClient, make_officer: OfficerMaker
) -> None:
    officer_id, headers = make_officer(JAVA)
    path = f"/internal/officers/{officer_id}/assignments/{JAVA}"
    assert outreach.get(path, headers=headers).status_code == 403
    answer = outreach.get(path, headers=ADMIN).json()
    assert answer == {
        "officer_id": officer_id,
        "village_code": JAVA,
        "on": today_in_area(JAVA).isoformat(),
        "active": True,
        "assigned": True,
    }
    other = outreach.get(f"/internal/officers/{officer_id}/assignments/{JAVA_OTHER}", headers=ADMIN).json()
    assert other["active"] is True and other["assigned"] is False
    unknown = outreach.get(f"/internal/officers/999999/assignments/{JAVA}", headers=ADMIN).json()
    assert unknown["active"] is False and unknown["assigned"] is False
