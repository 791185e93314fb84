"""Time helpers: everything is stored in UTC and shown in the village's own zone (WIB/WITA/WIT)."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from services.common.messages import Message
from services.common.wilayah import timezone_name


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def zone_for_area(code: str) -> ZoneInfo:
    return ZoneInfo(timezone_name(code))


def to_area_time(moment: dt.datetime, code: str) -> dt.datetime:
    """``moment`` (aware) expressed in the area's zone, e.g. +07:00 for Java."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Sasar only handles timezone-aware times")
    return moment.astimezone(zone_for_area(code))


# Pins the business date (which month a worker joins, what counts as a backdated removal, overdue and
# lapse cut-offs) for tests and demonstrations whose data is about fixed months; never set in production.
PINNED_TODAY_ENV = "SASAR_TODAY"


def pinned_today() -> dt.date | None:
    value = os.environ.get(PINNED_TODAY_ENV)
    return dt.date.fromisoformat(value) if value else None


def today_in_area(code: str, *, now: dt.datetime | None = None) -> dt.date:
    """The calendar date it is now in the area (a day starts at local midnight, not UTC's)."""
    if now is None and (pinned := pinned_today()) is not None:
        return pinned
    return to_area_time(now or utcnow(), code).date()


def require_aware(moment: dt.datetime, field: str = "datetime") -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(Message("time.needs_offset", field=field))
    return moment
