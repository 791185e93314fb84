"""Officers' subscribable calendar feeds: made and revoked by the officer (or outreach:admin), read by
calendar apps with no login, through the gateway too; only the officer's own sessions in their villages."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from services.common.logging import NikMaskingFilter, mask_log_text
from tests.api.outreach.conftest import ADMIN, JAVA, JAVA_OTHER, REPORTS, OfficerMaker, Registry
from tests.concurrency_support import together
from tests.outreach_support import future
from tests.support import anonymous_headers, create_component_app, live_server, village_headers

ANONYMOUS = anonymous_headers()
PAPUA = "91.03.01.2004"


def session_body(village: str = JAVA, days: int = 3, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "village_code": village,
        "starts_at": future(days, 9),
        "ends_at": future(days, 11),
        "venue": "Balai Desa",
        "kind": "sosialisasi",
        "co_hosts": [{"role": "kepala_desa", "name": "Pak Slamet"}],
    }
    body.update(overrides)
    return body


def schedule(outreach: TestClient, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    response = outreach.post("/v1/outreach-sessions", json=session_body(**kwargs), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def make_feed(outreach: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = outreach.post("/v1/me/calendar-feed", headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    feed: dict[str, Any] = response.json()
    return feed


def read(outreach: TestClient, feed: dict[str, Any], **headers: str) -> Any:
    return outreach.get(feed["path"], headers={**ANONYMOUS, **headers})


def events(response: Any) -> list[Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["version"]) == "2.0" and calendar["prodid"]
    return list(calendar.walk("VEVENT"))


def uid(session_id: int) -> str:
    return f"outreach-session-{session_id}@sasar"


def assert_problem(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_officer_feed_holds_own_sessions_in_utc_without_login(
    outreach: TestClient, make_officer: OfficerMaker
) -> None:
    officer_id, headers = make_officer(JAVA, PAPUA)
    _, colleague = make_officer(JAVA)  # same village, another officer
    mine = schedule(outreach, headers)
    in_papua = schedule(
        outreach, headers, village=PAPUA, starts_at=future(4, 9, "+09:00"), ends_at=future(4, 11, "+09:00")
    )
    theirs = schedule(outreach, colleague, days=5)

    feed = make_feed(outreach, headers)
    assert feed["path"].startswith("/v1/calendar-feeds/cf_") and feed["path"].endswith(".ics")
    assert feed["url"].endswith(feed["path"]) and feed["url"].startswith("http")
    assert len(feed["path"]) > len("/v1/calendar-feeds/cf_.ics") + 40  # 256 random bits

    found = {str(e["uid"]): e for e in events(read(outreach, feed))}
    assert set(found) == {uid(mine["id"]), uid(in_papua["id"])}
    assert uid(theirs["id"]) not in found
    event = found[uid(mine["id"])]
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    # Sent as 09:00 WIB (+07:00): written in UTC, 02:00Z.
    assert start.utcoffset() == dt.timedelta(0) and start.hour == 2 and end.hour == 4
    assert start == dt.datetime.fromisoformat(mine["starts_at"])
    papua = found[uid(in_papua["id"])]
    assert papua.decoded("dtstart").hour == 0  # 09:00 WIT (+09:00)
    assert "Wuled" in str(event["summary"]) and "Wuled" in str(event["location"])
    assert "Balai Desa" in str(event["location"])
    assert str(event["status"]) == "CONFIRMED" and int(event["sequence"]) == 0
    assert event.decoded("dtstamp").utcoffset() == dt.timedelta(0)
    # iCalendar times have whole seconds.
    modified = dt.datetime.fromisoformat(mine["updated_at"]).replace(microsecond=0)
    assert event.decoded("last-modified") == modified
    assert "09.00-11.00 WIB" in str(event["description"])
    # Times and lines as RFC 5545 writes them: UTC "Z" form, CRLF line ends, lines folded at 75 octets.
    assert b"\r\nDTSTART:" in read(outreach, feed).content and b"Z\r\n" in read(outreach, feed).content
    assert all(len(line) <= 75 for line in read(outreach, feed).content.split(b"\r\n"))

    # The colleague's feed shows only the colleague's session.
    other_feed = make_feed(outreach, colleague)
    assert [str(e["uid"]) for e in events(read(outreach, other_feed))] == [uid(theirs["id"])]
    # A service port reached without the gateway's principal yields nothing.
    assert_problem(outreach.get(feed["path"]), 401)
    assert officer_id


def test_cancelled_session_stays_as_cancelled_with_a_new_sequence(
    outreach: TestClient, make_officer: OfficerMaker
) -> None:
    _, headers = make_officer(JAVA)
    venue = 'Balai Desa, RT 02; Gg. "Mawar"\\'
    held = schedule(outreach, headers, venue=venue)
    feed = make_feed(outreach, headers)
    before = read(outreach, feed)
    assert b"Balai Desa\\, RT 02\\; Gg." in before.content  # RFC 5545 TEXT escaping
    assert str(events(before)[0]["location"]) == f"{venue}, Wuled (33.26.15.2001)"
    cancelled = outreach.post(
        f"/v1/outreach-sessions/{held['id']}/cancel", json={"reason": "banjir"}, headers=headers
    )
    assert cancelled.status_code == 200, cancelled.text
    after = read(outreach, feed)
    (event,) = events(after)
    assert str(event["uid"]) == uid(held["id"])
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) >= 1
    assert after.headers["etag"] != before.headers["etag"]


def test_etag_answers_not_modified_until_something_changes(
    outreach: TestClient, make_officer: OfficerMaker
) -> None:
    _, headers = make_officer(JAVA)
    schedule(outreach, headers)
    feed = make_feed(outreach, headers)
    first = read(outreach, feed)
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("private")
    assert read(outreach, feed).headers["etag"] == etag  # the same rows give the same body
    unchanged = read(outreach, feed, **{"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert read(outreach, feed, **{"If-None-Match": '"other"'}).status_code == 200
    schedule(outreach, headers, days=6)
    changed = read(outreach, feed, **{"If-None-Match": etag})
    assert changed.status_code == 200 and len(events(changed)) == 2


def test_revoking_and_replacing_stop_the_old_url(outreach: TestClient, make_officer: OfficerMaker) -> None:
    officer_id, headers = make_officer(JAVA)
    schedule(outreach, headers)
    first = make_feed(outreach, headers)
    second = make_feed(outreach, headers)  # replaces: the first URL stops working at once
    assert second["path"] != first["path"]
    assert_problem(read(outreach, first), 404)
    assert len(events(read(outreach, second))) == 1

    assert outreach.delete("/v1/me/calendar-feed", headers=headers).status_code == 204
    assert_problem(read(outreach, second), 404)
    assert_problem(outreach.delete("/v1/me/calendar-feed", headers=headers), 404)
    assert_problem(
        outreach.get("/v1/calendar-feeds/cf_never-issued-0000000000000000.ics", headers=ANONYMOUS), 404
    )

    # outreach:admin revokes any officer's feed; nobody else may.
    third = make_feed(outreach, headers)
    _, stranger = make_officer(JAVA)
    for refused in (headers, stranger, REPORTS, village_headers(JAVA)):
        response = outreach.delete(f"/v1/officers/{officer_id}/calendar-feed", headers=refused)
        assert_problem(response, 403)
    assert len(events(read(outreach, third))) == 1
    assert outreach.delete(f"/v1/officers/{officer_id}/calendar-feed", headers=ADMIN).status_code == 204
    assert_problem(read(outreach, third), 404)
    assert_problem(outreach.delete(f"/v1/officers/{officer_id}/calendar-feed", headers=ADMIN), 404)
    assert_problem(outreach.delete("/v1/officers/99999999/calendar-feed", headers=ADMIN), 404)


def test_simultaneous_creations_leave_one_working_url(
    outreach: TestClient,
    make_officer: OfficerMaker,
    database_url: Callable[[str], str],
    registry_server: Registry,
) -> None:
    _, headers = make_officer(JAVA)
    schedule(outreach, headers)
    app = create_component_app("outreach", database_url("outreach"), registry_url=registry_server.url)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        answers = together(6, lambda: client.post("/v1/me/calendar-feed", headers=headers))
        assert sorted(a.status_code for a in answers) == [201] * 6, [a.text for a in answers]
        working = [a.json() for a in answers if read(outreach, a.json()).status_code == 200]
    # The officer row lock serialises them: each revoked the one before, the last one made stands.
    assert len(working) == 1
    assert len(events(read(outreach, working[0]))) == 1


def test_only_officers_make_feeds(outreach: TestClient) -> None:
    for caller in (village_headers(JAVA), ADMIN, ANONYMOUS):
        response = outreach.post("/v1/me/calendar-feed", headers=caller)
        assert response.status_code in (401, 403), response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert_problem(outreach.post("/v1/me/calendar-feed", headers=village_headers(JAVA)), 403)
    assert_problem(outreach.post("/v1/me/calendar-feed", headers=ANONYMOUS), 401)


def test_sessions_outside_the_officers_assignments_leave_the_feed(
    outreach: TestClient, make_officer: OfficerMaker
) -> None:
    officer_id, headers = make_officer(JAVA, JAVA_OTHER)
    here = schedule(outreach, headers, days=2)
    there = schedule(outreach, headers, village=JAVA_OTHER, days=4)
    feed = make_feed(outreach, headers)
    assert {str(e["uid"]) for e in events(read(outreach, feed))} == {uid(here["id"]), uid(there["id"])}
    # The assignment to JAVA_OTHER ends tomorrow: the session in four days is no longer the officer's.
    assignments = outreach.get(f"/v1/officers/{officer_id}/assignments", headers=ADMIN).json()
    other = next(a for a in assignments if a["village_code"] == JAVA_OTHER)
    ended = outreach.post(
        f"/v1/officers/{officer_id}/assignments/{other['id']}/end",
        json={"valid_to": (dt.date.today() + dt.timedelta(days=1)).isoformat()},
        headers=ADMIN,
    )
    assert ended.status_code == 200, ended.text
    assert [str(e["uid"]) for e in events(read(outreach, feed))] == [uid(here["id"])]


def test_deactivated_or_unassigned_officer_gets_an_empty_calendar(
    outreach: TestClient, make_officer: OfficerMaker
) -> None:
    officer_id, headers = make_officer(JAVA)
    schedule(outreach, headers)
    feed = make_feed(outreach, headers)
    assert len(events(read(outreach, feed))) == 1
    current = outreach.get(f"/v1/officers/{officer_id}", headers=ADMIN)
    deactivated = outreach.patch(
        f"/v1/officers/{officer_id}",
        json={"active": False},
        headers={**ADMIN, "If-Match": current.headers["etag"]},
    )
    assert deactivated.status_code == 200, deactivated.text
    # Still a valid calendar, so subscribed apps clear the sessions instead of keeping a stale copy.
    assert events(read(outreach, feed)) == []
    assert_problem(outreach.post("/v1/me/calendar-feed", headers=headers), 403)

    _, unassigned = make_officer()
    assert events(read(outreach, make_feed(outreach, unassigned))) == []


def test_feed_secret_is_masked_in_the_logs(
    outreach: TestClient, make_officer: OfficerMaker, capsys: pytest.CaptureFixture[str]
) -> None:
    _, headers = make_officer(JAVA)
    feed = make_feed(outreach, headers)
    secret = feed["path"].removeprefix("/v1/calendar-feeds/").removesuffix(".ics")
    capsys.readouterr()
    assert read(outreach, feed).status_code == 200
    assert outreach.delete("/v1/me/calendar-feed", headers=headers).status_code == 204
    assert read(outreach, feed).status_code == 404
    logged = capsys.readouterr().out
    assert "/v1/calendar-feeds/***" in logged
    assert secret not in logged and secret[3:20] not in logged


def test_uvicorn_style_log_records_mask_the_secret() -> None:
    secret = "cf_" + "Ab3-_x" * 7
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/v1/calendar-feeds/{secret}.ics?x=1", "1.1", 200),
        None,
    )
    NikMaskingFilter().filter(record)
    assert secret not in record.getMessage() and "/v1/calendar-feeds/***?x=1" in record.getMessage()
    assert mask_log_text(f"detail: feed {secret} revoked") == "detail: feed cf_*** revoked"
    assert mask_log_text("/v1/areas/33.75") == "/v1/areas/33.75"


def test_feed_is_public_through_the_gateway(
    outreach: TestClient,
    make_officer: OfficerMaker,
    service_client: Callable[..., TestClient],
    database_url: Callable[[str], str],
    registry_server: Registry,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, headers = make_officer(JAVA)
    held = schedule(outreach, headers)
    feed = make_feed(outreach, headers)
    upstream_app = create_component_app(
        "outreach", database_url("outreach"), registry_url=registry_server.url
    )
    with live_server(upstream_app) as outreach_url:
        gateway = service_client(
            "gateway",
            outreach_url=outreach_url,
            registry_url=registry_server.url,
            funding_url=registry_server.url,
            webhooks_url=registry_server.url,
        )
        # No Authorization header at all, as a calendar app sends it.
        response = gateway.get(feed["path"])
        assert [str(e["uid"]) for e in events(response)] == [uid(held["id"])]
        assert response.headers["etag"] and "x-request-id" in response.headers
        assert (
            gateway.get(feed["path"], headers={"If-None-Match": response.headers["etag"]}).status_code == 304
        )
        # Only the feed is public: making one still needs an officer's login.
        assert_problem(gateway.post("/v1/me/calendar-feed"), 401)
        assert_problem(gateway.get("/v1/calendar-feeds/cf_unknown-00000000000000000000.ics"), 404)
        assert outreach.delete("/v1/me/calendar-feed", headers=headers).status_code == 204
        assert_problem(gateway.get(feed["path"]), 404)
    # Neither the gateway's nor the service's access log holds the secret.
    logged = capsys.readouterr().out
    assert '"component": "gateway"' in logged and "/v1/calendar-feeds/***" in logged
    assert feed["path"] not in logged and feed["path"][22:40] not in logged
