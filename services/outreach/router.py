"""Outreach HTTP routes (thin: parse, call the domain function, shape the answer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse

from services.common.concurrency import IfMatchHeader, etag
from services.common.idempotency import IdempotencyKeyHeader, idempotent_post
from services.common.messages import Message
from services.common.pagination import ListParams, Page, PageParams, list_params, page_params
from services.common.principal import PrincipalKind, Scope
from services.common.text import TextRule
from services.common.timeutil import today_in_area, utcnow
from services.common.wilayah import VILLAGE_CODE_PATTERN
from services.outreach import calendar, leads, officers, progress, scheduling, sync
from services.outreach.dependencies import CurrentPrincipal, DbSession, Settings
from services.outreach.exceptions import OfficerNotFound
from services.outreach.models import Officer, idempotency_keys
from services.outreach.registry_client import RegistryClient, get_registry
from services.outreach.schemas import (
    NRP_PATTERN,
    AssignmentEnd,
    AssignmentIn,
    AssignmentOut,
    AttendanceOut,
    AwareDateTime,
    LeadConvertIn,
    LeadConvertOut,
    LeadOut,
    LeadStatus,
    MeOut,
    OfficerAccessOut,
    OfficerIn,
    OfficerOut,
    OfficerPatch,
    OfficerProgressPage,
    OfficerVillageAccessOut,
    OutreachProgressOut,
    OutreachSessionCancel,
    OutreachSessionChangeOut,
    OutreachSessionIn,
    OutreachSessionOut,
    OutreachSessionPatch,
    OutreachSessionStatus,
    OutreachTargetIn,
    OutreachTargetOut,
    SyncIn,
    SyncOut,
    VillageCodeText,
)

router = APIRouter(prefix="/v1", tags=["outreach"])
internal_router = APIRouter(prefix="/internal", tags=["internal"])

Pagination = Annotated[PageParams, Depends(page_params)]
# Lists integrators sync from: sort, updated_since and a cursor bound to the sort.
ListPagination = Annotated[ListParams, Depends(list_params)]
PathId = Annotated[int, Path(ge=1, le=2_147_483_647)]
QueryId = Annotated[int | None, Query(ge=1, le=2_147_483_647)]
VillageFilter = Annotated[
    Annotated[str, TextRule(13, pattern=VILLAGE_CODE_PATTERN)] | None, Query(examples=["33.26.15.2001"])
]
Registry = Annotated[RegistryClient, Depends(get_registry)]
VillagePath = Annotated[VillageCodeText, Path(examples=["33.26.15.2001"])]
AreaQuery = Annotated[
    Annotated[str, TextRule(13, min_length=0)] | None,
    Query(description="PP, PP.RR, PP.RR.DD or PP.RR.DD.VVVV; absent = whole country"),
]


def _current_year() -> int:
    return utcnow().year


YearQuery = Annotated[int, Query(ge=2000, le=2100, description="Target year (default: this year)")]


# --- officers ------------------------------------------------------------------------------------


@router.post("/officers", status_code=201, response_model=OfficerOut, summary="Create an officer")
def create_officer(
    data: OfficerIn, session: DbSession, principal: CurrentPrincipal, response: Response
) -> OfficerOut:
    principal.require_scope(Scope.outreach_admin)
    officer = officers.create_officer(session, data)
    response.headers["ETag"] = etag(officer.version)
    return officers.officer_out(officer)


@router.get("/officers", response_model=Page[OfficerOut], summary="List officers (internal)")
def list_officers(
    session: DbSession, principal: CurrentPrincipal, pagination: ListPagination, active: bool | None = None
) -> Page[OfficerOut]:
    if not (principal.has_scope(Scope.outreach_admin) or principal.has_scope(Scope.reports_read)):
        principal.require_scope(Scope.outreach_admin)
    rows, cursor = officers.list_officers(session, pagination, active=active)
    return Page(items=[officers.officer_out(o) for o in rows], next_cursor=cursor)


@router.get("/officers/{officer_id}", response_model=OfficerOut, summary="One officer (ETag)")
def get_officer(
    officer_id: PathId, session: DbSession, principal: CurrentPrincipal, response: Response
) -> OfficerOut:
    officer = officers.get_officer(session, officer_id, principal)
    response.headers["ETag"] = etag(officer.version)
    return officers.officer_out(officer)


@router.patch("/officers/{officer_id}", response_model=OfficerOut, summary="Edit an officer (If-Match)")
def patch_officer(
    officer_id: PathId,
    data: OfficerPatch,
    session: DbSession,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatchHeader = None,
) -> OfficerOut:
    principal.require_scope(Scope.outreach_admin)
    officer = officers.patch_officer(
        session, officers.get_officer(session, officer_id, principal), data, if_match
    )
    response.headers["ETag"] = etag(officer.version)
    return officers.officer_out(officer)


@router.post(
    "/officers/{officer_id}/assignments",
    status_code=201,
    response_model=AssignmentOut,
    summary="Assign an officer to a village",
)
def add_assignment(
    officer_id: PathId, data: AssignmentIn, session: DbSession, principal: CurrentPrincipal
) -> AssignmentOut:
    principal.require_scope(Scope.outreach_admin)
    officer = officers.get_officer(session, officer_id, principal)
    return officers.assignment_out(officers.add_assignment(session, officer, data, principal.actor))


@router.get(
    "/officers/{officer_id}/assignments",
    response_model=list[AssignmentOut],
    summary="An officer's assignments, ended ones included",
)
def list_assignments(
    officer_id: PathId, session: DbSession, principal: CurrentPrincipal
) -> list[AssignmentOut]:
    officer = officers.get_officer(session, officer_id, principal)
    return [officers.assignment_out(a) for a in officers.list_assignments(session, officer)]


@router.post(
    "/officers/{officer_id}/assignments/{assignment_id}/end",
    response_model=AssignmentOut,
    summary="End an assignment (kept in the history)",
)
def end_assignment(
    officer_id: PathId,
    assignment_id: int,
    data: AssignmentEnd,
    session: DbSession,
    principal: CurrentPrincipal,
) -> AssignmentOut:
    principal.require_scope(Scope.outreach_admin)
    officer = officers.get_officer(session, officer_id, principal)
    return officers.assignment_out(
        officers.end_assignment(session, officer, assignment_id, data, principal.actor)
    )


@router.get(
    "/officers/{officer_id}/calendar.ics",
    response_class=Response,
    # A typed body (a string), so a generated client returns the feed's text rather than nothing.
    responses={
        200: {"content": {"text/calendar": {"schema": {"type": "string"}}}, "description": "RFC 5545 feed"}
    },
    summary="iCalendar feed of an officer's sessions",
)
def officer_calendar(officer_id: PathId, session: DbSession, principal: CurrentPrincipal) -> Response:
    own = officers.own_officer_id(principal)
    if own != officer_id and not (
        principal.has_scope(Scope.outreach_admin) or principal.has_scope(Scope.reports_read)
    ):
        raise OfficerNotFound(Message("outreach.officer_not_found_id", officer_id=officer_id))
    officer = officers.get_officer(session, officer_id, principal)
    body = calendar.officer_calendar(officer, scheduling.officer_sessions(session, officer.id))
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="officer-{officer.id}.ics"'},
    )


@router.get("/me", response_model=MeOut, summary="The calling officer: profile and villages assigned today")
def me(session: DbSession, principal: CurrentPrincipal) -> MeOut:
    principal.require_kind(PrincipalKind.officer)
    officer_id = officers.own_officer_id(principal)
    officer = officers.get_officer(session, officer_id if officer_id is not None else -1, principal)
    return MeOut(officer=officers.officer_out(officer), villages=officers.villages_today(session, officer.id))


@internal_router.get(
    "/officers/{nrp}/access",
    response_model=OfficerAccessOut,
    summary="For the gateway at officer login: the officer and the villages assigned today",
)
def officer_access(
    nrp: Annotated[str, Path(pattern=NRP_PATTERN)], session: DbSession, principal: CurrentPrincipal
) -> OfficerAccessOut:
    principal.require_kind(PrincipalKind.internal)
    officer = officers.officer_by_nrp(session, nrp)
    return OfficerAccessOut(
        officer_id=officer.id,
        nrp=officer.nrp,
        name=officer.name,
        villages=officers.villages_today(session, officer.id),
    )


@internal_router.get(
    "/officers/{officer_id}/assignments/{village_code}",
    response_model=OfficerVillageAccessOut,
    summary="For the registry before an officer's write: is the officer active and assigned there today",
)
def officer_village_access(
    officer_id: PathId,
    village_code: Annotated[str, Path(pattern=VILLAGE_CODE_PATTERN, examples=["33.26.15.2001"])],
    session: DbSession,
    principal: CurrentPrincipal,
) -> OfficerVillageAccessOut:
    principal.require_kind(PrincipalKind.internal)
    now = utcnow()
    officer = session.get(Officer, officer_id)
    return OfficerVillageAccessOut(
        officer_id=officer_id,
        village_code=village_code,
        on=today_in_area(village_code, now=now),
        active=officer is not None and officer.active,
        assigned=officers.officer_may_write(session, officer_id, village_code, now=now),
    )


# --- sessions ------------------------------------------------------------------------------------


@router.post(
    "/outreach-sessions",
    status_code=201,
    response_model=OutreachSessionOut,
    summary="Schedule a session (or record one already held)",
    responses={409: {"description": "The officer is already booked at that time"}},
)
def create_session(
    data: OutreachSessionIn,
    session: DbSession,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    def produce() -> OutreachSessionOut:
        return scheduling.session_out(scheduling.schedule(session, data, principal))

    return idempotent_post(
        session,
        idempotency_keys,
        principal=principal,
        key=idempotency_key,
        path="/v1/outreach-sessions",
        payload=data,
        status_code=201,
        produce=produce,
    )


@router.get("/outreach-sessions", response_model=Page[OutreachSessionOut], summary="Sessions in your scope")
def list_sessions(
    session: DbSession,
    principal: CurrentPrincipal,
    pagination: ListPagination,
    village_code: VillageFilter = None,
    officer_id: QueryId = None,
    starts_from: Annotated[
        AwareDateTime | None, Query(alias="from", description="Starts at or after")
    ] = None,
    starts_before: Annotated[AwareDateTime | None, Query(alias="to", description="Starts before")] = None,
    status: OutreachSessionStatus | None = None,
) -> Page[OutreachSessionOut]:
    rows, cursor = scheduling.list_sessions(
        session,
        principal,
        pagination,
        village_code=village_code,
        officer_id=officer_id,
        starts_from=starts_from,
        starts_before=starts_before,
        status=status,
    )
    return Page(items=[scheduling.session_out(r) for r in rows], next_cursor=cursor)


@router.get(
    "/outreach-sessions/{session_id}", response_model=OutreachSessionOut, summary="One session (ETag)"
)
def get_session(
    session_id: PathId, session: DbSession, principal: CurrentPrincipal, response: Response
) -> OutreachSessionOut:
    row = scheduling.get_session(session, session_id, principal)
    response.headers["ETag"] = etag(row.version)
    return scheduling.session_out(row)


@router.patch(
    "/outreach-sessions/{session_id}",
    response_model=OutreachSessionOut,
    summary="Reschedule or edit a session, with a reason (If-Match)",
)
def reschedule_session(
    session_id: PathId,
    data: OutreachSessionPatch,
    session: DbSession,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatchHeader = None,
) -> OutreachSessionOut:
    row = scheduling.reschedule(session, session_id, data, principal, if_match)
    response.headers["ETag"] = etag(row.version)
    return scheduling.session_out(row)


@router.post(
    "/outreach-sessions/{session_id}/cancel", response_model=OutreachSessionOut, summary="Cancel a session"
)
def cancel_session(
    session_id: PathId,
    data: OutreachSessionCancel,
    session: DbSession,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatchHeader = None,
) -> OutreachSessionOut:
    row = scheduling.cancel(session, session_id, data.reason, principal, if_match)
    response.headers["ETag"] = etag(row.version)
    return scheduling.session_out(row)


@router.get(
    "/outreach-sessions/{session_id}/history",
    response_model=list[OutreachSessionChangeOut],
    summary="Scheduling history of a session",
)
def session_history(
    session_id: PathId, session: DbSession, principal: CurrentPrincipal
) -> list[OutreachSessionChangeOut]:
    return scheduling.history(session, session_id, principal)


@router.get(
    "/outreach-sessions/{session_id}/attendance",
    response_model=Page[AttendanceOut],
    summary="Attendance synced for a session",
)
def session_attendance(
    session_id: PathId, session: DbSession, principal: CurrentPrincipal, pagination: Pagination
) -> Page[AttendanceOut]:
    village_code = scheduling.get_session(session, session_id, principal).village_code
    rows, cursor = scheduling.attendance(session, session_id, principal, pagination)
    items = [
        AttendanceOut.model_validate(
            {
                "id": a.id,
                "client_id": a.client_id,
                "session_id": a.session_id,
                "name": a.name,
                "phone": a.phone,
                "nik": leads.mask_nik(a.nik),
                "created_at": a.created_at,
            },
            context={"village_code": village_code},  # the session's village, like the session's times
        )
        for a in rows
    ]
    return Page(items=items, next_cursor=cursor)


# --- sync and leads ------------------------------------------------------------------------------


@router.post("/sync", response_model=SyncOut, summary="Upload attendance and leads captured offline")
def sync_batch(data: SyncIn, session: DbSession, principal: CurrentPrincipal) -> SyncOut:
    return sync.sync(session, data, principal)


@router.get("/leads", response_model=Page[LeadOut], summary="Leads in your scope")
def list_leads(
    session: DbSession,
    principal: CurrentPrincipal,
    pagination: ListPagination,
    village_code: VillageFilter = None,
    status: LeadStatus | None = None,
    session_id: QueryId = None,
) -> Page[LeadOut]:
    rows, cursor = leads.list_leads(
        session, principal, pagination, village_code=village_code, status=status, session_id=session_id
    )
    return Page(items=[leads.lead_out(r) for r in rows], next_cursor=cursor)


@router.get("/leads/{lead_id}", response_model=LeadOut, summary="One lead")
def get_lead(lead_id: PathId, session: DbSession, principal: CurrentPrincipal) -> LeadOut:
    return leads.lead_out(leads.get_lead(session, lead_id, principal))


@router.post(
    "/leads/{lead_id}/convert",
    response_model=LeadConvertOut,
    summary="Register the lead as a worker in the registry (idempotent)",
)
def convert_lead(
    lead_id: PathId, data: LeadConvertIn, session: DbSession, principal: CurrentPrincipal, registry: Registry
) -> LeadConvertOut:
    return leads.convert(session, lead_id, data, principal, registry)


# --- targets and progress ------------------------------------------------------------------------


@router.put(
    "/outreach-targets/{village_code}",
    response_model=OutreachTargetOut,
    summary="Set a village's yearly target",
)
def put_target(
    village_code: VillagePath,
    data: OutreachTargetIn,
    session: DbSession,
    principal: CurrentPrincipal,
    year: YearQuery,
) -> OutreachTargetOut:
    return progress.set_target(session, village_code, year, data, principal)


@router.get(
    "/outreach-targets/{village_code}", response_model=OutreachTargetOut, summary="A village's yearly target"
)
def get_target(
    village_code: VillagePath, session: DbSession, principal: CurrentPrincipal, year: YearQuery | None = None
) -> OutreachTargetOut:
    return progress.get_target(session, village_code, year or _current_year(), principal)


@router.get(
    "/outreach-progress",
    response_model=OutreachProgressOut,
    summary="Covered workers against targets, rolled up by area",
)
def get_progress(
    session: DbSession,
    principal: CurrentPrincipal,
    registry: Registry,
    settings: Settings,
    area: AreaQuery = None,
    year: YearQuery | None = None,
) -> OutreachProgressOut:
    return progress.progress(
        session,
        principal,
        registry,
        area,
        year or _current_year(),
        refresh=settings.counts_source == "registry",
    )


@router.get(
    "/outreach-progress/officers",
    response_model=OfficerProgressPage,
    summary="Leads, conversions and held sessions per officer",
)
def get_officer_progress(
    session: DbSession, principal: CurrentPrincipal, area: AreaQuery = None, year: YearQuery | None = None
) -> OfficerProgressPage:
    return progress.officer_progress(session, principal, area, year or _current_year())
