from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.api.outreach.conftest import ADMIN, JAVA, JAVA_OTHER, REPORTS, OfficerMaker
from tests.outreach_support import future
from tests.support import create_component_app, live_server, village_headers

PAPUA = "91.03.01.2004"
BALI = "51.01.01.1006"


def session_body(village: str = JAVA, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "village_code": village,
        "starts_at": future(3, 9),
        "ends_at": future(3, 11),
        "venue": "Balai Desa",
        "kind": "sosialisasi",
        "co_hosts": [
            {"role": "kepala_desa", "name": "Pak Slamet"},
            {"role": "babinsa", "name": "Serda Joko"},
        ],
    }
    body.update(overrides)
    return body


def test_schedule_answers_in_village_offset(outreach: TestClient, make_officer: OfficerMaker) -> None:
    _, headers = make_officer(JAVA, PAPUA, BALI)
    expected = {
        JAVA: ("+07:00", "Asia/Jakarta"),
        PAPUA: ("+09:00", "Asia/Jayapura"),
        BALI: ("+08:00", "Asia/Makassar"),
    }
    for day, (village, (offset, zone)) in enumerate(expected.items(), start=2):
        # Sent in UTC, answered in the village's own offset.
        body = session_body(village, starts_at=future(day, 2, "Z"), ends_at=future(day, 4, "Z"))
        created = outreach.post("/v1/outreach-sessions", json=body, headers=headers)
        assert created.status_code == 201, created.text
        session = created.json()
        assert session["starts_at"].endswith(offset) and session["timezone"] == zone
        assert dt.datetime.fromisoformat(session["starts_at"]) == dt.datetime.fromisoformat(
            body["starts_at"].replace("Z", "+00:00")
        )
        assert session["status"] == "scheduled" and session["co_hosts"][1]["role"] == "babinsa"


def test_scheduling_refusals(outreach: TestClient, make_officer: OfficerMaker) -> None:
    officer_id, headers = make_officer(JAVA)
    post = lambda body: outreach.post("/v1/outreach-sessions", json=body, headers=headers)  # noqa: E731
    assert post(session_body()).status_code == 201
    overlap = post(session_body(starts_at=future(3, 10), ends_at=future(3, 12)))
    assert overlap.status_code == 409 and "conflicting_session_id" in overlap.json()
    # Touching end-to-start is not an overlap.
    assert post(session_body(starts_at=future(3, 11), ends_at=future(3, 12))).status_code == 201
    other_village = post(session_body(JAVA_OTHER, starts_at=future(4, 9), ends_at=future(4, 10)))
    assert other_village.status_code == 422 and other_village.json()["errors"][0]["field"] == "village_code"
    backwards = post(session_body(starts_at=future(5, 11), ends_at=future(5, 9)))
    assert backwards.status_code == 422
    naive = post(session_body(starts_at="2026-12-30T09:00:00", ends_at="2026-12-30T10:00:00"))
    assert naive.status_code == 422
    past = session_body(starts_at=future(-2, 9), ends_at=future(-2, 10))
    assert post(past).status_code == 422
    recorded = post({**past, "recorded": True})
    assert recorded.status_code == 201 and recorded.json()["status"] == "held"
    assert (
        post(
            session_body(officer_id=officer_id + 1, starts_at=future(6, 9), ends_at=future(6, 10))
        ).status_code
        == 403
    )
    assert (
        outreach.post("/v1/outreach-sessions", json=session_body(), headers=village_headers(JAVA)).status_code
        == 403
    )
    assert (
        outreach.post(
            "/v1/outreach-sessions", json=session_body(officer_id=officer_id), headers=REPORTS
        ).status_code
        == 403
    )


