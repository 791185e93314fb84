"""Outreach's operations as the public OpenAPI document names them, and who may call each (the rules
live in the routes and domain modules; this table documents them)."""

from __future__ import annotations

from services.common.openapi import (
    ANONYMOUS,
    ANY_INTERNAL,
    OFFICER,
    VILLAGE,
    OperationKey,
    OperationTable,
    internal,
)

ADMIN = internal("outreach:admin")
INTERNAL_READERS = internal("outreach:admin", "reports:read")
# Officers see their own profile, sessions and leads; villages their own villages'; internal by scope.
OWN_OFFICER = (OFFICER, *INTERNAL_READERS)
FIELD_WRITERS = (OFFICER, *ADMIN)
SCOPED_READERS = (VILLAGE, OFFICER, *INTERNAL_READERS)

OPERATION_IDS: dict[OperationKey, str] = {
    ("POST", "/v1/officers"): "officers_create",
    ("GET", "/v1/officers"): "officers_list",
    ("GET", "/v1/officers/{officer_id}"): "officers_get",
    ("PATCH", "/v1/officers/{officer_id}"): "officers_update",
    ("POST", "/v1/officers/{officer_id}/assignments"): "officers_assignments_create",
    ("GET", "/v1/officers/{officer_id}/assignments"): "officers_assignments_list",
    ("POST", "/v1/officers/{officer_id}/assignments/{assignment_id}/end"): "officers_assignments_end",
    ("GET", "/v1/officers/{officer_id}/calendar.ics"): "officers_calendar_get",
    ("GET", "/v1/me"): "me_get",
    ("POST", "/v1/me/calendar-feed"): "me_calendar_feed_create",
    ("DELETE", "/v1/me/calendar-feed"): "me_calendar_feed_revoke",
    ("DELETE", "/v1/officers/{officer_id}/calendar-feed"): "officers_calendar_feed_revoke",
    ("GET", "/v1/calendar-feeds/{secret}.ics"): "calendar_feeds_get",
    ("POST", "/v1/outreach-sessions"): "outreach_sessions_create",
    ("GET", "/v1/outreach-sessions"): "outreach_sessions_list",
    ("GET", "/v1/outreach-sessions/{session_id}"): "outreach_sessions_get",
    ("PATCH", "/v1/outreach-sessions/{session_id}"): "outreach_sessions_reschedule",
    ("POST", "/v1/outreach-sessions/{session_id}/cancel"): "outreach_sessions_cancel",
    ("GET", "/v1/outreach-sessions/{session_id}/history"): "outreach_sessions_history_list",
    ("GET", "/v1/outreach-sessions/{session_id}/attendance"): "outreach_sessions_attendance_list",
    ("POST", "/v1/sync"): "sync_create",
    ("GET", "/v1/leads"): "leads_list",
    ("GET", "/v1/leads/{lead_id}"): "leads_get",
    ("POST", "/v1/leads/{lead_id}/convert"): "leads_convert",
    ("PUT", "/v1/outreach-targets/{village_code}"): "outreach_targets_set",
    ("GET", "/v1/outreach-targets/{village_code}"): "outreach_targets_get",
    ("GET", "/v1/outreach-progress"): "outreach_progress_get",
    ("GET", "/v1/outreach-progress/officers"): "outreach_progress_officers_list",
    # Service-to-service (not routed by the gateway): the gateway's and registry's checks.
    ("GET", "/internal/officers/{nrp}/access"): "internal_officers_access_get",
    ("GET", "/internal/officers/{officer_id}/assignments/{village_code}"): (
        "internal_officers_assignments_check"
    ),
}

SECURITY: dict[OperationKey, tuple[str, ...]] = {
    ("POST", "/v1/officers"): ADMIN,
    ("GET", "/v1/officers"): INTERNAL_READERS,
    ("GET", "/v1/officers/{officer_id}"): OWN_OFFICER,
    ("PATCH", "/v1/officers/{officer_id}"): ADMIN,
    ("POST", "/v1/officers/{officer_id}/assignments"): ADMIN,
    ("GET", "/v1/officers/{officer_id}/assignments"): OWN_OFFICER,
    ("POST", "/v1/officers/{officer_id}/assignments/{assignment_id}/end"): ADMIN,
    ("GET", "/v1/officers/{officer_id}/calendar.ics"): OWN_OFFICER,
    ("GET", "/v1/me"): (OFFICER,),
    ("POST", "/v1/me/calendar-feed"): (OFFICER,),
    ("DELETE", "/v1/me/calendar-feed"): (OFFICER,),
    ("DELETE", "/v1/officers/{officer_id}/calendar-feed"): ADMIN,
    # The URL's secret is the credential: calendar apps cannot log in.
    ("GET", "/v1/calendar-feeds/{secret}.ics"): (ANONYMOUS,),
    ("POST", "/v1/outreach-sessions"): FIELD_WRITERS,
    ("GET", "/v1/outreach-sessions"): SCOPED_READERS,
    ("GET", "/v1/outreach-sessions/{session_id}"): SCOPED_READERS,
    ("PATCH", "/v1/outreach-sessions/{session_id}"): FIELD_WRITERS,
    ("POST", "/v1/outreach-sessions/{session_id}/cancel"): FIELD_WRITERS,
    ("GET", "/v1/outreach-sessions/{session_id}/history"): SCOPED_READERS,
    ("GET", "/v1/outreach-sessions/{session_id}/attendance"): SCOPED_READERS,
    ("POST", "/v1/sync"): FIELD_WRITERS,
    ("GET", "/v1/leads"): SCOPED_READERS,
    ("GET", "/v1/leads/{lead_id}"): SCOPED_READERS,
    ("POST", "/v1/leads/{lead_id}/convert"): FIELD_WRITERS,
    ("PUT", "/v1/outreach-targets/{village_code}"): ADMIN,
    ("GET", "/v1/outreach-targets/{village_code}"): SCOPED_READERS,
    ("GET", "/v1/outreach-progress"): SCOPED_READERS,
    ("GET", "/v1/outreach-progress/officers"): INTERNAL_READERS,
    ("GET", "/internal/officers/{nrp}/access"): (ANY_INTERNAL,),
    ("GET", "/internal/officers/{officer_id}/assignments/{village_code}"): (ANY_INTERNAL,),
}

OPERATIONS = OperationTable(ids=OPERATION_IDS, security=SECURITY)
