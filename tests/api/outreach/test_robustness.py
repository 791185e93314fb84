"""Hostile inputs get problems (4xx), never a 5xx, on both databases."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.api.outreach.conftest import ADMIN, JAVA, OfficerMaker
from tests.outreach_support import future, lead_item

HUGE = 2**63


def test_out_of_range_ids_and_nul_characters(outreach: TestClient, make_officer: OfficerMaker) -> None:
    _, headers = make_officer(JAVA)
    cases = [
        ("GET", f"/v1/officers/{HUGE}", None, ADMIN),
        ("GET", f"/v1/outreach-sessions/{HUGE}", None, ADMIN),
        ("GET", f"/v1/leads/{HUGE}", None, ADMIN),
        ("GET", "/v1/outreach-sessions", {"officer_id": HUGE}, ADMIN),
        ("GET", "/v1/outreach-sessions", {"village_code": "33\x00"}, ADMIN),
        ("GET", "/v1/outreach-progress", {"area": "3\x00"}, ADMIN),
        ("GET", "/v1/outreach-sessions", {"from": "0001-01-01T00:00:00+14:00"}, ADMIN),
    ]
    for method, url, params, hdrs in cases:
        response = outreach.request(method, url, params=params, headers=hdrs)
        assert 400 <= response.status_code < 500, (url, params, response.status_code, response.text)
    bodies = [
        ("/v1/officers", {"nrp": "12345678", "name": "A\x00", "rank": "B", "unit": "C"}),
        (
            "/v1/outreach-sessions",
            {
                "village_code": JAVA,
                "starts_at": future(3, 9),
                "ends_at": future(3, 10),
                "venue": "\x00",
                "kind": "sosialisasi",
            },
        ),
        (
            "/v1/outreach-sessions",
            {
                "village_code": JAVA,
                "starts_at": "0001-01-01T00:00:00+14:00",
                "ends_at": future(3, 10),
                "venue": "V",
                "kind": "sosialisasi",
            },
        ),
        (
            "/v1/outreach-sessions",
            {
                "village_code": JAVA,
                "officer_id": HUGE,
                "starts_at": future(3, 9),
                "ends_at": future(3, 10),
                "venue": "V",
                "kind": "sosialisasi",
            },
        ),
    ]
    for url, body in bodies:
        response = outreach.post(url, json=body, headers=ADMIN if url == "/v1/officers" else headers)
        assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
    batch = {
        "leads": [lead_item(JAVA, name="A\x00"), lead_item(JAVA, session_id=HUGE), 42, None],
        "attendance": [{"client_id": str(uuid.uuid4()), "session_id": HUGE, "name": "A"}, []],
    }
    result = outreach.post("/v1/sync", json=batch, headers=headers)
    assert result.status_code == 200, result.text
    assert {r["status"] for r in result.json()["leads"] + result.json()["attendance"]} == {"rejected"}