def test_assignment_dates_use_village_local_date(outreach: TestClient) -> None:
    officer = outreach.post(
        "/v1/officers",
        json={"nrp": "77778888", "name": "A", "rank": "Brigpol", "unit": "Polsek"},
        headers=ADMIN,
    ).json()
    day = dt.date.today() + dt.timedelta(days=10)
    outreach.post(
        f"/v1/officers/{officer['id']}/assignments",
        json={"village_code": PAPUA, "valid_from": day.isoformat(), "valid_to": day.isoformat()},
        headers=ADMIN,
    )
    # 16:00 UTC the day before is 01:00 on ``day`` in Papua (+09:00): inside the assignment.
    before = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(16), tzinfo=dt.UTC)
    body = session_body(
        PAPUA,
        officer_id=officer["id"],
        starts_at=before.isoformat(),
        ends_at=(before + dt.timedelta(hours=2)).isoformat(),
    )
    assert outreach.post("/v1/outreach-sessions", json=body, headers=ADMIN).status_code == 201
    earlier = before - dt.timedelta(hours=3)  # 22:00 the day before in Papua
    body = {
        **body,
        "starts_at": earlier.isoformat(),
        "ends_at": (earlier + dt.timedelta(hours=1)).isoformat(),
    }
    assert outreach.post("/v1/outreach-sessions", json=body, headers=ADMIN).status_code == 422


def test_reschedule_and_cancel_keep_history(outreach: TestClient, make_officer: OfficerMaker) -> None:
    _, headers = make_officer(JAVA)
    session = outreach.post("/v1/outreach-sessions", json=session_body(), headers=headers).json()
    url = f"/v1/outreach-sessions/{session['id']}"
    assert (
        outreach.patch(
            url, json={"starts_at": future(4, 9), "ends_at": future(4, 10)}, headers=headers
        ).status_code
        == 422
    )
    moved = outreach.patch(
        url,
        json={"starts_at": future(4, 9), "ends_at": future(4, 10), "reason": "kepala desa ke kabupaten"},
        headers={**headers, "If-Match": 'W/"1"'},
    )
    assert moved.status_code == 200 and moved.json()["version"] == 2 and moved.headers["ETag"] == 'W/"2"'
    stale = outreach.patch(
        url, json={"venue": "Masjid", "reason": "hujan"}, headers={**headers, "If-Match": 'W/"1"'}
    )
    assert stale.status_code == 412
    # The freed slot can be booked again; moving onto a booked slot is a 409.
    assert outreach.post("/v1/outreach-sessions", json=session_body(), headers=headers).status_code == 201
    clash = outreach.patch(
        url, json={"starts_at": future(3, 10), "ends_at": future(3, 12), "reason": "ganti"}, headers=headers
    )
    assert clash.status_code == 409
    cancelled = outreach.post(f"{url}/cancel", json={"reason": "banjir"}, headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert outreach.post(f"{url}/cancel", json={"reason": "banjir"}, headers=headers).status_code == 409
    history = outreach.get(f"{url}/history", headers=headers).json()
    assert [h["action"] for h in history] == ["scheduled", "rescheduled", "cancelled"]
    assert history[1]["reason"] == "kepala desa ke kabupaten" and history[2]["reason"] == "banjir"
    # A cancelled session no longer blocks its slot.
    assert (
        outreach.post(
            "/v1/outreach-sessions",
            json=session_body(starts_at=future(4, 9), ends_at=future(4, 10)),
            headers=headers,
        ).status_code
        == 201
    )


def test_session_tenancy(outreach: TestClient, make_officer: OfficerMaker) -> None:
    _, mine = make_officer(JAVA)
    _, other = make_officer(JAVA)
    session = outreach.post("/v1/outreach-sessions", json=session_body(), headers=mine).json()
    url = f"/v1/outreach-sessions/{session['id']}"
    assert outreach.get(url, headers=other).status_code == 404
    assert outreach.patch(url, json={"venue": "X", "reason": "mine now"}, headers=other).status_code == 404
    assert outreach.post(f"{url}/cancel", json={"reason": "nope"}, headers=other).status_code == 404
    assert outreach.get(url, headers=village_headers(JAVA)).status_code == 200
    assert outreach.get(url, headers=village_headers(JAVA_OTHER)).status_code == 404
    assert (
        outreach.post(f"{url}/cancel", json={"reason": "nope"}, headers=village_headers(JAVA)).status_code
        == 403
    )
    assert (
        outreach.post(
            f"{url}/cancel", json={"reason": "nope"}, headers=village_headers(JAVA_OTHER)
        ).status_code
        == 404
    )
    assert outreach.get("/v1/outreach-sessions", headers=other).json()["items"] == []
    assert len(outreach.get("/v1/outreach-sessions", headers=village_headers(JAVA)).json()["items"]) == 1
    assert outreach.get("/v1/outreach-sessions", headers=village_headers(JAVA_OTHER)).json()["items"] == []
    assert len(outreach.get("/v1/outreach-sessions", headers=ADMIN).json()["items"]) == 1


def test_list_filters_and_pagination(outreach: TestClient, make_officer: OfficerMaker) -> None:
    first, headers = make_officer(JAVA, JAVA_OTHER)
    for day in range(2, 7):
        village = JAVA if day % 2 else JAVA_OTHER
        body = session_body(village, starts_at=future(day, 9), ends_at=future(day, 10))
        assert outreach.post("/v1/outreach-sessions", json=body, headers=headers).status_code == 201
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = outreach.get("/v1/outreach-sessions", params=params, headers=ADMIN).json()
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen)
    java = outreach.get("/v1/outreach-sessions", params={"village_code": JAVA}, headers=headers).json()[
        "items"
    ]
    assert len(java) == 2
    window = {"from": future(3, 0), "to": future(5, 0)}
    assert len(outreach.get("/v1/outreach-sessions", params=window, headers=ADMIN).json()["items"]) == 2
    assert (
        len(
            outreach.get("/v1/outreach-sessions", params={"officer_id": first + 100}, headers=ADMIN).json()[
                "items"
            ]
        )
        == 0
    )
    assert (
        outreach.get(
            "/v1/outreach-sessions", params={"from": "2026-01-01T00:00:00"}, headers=ADMIN
        ).status_code
        == 422
    )


