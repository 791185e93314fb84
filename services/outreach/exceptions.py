"""Outreach domain errors; each carries its HTTP status and problem type."""

from __future__ import annotations

from services.common.errors import Conflict, NotFound, ValidationProblem


class OfficerNotFound(NotFound):
    """Unknown officer, or one the caller may not see (no existence leak)."""


class SessionNotFound(NotFound):
    """Unknown session, or one outside the caller's villages/sessions."""


class LeadNotFound(NotFound):
    """Unknown lead, or one outside the caller's villages/leads."""


class DuplicateNrp(Conflict):
    """Another officer already has this NRP."""


class DoubleBooked(Conflict):
    """The officer already has a session overlapping these times."""


class SessionNotChangeable(Conflict):
    """A cancelled or held session cannot be rescheduled or cancelled again."""


class NotAssigned(ValidationProblem):
    """The officer has no assignment in that village on that date."""


class CalendarFeedNotFound(NotFound):
    """No live calendar feed: unknown, revoked or replaced secret, or an officer without one."""
