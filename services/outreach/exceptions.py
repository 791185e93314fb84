"""Outreach domain errors; each carries its HTTP status and problem type."""

from __future__ import annotations

from services.common.errors import Conflict, NotFound, ValidationProblem


class OfficerNotFound(NotFound):
    """Unknown officer, or one the caller may not see (no existence leak)."""

    message_key = "outreach.officer_not_found"


class SessionNotFound(NotFound):
    """Unknown session, or one outside the caller's villages/sessions."""

    message_key = "outreach.session_not_found"


class LeadNotFound(NotFound):
    """Unknown lead, or one outside the caller's villages/leads."""

    message_key = "outreach.lead_not_found"


class DuplicateNrp(Conflict):
    """Another officer already has this NRP."""

    message_key = "outreach.duplicate_nrp"


class DoubleBooked(Conflict):
    """The officer already has a session overlapping these times."""

    message_key = "outreach.double_booked"


class SessionNotChangeable(Conflict):
    """A cancelled or held session cannot be rescheduled or cancelled again."""

    message_key = "outreach.session_not_changeable"


class NotAssigned(ValidationProblem):
    """The officer has no assignment in that village on that date."""

    message_key = "outreach.not_assigned"


class CalendarFeedNotFound(NotFound):
    """No live calendar feed: unknown, revoked or replaced secret, or an officer without one."""

    message_key = "outreach.calendar_feed_not_found"
