"""Calendar feed routes: officers make and revoke their subscribable feed; calendar apps read it by its
secret URL without logging in (the gateway forwards ``/v1/calendar-feeds/…`` as anonymous)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Response

from services.common.principal import Principal, PrincipalKind, Scope, principal_from_request
from services.outreach import calendar_feed, officers
from services.outreach.dependencies import CurrentPrincipal, DbSession, Settings
from services.outreach.schemas import CalendarFeedOut

router = APIRouter(prefix="/v1", tags=["calendar feeds"])

# Public, but still only through the gateway (any principal it vouches for, anonymous included).
AnyPrincipal = Annotated[Principal, Depends(principal_from_request)]
OfficerId = Annotated[int, Path(ge=1, le=2_147_483_647)]
NO_STORE = {"Cache-Control": "no-store"}


def _own_active_officer(session: DbSession, principal: Principal) -> int:
    principal.require_kind(PrincipalKind.officer)
    officer_id = officers.own_officer_id(principal)
    officer = officers.get_officer(session, officer_id if officer_id is not None else -1, principal)
    officers.require_active_officer(session, principal)
    return officer.id


@router.post(
    "/me/calendar-feed",
    status_code=201,
    response_model=CalendarFeedOut,
    summary="Make (or remake) your calendar feed URL; the previous one stops working",
)
def create_calendar_feed(
    session: DbSession, principal: CurrentPrincipal, settings: Settings, response: Response
) -> CalendarFeedOut:
    officer_id = _own_active_officer(session, principal)
    issued = calendar_feed.create_feed(session, officer_id, principal.actor)
    response.headers.update(NO_STORE)  # the answer holds the secret
    return CalendarFeedOut(
        url=calendar_feed.feed_url(issued.path, settings.public_base_url),
        path=issued.path,
        created_at=issued.feed.created_at,
    )


@router.delete(
    "/me/calendar-feed",
    status_code=204,
    summary="Revoke your calendar feed URL",
    responses={404: {"description": "You have no calendar feed"}},
)
def revoke_own_calendar_feed(session: DbSession, principal: CurrentPrincipal) -> Response:
    principal.require_kind(PrincipalKind.officer)
    officer_id = officers.own_officer_id(principal)
    officer = officers.get_officer(session, officer_id if officer_id is not None else -1, principal)
    calendar_feed.revoke_feed(session, officer.id, principal.actor)
    return Response(status_code=204)


@router.delete(
    "/officers/{officer_id}/calendar-feed",
    status_code=204,
    summary="Revoke an officer's calendar feed URL (outreach:admin)",
    responses={404: {"description": "No such officer, or the officer has no calendar feed"}},
)
def revoke_officer_calendar_feed(
    officer_id: OfficerId, session: DbSession, principal: CurrentPrincipal
) -> Response:
    principal.require_scope(Scope.outreach_admin)
    officer = officers.get_officer(session, officer_id, principal)
    calendar_feed.revoke_feed(session, officer.id, principal.actor)
    return Response(status_code=204)


@router.get(
    "/calendar-feeds/{secret}.ics",
    response_class=Response,
    summary="An officer's sessions as an RFC 5545 calendar, by the feed's secret URL (no login)",
    responses={
        200: {"content": {"text/calendar": {}}, "description": "RFC 5545 calendar (UTC times)"},
        304: {"description": "Unchanged since the ETag sent in If-None-Match"},
        404: {"description": "Unknown, revoked or replaced feed"},
    },
)
def read_calendar_feed(
    secret: Annotated[str, Path(description="The secret part of the feed URL")],
    session: DbSession,
    _principal: AnyPrincipal,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    officer = calendar_feed.officer_for_secret(session, secret)
    body = calendar_feed.render(officer, calendar_feed.feed_sessions(session, officer))
    etag = calendar_feed.etag_of(body)
    # Private: the URL is a credential, so no shared cache should keep a copy.
    headers = {"ETag": etag, "Cache-Control": "private, max-age=300"}
    if calendar_feed.not_modified(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="sasar-sesi.ics"'
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)
