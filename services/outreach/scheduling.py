"""Outreach sessions: scheduling rules, reschedule/cancel with history, tenancy of reads and writes.

Rules: an officer schedules only in a village assigned to them on the session's village-local dates,
is never double-booked (overlap → 409, checked under a per-officer lock), a session ends after it
starts and is not in the past unless it is being recorded after the fact.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.common.concurrency import check_if_match
from services.common.errors import Forbidden, ValidationProblem
from services.common.messages import Message
from services.common.pagination import ListParams, PageParams, paginate, paginate_list
from services.common.principal import Principal, PrincipalKind, Scope
from services.common.timeutil import to_area_time, utcnow
from services.common.wilayah import timezone_name
from services.outreach import officers
from services.outreach.events import publish_session
from services.outreach.exceptions import (
    DoubleBooked,
    NotAssigned,
    OfficerNotFound,
    SessionNotChangeable,
    SessionNotFound,
)
from services.outreach.models import Attendance, Officer, OutreachSession, SessionChange
from services.outreach.schemas import (
    OutreachCoHost,
    OutreachSessionChangeOut,
    OutreachSessionIn,
    OutreachSessionKind,
    OutreachSessionOut,
    OutreachSessionPatch,
    OutreachSessionStatus,
)

# Phones' clocks drift: a session "starting now" may arrive a little late.
PAST_GRACE = dt.timedelta(minutes=15)
MAX_LENGTH = dt.timedelta(hours=24)


def session_out(row: OutreachSession) -> OutreachSessionOut:
    return OutreachSessionOut(
        id=row.id,
        village_code=row.village_code,
        officer_id=row.officer_id,
        starts_at=to_area_time(row.starts_at, row.village_code),
        ends_at=to_area_time(row.ends_at, row.village_code),
        timezone=timezone_name(row.village_code),
        venue=row.venue,
        kind=OutreachSessionKind(row.kind),
        co_hosts=[OutreachCoHost.model_validate(c) for c in row.co_hosts],
        status=OutreachSessionStatus(row.status),
        recorded=row.recorded,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def change_out(row: SessionChange, village_code: str) -> OutreachSessionChangeOut:
    """One history entry, its time in the session's village offset like the session itself."""
    fields = {
        "id": row.id,
        "action": row.action,
        "reason": row.reason,
        "changes": row.changes,
        "actor": row.actor,
        "at": row.at,
    }
    return OutreachSessionChangeOut.model_validate(fields, context={"village_code": village_code})


def _writer_officer_id(principal: Principal, requested: int | None) -> int:
    """Officers write only their own sessions; outreach:admin writes anyone's; others never."""
    own = officers.own_officer_id(principal)
    if own is not None:
        if requested is not None and requested != own:
            raise Forbidden(Message("outreach.own_sessions"))
        return own
    principal.require_scope(Scope.outreach_admin)
    if requested is None:
        raise ValidationProblem.single("officer_id", Message("outreach.officer_required"))
    return requested


def _check_times(
    session: Session, officer_id: int, village_code: str, starts_at: dt.datetime, ends_at: dt.datetime
) -> None:
    if ends_at <= starts_at:
        raise ValidationProblem.single("ends_at", Message("outreach.ends_after_starts"))
    if ends_at - starts_at > MAX_LENGTH:
        raise ValidationProblem.single("ends_at", Message("outreach.max_24h"))
    local_days = {to_area_time(starts_at, village_code).date(), to_area_time(ends_at, village_code).date()}
    for day in sorted(local_days):
        if not officers.is_assigned(session, officer_id, village_code, day):
            raise NotAssigned(
                Message(
                    "outreach.not_assigned_detail",
                    officer_id=officer_id,
                    village_code=village_code,
                    day=day.isoformat(),
                ),
                errors=[
                    {"field": "village_code", "reason": Message("outreach.not_assigned_reason", day=day)}
                ],
            )


