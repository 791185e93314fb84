"""iCalendar (RFC 5545) feed of an officer's sessions, each event in its village's own time zone."""

from __future__ import annotations

from icalendar import Calendar, Event

from services.common.timeutil import to_area_time, utcnow
from services.outreach.models import Officer, OutreachSession
from services.outreach.schemas import OutreachSessionKind, OutreachSessionStatus

PRODID = "-//Sasar//Outreach sessions//ID"
SESSION_TITLES = {
    OutreachSessionKind.sosialisasi: "Sosialisasi BPJS Ketenagakerjaan",
    OutreachSessionKind.door_to_door: "Door to door (pendataan pekerja)",
    OutreachSessionKind.registration_desk: "Meja pendaftaran BPJS Ketenagakerjaan",
}


def officer_calendar(officer: Officer, sessions: list[OutreachSession], *, host: str = "sasar") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Sasar: {officer.name} ({officer.nrp})")
    stamp = utcnow()
    for row in sessions:
        event = Event()
        event.add("uid", f"outreach-session-{row.id}@{host}")
        event.add("dtstamp", stamp)
        # Aware datetimes in the village zone: icalendar writes TZID=Asia/Jakarta etc.
        event.add("dtstart", to_area_time(row.starts_at, row.village_code))
        event.add("dtend", to_area_time(row.ends_at, row.village_code))
        event.add("summary", f"{SESSION_TITLES[OutreachSessionKind(row.kind)]} — {row.village_code}")
        event.add("location", row.venue)
        hosts = ", ".join(f"{c['name']} ({c['role']})" for c in row.co_hosts)
        event.add(
            "description", f"Desa/kelurahan {row.village_code}" + (f"; co-hosts: {hosts}" if hosts else "")
        )
        event.add(
            "status", "CANCELLED" if row.status == OutreachSessionStatus.cancelled.value else "CONFIRMED"
        )
        event.add("sequence", row.version - 1)
        event.add("last-modified", row.updated_at)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
