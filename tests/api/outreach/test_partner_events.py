"""Outreach's partner-visible events: ``session.scheduled`` when a session is planned (not when a held
one is recorded) and ``session.cancelled`` with the reason, written with the change."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from services.common.db import create_db_engine
from services.common.partner_events import SessionCancelledData, SessionScheduledData
from tests.api.outreach.conftest import JAVA, OfficerMaker
from tests.outreach_support import future


def session_events(client: TestClient) -> list[tuple[str, str, str, dict[str, Any]]]:
    engine = create_db_engine(client.app.state.settings.database_url)  # type: ignore[attr-defined]
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT type, aggregate_id, village_code, data FROM outbox "
                    "WHERE type LIKE 'session.%' ORDER BY seq"
                )
            ).all()
    finally:
        engine.dispose()
    return [(str(r[0]), str(r[1]), str(r[2]), json.loads(r[3])) for r in rows]


def test_scheduling_and_cancelling_a_session_are_published(
    outreach: TestClient, make_officer: OfficerMaker
) -> None:
    officer_id, headers = make_officer(JAVA)
    body = {
        "village_code": JAVA,
        "starts_at": future(3, 9),
        "ends_at": future(3, 11),
        "venue": "Balai Desa",
        "kind": "sosialisasi",
        "co_hosts": [],
    }
    created = outreach.post("/v1/outreach-sessions", json=body, headers=headers)
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    refused = outreach.post("/v1/outreach-sessions", json=body, headers=headers)  # double-booked
    assert refused.status_code == 409
    [(kind, aggregate, village, data)] = session_events(outreach)
    assert (kind, aggregate, village) == ("session.scheduled", str(session_id), JAVA)
    scheduled = SessionScheduledData.model_validate(data)
    assert (scheduled.session_id, scheduled.officer_id, scheduled.venue) == (
        session_id,
        officer_id,
        "Balai Desa",
    )

    cancelled = outreach.post(
        f"/v1/outreach-sessions/{session_id}/cancel",
        json={"reason": "banjir"},
        headers=headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    events = session_events(outreach)
    assert [e[0] for e in events] == ["session.scheduled", "session.cancelled"]
    assert SessionCancelledData.model_validate(events[1][3]).reason == "banjir"
