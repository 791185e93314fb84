"""Pure outreach helpers: masking, fingerprints, roll-up reference counts, the calendar."""

from __future__ import annotations

import datetime as dt
import uuid

from icalendar import Calendar

from services.outreach.calendar import officer_calendar
from services.outreach.leads import mask_nik
from services.outreach.models import Officer, OutreachSession
from services.outreach.progress import village_count
from services.outreach.schemas import LeadSyncItem
from services.outreach.sync import fingerprint


def test_mask_nik() -> None:
    assert mask_nik("3326154101900001") == "3326**********01"
    assert mask_nik(None) is None


def test_fingerprint_ignores_key_order_and_offset_spelling() -> None:
    client_id = str(uuid.uuid4())
    a = LeadSyncItem.model_validate(
        {
            "client_id": client_id,
            "village_code": "33.26.15.2001",
            "name": "A",
            "consent_given_at": "2026-11-20T10:00:00+07:00",
        }
    )
    b = LeadSyncItem.model_validate(
        {
            "consent_given_at": "2026-11-20T10:00:00+07:00",
            "name": "A",
            "village_code": "33.26.15.2001",
            "client_id": client_id,
        }
    )
    c = LeadSyncItem.model_validate(
        {
            "client_id": client_id,
            "village_code": "33.26.15.2001",
            "name": "B",
            "consent_given_at": "2026-11-20T10:00:00+07:00",
        }
    )
    assert fingerprint(a) == fingerprint(b) != fingerprint(c)


def test_village_counts_by_prefix() -> None:
    assert village_count(None) == 83_762
    assert village_count("33.26.15.2001") == 1
    assert village_count("33.26.15") < village_count("33.26") < village_count("33") < village_count(None)
    assert village_count("99") == 0


def test_calendar_event_in_village_zone() -> None:
    now = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
    officer = Officer(id=7, nrp="12345678", name="Bripka A", rank="Bripka", unit="Polsek", version=1)
    session = OutreachSession(
        id=3,
        village_code="51.01.01.1006",
        officer_id=7,
        starts_at=now,
        ends_at=now + dt.timedelta(hours=2),
        venue="Balai Banjar",
        kind="sosialisasi",
        co_hosts=[{"role": "kepala_desa", "name": "I Made"}],
        status="cancelled",
        version=2,
        updated_at=now,
    )
    calendar = Calendar.from_ical(officer_calendar(officer, [session]))
    event = next(iter(calendar.walk("VEVENT")))
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(hours=8)
    assert str(event["status"]) == "CANCELLED" and str(event["uid"]).startswith("outreach-session-3@")