def _check_overlap(
    session: Session,
    officer_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    ignore_id: int | None = None,
) -> None:
    statement = select(OutreachSession.id).where(
        OutreachSession.officer_id == officer_id,
        OutreachSession.status != OutreachSessionStatus.cancelled.value,
        OutreachSession.starts_at < ends_at,
        OutreachSession.ends_at > starts_at,
    )
    if ignore_id is not None:
        statement = statement.where(OutreachSession.id != ignore_id)
    clash = session.execute(statement.limit(1)).scalar()
    if clash is not None:
        raise DoubleBooked(
            Message("outreach.double_booked_detail", session_id=clash),
            extra={"conflicting_session_id": clash},
        )


def _record_change(
    session: Session,
    row: OutreachSession,
    action: str,
    reason: str | None,
    changes: dict[str, Any],
    actor: str,
) -> None:
    session.add(
        SessionChange(
            session_id=row.id, action=action, reason=reason, changes=changes, actor=actor, at=utcnow()
        )
    )


def schedule(session: Session, data: OutreachSessionIn, principal: Principal) -> OutreachSession:
    officer_id = _writer_officer_id(principal, data.officer_id)
    officer = session.get(Officer, officer_id)
    if officer is None or not officer.active:
        raise OfficerNotFound(Message("outreach.no_active_officer", officer_id=officer_id))
    now = utcnow()
    if data.recorded:
        if data.ends_at > now + PAST_GRACE:
            raise ValidationProblem.single("ends_at", Message("outreach.recorded_ended"))
    elif data.starts_at < now - PAST_GRACE:
        raise ValidationProblem.single("starts_at", Message("outreach.in_past"))
    _check_times(session, officer_id, data.village_code, data.starts_at, data.ends_at)
    officers.lock_officer(session, officer_id)
    _check_overlap(session, officer_id, data.starts_at, data.ends_at)
    row = OutreachSession(
        village_code=data.village_code,
        officer_id=officer_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        venue=data.venue,
        kind=data.kind.value,
        co_hosts=[c.model_dump(mode="json") for c in data.co_hosts],
        status=(OutreachSessionStatus.held if data.recorded else OutreachSessionStatus.scheduled).value,
        recorded=data.recorded,
        version=1,
        created_at=now,
        created_by=principal.actor,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    _record_change(
        session,
        row,
        "recorded" if data.recorded else "scheduled",
        None,
        {"starts_at": data.starts_at.isoformat(), "ends_at": data.ends_at.isoformat()},
        principal.actor,
    )
    if not data.recorded:
        publish_session(session, row)
    session.flush()
    return row


def _visible(statement: Select[Any], principal: Principal) -> Select[Any]:
    """Officers: their own sessions in villages assigned today; villages: theirs; internal: by scope."""
    own = officers.own_officer_id(principal)
    if principal.kind is PrincipalKind.officer:
        return statement.where(
            OutreachSession.officer_id == (own if own is not None else -1),
            OutreachSession.village_code.in_(sorted(principal.villages)),
        )
    if principal.kind is PrincipalKind.village:
        return statement.where(OutreachSession.village_code.in_(sorted(principal.villages)))
    if not (principal.has_scope(Scope.outreach_admin) or principal.has_scope(Scope.reports_read)):
        raise Forbidden(Message("outreach.sessions_scope"))
    return statement


def get_session(session: Session, session_id: int, principal: Principal) -> OutreachSession:
    row = session.scalars(
        _visible(select(OutreachSession), principal).where(OutreachSession.id == session_id)
    )
    found: OutreachSession | None = row.first()
    if found is None:
        raise SessionNotFound(Message("outreach.session_not_found_id", session_id=session_id))
    return found


def list_sessions(
    session: Session,
    principal: Principal,
    params: ListParams,
    *,
    village_code: str | None = None,
    officer_id: int | None = None,
    starts_from: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
    status: OutreachSessionStatus | None = None,
) -> tuple[list[OutreachSession], str | None]:
    statement = _visible(select(OutreachSession), principal)
    if village_code is not None:
        statement = statement.where(OutreachSession.village_code == village_code)
    if officer_id is not None:
        statement = statement.where(OutreachSession.officer_id == officer_id)
    if starts_from is not None:
        statement = statement.where(OutreachSession.starts_at >= starts_from)
    if starts_before is not None:
        statement = statement.where(OutreachSession.starts_at < starts_before)
    if status is not None:
        statement = statement.where(OutreachSession.status == status.value)
    return paginate_list(
        session,
        statement,
        created_at=OutreachSession.created_at,
        updated_at=OutreachSession.updated_at,
        id_column=OutreachSession.id,
        params=params,
        ids_follow_creation=True,
    )


def _writable(session: Session, session_id: int, principal: Principal) -> OutreachSession:
    if principal.kind is PrincipalKind.village:
        # Village systems read their sessions but never change them.
        get_session(session, session_id, principal)
        raise Forbidden(Message("outreach.village_no_sessions"))
    if principal.kind is PrincipalKind.internal:
        principal.require_scope(Scope.outreach_admin)
    return get_session(session, session_id, principal)


def reschedule(
    session: Session,
    session_id: int,
    data: OutreachSessionPatch,
    principal: Principal,
    if_match: str | None,
) -> OutreachSession:
    row = _writable(session, session_id, principal)
    check_if_match(if_match, row.version)
    if row.status != OutreachSessionStatus.scheduled.value:
        raise SessionNotChangeable(Message("outreach.cannot_reschedule", status=row.status))
    starts_at = data.starts_at or row.starts_at
    ends_at = data.ends_at or row.ends_at
    changes: dict[str, Any] = {}
    if starts_at != row.starts_at or ends_at != row.ends_at:
        if starts_at < utcnow() - PAST_GRACE:
            raise ValidationProblem.single("starts_at", Message("outreach.move_past"))
        _check_times(session, row.officer_id, row.village_code, starts_at, ends_at)
        officers.lock_officer(session, row.officer_id)
        _check_overlap(session, row.officer_id, starts_at, ends_at, ignore_id=row.id)
        changes["starts_at"] = [row.starts_at.isoformat(), starts_at.isoformat()]
        changes["ends_at"] = [row.ends_at.isoformat(), ends_at.isoformat()]
        row.starts_at, row.ends_at = starts_at, ends_at
    if data.venue is not None and data.venue != row.venue:
        changes["venue"] = [row.venue, data.venue]
        row.venue = data.venue
    if data.co_hosts is not None:
        co_hosts = [c.model_dump(mode="json") for c in data.co_hosts]
        if co_hosts != row.co_hosts:
            changes["co_hosts"] = [row.co_hosts, co_hosts]
            row.co_hosts = co_hosts
    if changes:
        row.updated_at = utcnow()
        _record_change(session, row, "rescheduled", data.reason, changes, principal.actor)
        session.flush()
    return row


def cancel(
    session: Session, session_id: int, reason: str, principal: Principal, if_match: str | None
) -> OutreachSession:
    row = _writable(session, session_id, principal)
    check_if_match(if_match, row.version)
    if row.status != OutreachSessionStatus.scheduled.value:
        raise SessionNotChangeable(Message("outreach.cannot_cancel", status=row.status))
    row.status = OutreachSessionStatus.cancelled.value
    row.updated_at = utcnow()
    _record_change(session, row, "cancelled", reason, {"status": ["scheduled", "cancelled"]}, principal.actor)
    publish_session(session, row, reason)
    session.flush()
    return row


def history(session: Session, session_id: int, principal: Principal) -> list[OutreachSessionChangeOut]:
    row = get_session(session, session_id, principal)
    statement = select(SessionChange).where(SessionChange.session_id == row.id).order_by(SessionChange.id)
    return [change_out(change, row.village_code) for change in session.scalars(statement)]


def attendance(
    session: Session, session_id: int, principal: Principal, params: PageParams
) -> tuple[list[Attendance], str | None]:
    """Attendees of a session the caller may see."""
    row = get_session(session, session_id, principal)
    statement = select(Attendance).where(Attendance.session_id == row.id)
    return paginate(session, statement, key_columns=[Attendance.id], params=params, key_of=lambda a: [a.id])


def officer_sessions(session: Session, officer_id: int) -> list[OutreachSession]:
    statement = select(OutreachSession).where(OutreachSession.officer_id == officer_id)
    return list(session.scalars(statement.order_by(OutreachSession.starts_at, OutreachSession.id)))