def test_concurrent_double_booking_yields_one_session(
    database_url: Any, make_officer: OfficerMaker, outreach: TestClient
) -> None:
    officer_id, _ = make_officer(JAVA)
    app = create_component_app("outreach", database_url("outreach"))
    statuses: list[int] = []
    with live_server(app) as base:
        barrier = threading.Barrier(6)

        def book(hour: int) -> None:
            body = session_body(officer_id=officer_id, starts_at=future(7, hour), ends_at=future(7, hour + 2))
            barrier.wait()
            statuses.append(
                httpx.post(f"{base}/v1/outreach-sessions", json=body, headers=ADMIN, timeout=30).status_code
            )

        threads = [threading.Thread(target=book, args=(9 + (i % 2),)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(statuses) == [201, 409, 409, 409, 409, 409]
    items = outreach.get("/v1/outreach-sessions", params={"officer_id": officer_id}, headers=ADMIN).json()[
        "items"
    ]
    assert len(items) == 1


def test_calendar_feed(outreach: TestClient, make_officer: OfficerMaker) -> None:
    from icalendar import Calendar

    officer_id, headers = make_officer(PAPUA)
    _, other = make_officer(PAPUA)
    outreach.post(
        "/v1/outreach-sessions",
        json=session_body(PAPUA, starts_at=future(3, 9, "+09:00"), ends_at=future(3, 11, "+09:00")),
        headers=headers,
    )
    response = outreach.get(f"/v1/officers/{officer_id}/calendar.ics", headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    start = events[0].decoded("dtstart")
    assert str(start.tzinfo) == "Asia/Jayapura" and start.hour == 9
    assert b"TZID=Asia/Jayapura" in response.content and b"BEGIN:VTIMEZONE" in response.content
    assert outreach.get(f"/v1/officers/{officer_id}/calendar.ics", headers=other).status_code == 404
    assert outreach.get(f"/v1/officers/{officer_id}/calendar.ics", headers=ADMIN).status_code == 200
    assert (
        outreach.get(f"/v1/officers/{officer_id}/calendar.ics", headers=village_headers(PAPUA)).status_code
        == 404
    )


def test_idempotency_key_replays_the_scheduled_session(
    outreach: TestClient, make_officer: OfficerMaker
) -> None:
    _, headers = make_officer(JAVA)
    keyed = {**headers, "Idempotency-Key": "phone-retry-0001"}
    first = outreach.post("/v1/outreach-sessions", json=session_body(), headers=keyed)
    again = outreach.post("/v1/outreach-sessions", json=session_body(), headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers.get("Idempotent-Replayed") == "true"
    other_body = outreach.post("/v1/outreach-sessions", json=session_body(venue="Masjid"), headers=keyed)
    assert other_body.status_code == 422
