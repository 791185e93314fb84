"""Lists integrators sync from: officers, sessions and leads in creation order, `sort`,
`updated_since`, ties (a synced batch of leads shares one timestamp), refusals, timestamps in the
village's offset (UTC `Z` for officers, who belong to no one village), tenancy."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from services.outreach.models import Officer, OutreachSession
from tests.api.outreach.conftest import ADMIN, JAVA, JAVA_OTHER, OfficerMaker
from tests.outreach_support import future, lead_item
from tests.support import village_headers
from tests.sync_support import check_openapi, check_refusals, check_sorts, check_ties, ids, walk

PAPUA = "91.03.01.2004"  # WIT, +09:00


def _session(outreach: TestClient, headers: dict[str, str], village: str, day: int) -> dict[str, Any]:
    body = {
        "village_code": village,
        "starts_at": future(day, 9),
        "ends_at": future(day, 11),
        "venue": "Balai Desa",
        "kind": "registration_desk",
    }
    response = outreach.post("/v1/outreach-sessions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_officers_are_non_village_resources_in_utc(
    outreach: TestClient, make_officer: OfficerMaker, database_url: Callable[[str], str]
) -> None:
    made = [make_officer()[0] for _ in range(4)]
    check_sorts(outreach, "/v1/officers", ADMIN, made)
    officer = walk(outreach, "/v1/officers", ADMIN)[0]
    assert officer["created_at"].endswith("Z") and officer["updated_at"].endswith("Z")
    check_refusals(outreach, "/v1/officers", ADMIN)
    check_ties(outreach, "/v1/officers", ADMIN, database_url("outreach"), Officer.__table__)  # type: ignore[arg-type]
    check_openapi(outreach, "/v1/officers")


def test_sessions_in_creation_order_in_the_village_offset(
    outreach: TestClient, make_officer: OfficerMaker, database_url: Callable[[str], str]
) -> None:
    _, headers = make_officer(PAPUA, JAVA)
    # Created out of start order: the list still follows creation.
    made = [_session(outreach, headers, PAPUA, day)["id"] for day in (5, 3, 4)]
    check_sorts(outreach, "/v1/outreach-sessions", ADMIN, made)
    papua = walk(outreach, "/v1/outreach-sessions", village_headers(PAPUA, subject="key-papua"))
    assert ids(papua) == made
    assert all(s["created_at"].endswith("+09:00") and s["updated_at"].endswith("+09:00") for s in papua)
    # Parts of a session take its village's offset too: its history and its attendance.
    history = outreach.get(f"/v1/outreach-sessions/{made[0]}/history", headers=headers).json()
    assert history and all(entry["at"].endswith("+09:00") for entry in history)
    attendee = {"client_id": str(uuid.uuid4()), "session_id": made[0], "name": "Yohana Wenda"}
    synced = outreach.post("/v1/sync", json={"attendance": [attendee]}, headers=headers)
    assert synced.status_code == 200, synced.text
    attendance = outreach.get(f"/v1/outreach-sessions/{made[0]}/attendance", headers=headers).json()["items"]
    assert [a["created_at"][-6:] for a in attendance] == ["+09:00"]
    check_refusals(outreach, "/v1/outreach-sessions", ADMIN)
    check_openapi(outreach, "/v1/outreach-sessions")
    check_ties(
        outreach,
        "/v1/outreach-sessions",
        ADMIN,
        database_url("outreach"),
        OutreachSession.__table__,  # type: ignore[arg-type]
    )


def test_a_synced_batch_of_leads_pages_through_its_shared_timestamp(
    outreach: TestClient, make_officer: OfficerMaker
) -> None:
    _, headers = make_officer(PAPUA)
    batch = {"leads": [lead_item(PAPUA, name=f"Warga {n}", phone=f"+62812000000{n:02d}") for n in range(7)]}
    synced = outreach.post("/v1/sync", json=batch, headers=headers)
    assert synced.status_code == 200, synced.text
    made = sorted(r["id"] for r in synced.json()["leads"])
    leads = walk(outreach, "/v1/leads", headers, limit=500)
    assert len({lead["updated_at"] for lead in leads}) == 1  # one statement, one instant
    assert all(lead["created_at"].endswith("+09:00") for lead in leads)
    for sort in ("created_at", "updated_at"):
        assert ids(walk(outreach, "/v1/leads", headers, sort=sort, limit=2)) == made
    assert ids(walk(outreach, "/v1/leads", headers, sort="-created_at", limit=3)) == made[::-1]
    since = leads[0]["updated_at"]  # in +09:00: the same instant as the stored UTC one
    assert ids(walk(outreach, "/v1/leads", headers, updated_since=since, limit=3)) == made
    check_refusals(outreach, "/v1/leads", headers)
    check_openapi(outreach, "/v1/leads")


def test_changes_show_up_in_updated_since_and_stay_in_their_village(
    outreach: TestClient, make_officer: OfficerMaker
) -> None:
    officer_id, headers = make_officer(JAVA, JAVA_OTHER)
    mine = _session(outreach, headers, JAVA, 3)
    theirs = _session(outreach, headers, JAVA_OTHER, 4)
    synced = outreach.post(
        "/v1/sync", json={"leads": [lead_item(JAVA, nik="3326154101900001")]}, headers=headers
    )
    lead_id = synced.json()["leads"][0]["id"]
    checkpoint = dt.datetime.now(dt.UTC).isoformat()
    # Booking takes the officer's row lock with a no-op UPDATE: that is no change of the officer.
    booked = _session(outreach, headers, JAVA, 6)
    assert walk(outreach, "/v1/officers", ADMIN, updated_since=checkpoint) == []
    cancelled = outreach.post(
        f"/v1/outreach-sessions/{mine['id']}/cancel", json={"reason": "banjir"}, headers=headers
    )
    assert cancelled.status_code == 200, cancelled.text
    outreach.post(f"/v1/outreach-sessions/{theirs['id']}/cancel", json={"reason": "banjir"}, headers=headers)
    converted = outreach.post(
        f"/v1/leads/{lead_id}/convert",
        json={"declared_income_idr": 2_000_000, "programs": ["JKK", "JKM"]},
        headers=headers,
    )
    assert converted.status_code == 200, converted.text
    assert converted.json()["converted_at"].endswith("+07:00")  # the lead's village, as in the lead itself
    java = village_headers(JAVA)
    changed = walk(outreach, "/v1/outreach-sessions", java, updated_since=checkpoint, sort="updated_at")
    # The new booking, then the cancellation; the other village's cancellation never shows here.
    assert [(s["id"], s["status"]) for s in changed] == [
        (booked["id"], "scheduled"),
        (mine["id"], "cancelled"),
    ]
    everywhere = walk(outreach, "/v1/outreach-sessions", ADMIN, updated_since=checkpoint)
    assert theirs["id"] in ids(everywhere)
    leads = walk(outreach, "/v1/leads", java, updated_since=checkpoint)
    assert [(lead["id"], lead["status"]) for lead in leads] == [(lead_id, "converted")]
    renamed = outreach.patch(
        f"/v1/officers/{officer_id}", json={"unit": "Polsek Rembang"}, headers={**ADMIN, "If-Match": 'W/"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    assert ids(walk(outreach, "/v1/officers", ADMIN, updated_since=checkpoint)) == [officer_id]
