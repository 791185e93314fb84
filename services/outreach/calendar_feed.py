"""Subscribable calendar feeds: a revocable secret URL per officer that calendar apps poll without logging in.

The secret is shown once, when the feed is created; only its SHA-256 is stored (it carries 256 random
bits, so a plain digest is as good as a slow hash and keeps the lookup one indexed equality). Creating a
feed again revokes the previous one, so a leaked URL is fixed by making a new one.

What a feed shows: the officer's own sessions (never another officer's) in villages they were assigned
to on the session's date, from :data:`HISTORY` ago onwards, cancelled ones included as
``STATUS:CANCELLED`` so subscribed apps drop them. Times are UTC (``…Z``): apps show them in the phone's
zone, and no ``VTIMEZONE`` has to be right. An officer who is deactivated, or has no assignment, gets a
valid **empty** calendar rather than an error: apps keep the last copy on an error but clear the events
of an empty feed, and an empty feed shows nothing of the villages' schedule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from icalendar import Calendar, Event, vDuration, vText
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common.problems import DEFAULT_PUBLIC_BASE_URL
from services.common.timeutil import to_area_time, today_in_area, utcnow
from services.common.wilayah import zone_abbreviation
from services.outreach import officers, progress
from services.outreach.calendar import PRODID, SESSION_TITLES
from services.outreach.exceptions import CalendarFeedNotFound
from services.outreach.models import CalendarFeed, Officer, OutreachSession
from services.outreach.schemas import OutreachSessionKind, OutreachSessionStatus

SECRET_PREFIX = "cf_"  # recognisable in a leak report, and masked in logs (services/common/logging.py)
FEED_PATH = "/v1/calendar-feeds/{secret}.ics"
# Past sessions older than this leave the feed: it stays small however long an officer serves.
HISTORY = dt.timedelta(days=180)
MAX_EVENTS = 2_000
# How often apps should poll (RFC 7986 REFRESH-INTERVAL, and the older X-PUBLISHED-TTL).
REFRESH_INTERVAL = dt.timedelta(hours=1)
UID_DOMAIN = "sasar"


@dataclass(frozen=True)
class IssuedFeed:
    feed: CalendarFeed
    secret: str

    @property
    def path(self) -> str:
        return FEED_PATH.format(secret=self.secret)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_url(path: str, public_base_url: str | None) -> str:
    """Absolute URL at the gateway (the service itself does not know the public host)."""
    return (public_base_url or DEFAULT_PUBLIC_BASE_URL).rstrip("/") + path


def _revoke_active(session: Session, officer_id: int, actor: str, now: dt.datetime) -> int:
    result = session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.officer_id == officer_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=actor)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def create_feed(session: Session, officer_id: int, actor: str) -> IssuedFeed:
    """A new feed for the officer; the one they had (if any) stops working in the same transaction."""
    # Two creations at once would both revoke and both insert: the officer's row lock serialises them.
    officers.lock_officer(session, officer_id)
    now = utcnow()
    _revoke_active(session, officer_id, actor, now)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    feed = CalendarFeed(officer_id=officer_id, secret_digest=digest(secret), created_at=now, created_by=actor)
    session.add(feed)
    session.flush()
    return IssuedFeed(feed=feed, secret=secret)


def revoke_feed(session: Session, officer_id: int, actor: str) -> None:
    """Revoke the officer's feed; 404 when they have none."""
    officers.lock_officer(session, officer_id)
    if _revoke_active(session, officer_id, actor, utcnow()) == 0:
        raise CalendarFeedNotFound("this officer has no calendar feed")
    session.flush()


def officer_for_secret(session: Session, secret: str) -> Officer:
    """The officer whose live feed this secret opens; 404 for a revoked, replaced or unknown one."""
    statement = (
        select(Officer)
        .join(CalendarFeed, CalendarFeed.officer_id == Officer.id)
        .where(CalendarFeed.secret_digest == digest(secret), CalendarFeed.revoked_at.is_(None))
    )
    officer = session.scalars(statement).first()
    if officer is None:
        # The same answer for every failure, and no part of the secret echoed back.
        raise CalendarFeedNotFound("no calendar feed at this address (revoked, replaced or never made)")
    return officer


def feed_sessions(
    session: Session, officer: Officer, *, now: dt.datetime | None = None
) -> list[OutreachSession]:
    """The officer's sessions the feed shows (see the module docstring), in start order."""
    if not officer.active:
        return []
    spans = officers.assignment_spans(session, officer.id)
    if not spans:
        return []
    since = (now or utcnow()) - HISTORY
    statement = (
        select(OutreachSession)
        .where(OutreachSession.officer_id == officer.id, OutreachSession.starts_at >= since)
        .order_by(OutreachSession.starts_at, OutreachSession.id)
        .limit(MAX_EVENTS)
    )

    def assigned_then(row: OutreachSession) -> bool:
        day = today_in_area(row.village_code, now=row.starts_at)
        return any(
            span.village_code == row.village_code
            and span.valid_from <= day
            and (span.valid_to is None or span.valid_to >= day)
            for span in spans
        )

    return [row for row in session.scalars(statement) if assigned_then(row)]


def session_uid(session_id: int) -> str:
    """Stable per session (the same as the authenticated ``calendar.ics``), so apps update, not duplicate."""
    return f"outreach-session-{session_id}@{UID_DOMAIN}"


def _village_label(code: str) -> str:
    name = progress.area_name(code)
    return f"{name} ({code})" if name else code


def _description(row: OutreachSession, village: str) -> str:
    starts = to_area_time(row.starts_at, row.village_code)
    ends = to_area_time(row.ends_at, row.village_code)
    zone = zone_abbreviation(row.village_code)
    lines = [
        f"{village}, {starts:%d-%m-%Y} pukul {starts:%H.%M}-{ends:%H.%M} {zone}",
        f"Tempat: {row.venue}",
    ]
    hosts = ", ".join(f"{c['name']} ({c['role']})" for c in row.co_hosts)
    if hosts:
        lines.append(f"Bersama: {hosts}")
    if row.status == OutreachSessionStatus.cancelled.value:
        lines.append("DIBATALKAN")
    return "\n".join(lines)


def render(officer: Officer, sessions: list[OutreachSession]) -> bytes:
    """RFC 5545 text. Deterministic for the same rows (DTSTAMP is each session's last change, as RFC 5545
    §3.8.7.2 says for a calendar without METHOD), so the body's hash is a stable ETag."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # X- properties default to raw values: as text they get RFC 5545 escaping like SUMMARY does.
    calendar.add("x-wr-calname", vText(f"Sasar: {officer.name}"))
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    for row in sessions:
        village = _village_label(row.village_code)
        name = progress.area_name(row.village_code) or row.village_code
        event = Event()
        event.add("uid", session_uid(row.id))
        event.add("dtstamp", row.updated_at.astimezone(dt.UTC))
        event.add("created", row.created_at.astimezone(dt.UTC))
        event.add("last-modified", row.updated_at.astimezone(dt.UTC))
        event.add("sequence", row.version - 1)
        event.add("dtstart", row.starts_at.astimezone(dt.UTC))
        event.add("dtend", row.ends_at.astimezone(dt.UTC))
        event.add("summary", f"{SESSION_TITLES[OutreachSessionKind(row.kind)]} — {name}")
        event.add("location", f"{row.venue}, {village}")
        event.add("description", _description(row, village))
        cancelled = row.status == OutreachSessionStatus.cancelled.value
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison, ``*`` matches any current representation."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags
