"""Officers and their village assignments (who may work where, on which village dates)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from services.common.concurrency import check_if_match
from services.common.errors import Forbidden, ValidationProblem
from services.common.messages import Message
from services.common.pagination import ListParams, paginate_list
from services.common.principal import Principal, PrincipalKind, Scope
from services.common.timeutil import today_in_area, utcnow
from services.outreach.exceptions import DuplicateNrp, OfficerNotFound
from services.outreach.models import Assignment, Officer
from services.outreach.schemas import (
    AssignmentEnd,
    AssignmentIn,
    AssignmentOut,
    AssignmentRole,
    OfficerIn,
    OfficerOut,
    OfficerPatch,
)


def officer_out(officer: Officer) -> OfficerOut:
    return OfficerOut(
        id=officer.id,
        nrp=officer.nrp,
        name=officer.name,
        rank=officer.rank,
        unit=officer.unit,
        phone=officer.phone,
        active=officer.active,
        version=officer.version,
        created_at=officer.created_at,
        updated_at=officer.updated_at,
    )


def assignment_out(assignment: Assignment) -> AssignmentOut:
    return AssignmentOut(
        id=assignment.id,
        officer_id=assignment.officer_id,
        village_code=assignment.village_code,
        role=AssignmentRole(assignment.role),
        valid_from=assignment.valid_from,
        valid_to=assignment.valid_to,
        created_at=assignment.created_at,
        created_by=assignment.created_by,
        ended_at=assignment.ended_at,
        ended_by=assignment.ended_by,
    )


def own_officer_id(principal: Principal) -> int | None:
    """The officer id of an officer principal (its subject), ``None`` for other callers."""
    if principal.kind is not PrincipalKind.officer:
        return None
    try:
        return int(principal.subject)
    except ValueError:
        return None


def create_officer(session: Session, data: OfficerIn) -> Officer:
    now = utcnow()
    officer = Officer(
        nrp=data.nrp,
        name=data.name,
        rank=data.rank,
        unit=data.unit,
        phone=data.phone,
        active=True,
        version=1,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(officer)
            session.flush()
    except IntegrityError:
        raise DuplicateNrp(Message("outreach.duplicate_nrp_detail", nrp=data.nrp)) from None
    return officer


def get_officer(session: Session, officer_id: int, principal: Principal) -> Officer:
    """An officer sees their own profile; internal callers (outreach:admin or reports:read) see all."""
    own = own_officer_id(principal)
    entitled = principal.has_scope(Scope.outreach_admin) or principal.has_scope(Scope.reports_read)
    if principal.is_internal and not entitled:
        raise Forbidden(Message("outreach.officers_scope"))
    visible = own == officer_id or entitled
    officer = session.get(Officer, officer_id) if visible else None
    if officer is None:
        raise OfficerNotFound(Message("outreach.officer_not_found_id", officer_id=officer_id))
    return officer


def list_officers(
    session: Session, params: ListParams, *, active: bool | None = None
) -> tuple[list[Officer], str | None]:
    statement = select(Officer)
    if active is not None:
        statement = statement.where(Officer.active.is_(active))
    return paginate_list(
        session,
        statement,
        created_at=Officer.created_at,
        updated_at=Officer.updated_at,
        id_column=Officer.id,
        params=params,
        ids_follow_creation=True,
    )


def patch_officer(session: Session, officer: Officer, data: OfficerPatch, if_match: str | None) -> Officer:
    check_if_match(if_match, officer.version)
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "rank", "unit", "active"):
        if field in changes and changes[field] is None:
            raise ValidationProblem.single(field, Message("field.not_null"))
    for field, value in changes.items():
        setattr(officer, field, value)
    if changes:
        officer.updated_at = utcnow()
        session.flush()
    return officer


def _valid_on(day: dt.date | ColumnElement[dt.date]) -> ColumnElement[bool]:
    return and_(Assignment.valid_from <= day, or_(Assignment.valid_to.is_(None), Assignment.valid_to >= day))


def add_assignment(session: Session, officer: Officer, data: AssignmentIn, actor: str) -> Assignment:
    if data.valid_to is not None and data.valid_to < data.valid_from:
        raise ValidationProblem.single("valid_to", Message("outreach.valid_to_order"))
    assignment = Assignment(
        officer_id=officer.id,
        village_code=data.village_code,
        role=data.role.value,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        created_at=utcnow(),
        created_by=actor,
    )
    session.add(assignment)
    session.flush()
    return assignment


def list_assignments(session: Session, officer: Officer) -> list[Assignment]:
    statement = select(Assignment).where(Assignment.officer_id == officer.id).order_by(Assignment.id)
    return list(session.scalars(statement))


def end_assignment(
    session: Session, officer: Officer, assignment_id: int, data: AssignmentEnd, actor: str
) -> Assignment:
    """End an assignment on ``valid_to`` (kept as history: assignments are never deleted)."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.officer_id != officer.id:
        raise OfficerNotFound(
            Message("outreach.assignment_not_found", assignment_id=assignment_id, officer_id=officer.id)
        )
    if data.valid_to < assignment.valid_from:
        raise ValidationProblem.single("valid_to", Message("outreach.valid_to_order"))
    if assignment.valid_to is not None and data.valid_to > assignment.valid_to:
        raise ValidationProblem.single("valid_to", Message("outreach.assignment_shorten"))
    assignment.valid_to = data.valid_to
    assignment.ended_at = utcnow()
    assignment.ended_by = actor
    session.flush()
    return assignment


def villages_today(session: Session, officer_id: int, *, now: dt.datetime | None = None) -> list[str]:
    """Villages where the officer's assignment covers today's date **in that village's zone**."""
    statement = select(Assignment.village_code, Assignment.valid_from, Assignment.valid_to).where(
        Assignment.officer_id == officer_id
    )
    moment = now or utcnow()
    villages = set()
    for code, valid_from, valid_to in session.execute(statement):
        today = today_in_area(code, now=moment)
        if valid_from <= today and (valid_to is None or valid_to >= today):
            villages.add(code)
    return sorted(villages)


def is_assigned(session: Session, officer_id: int, village_code: str, day: dt.date) -> bool:
    statement = select(Assignment.id).where(
        Assignment.officer_id == officer_id, Assignment.village_code == village_code, _valid_on(day)
    )
    return session.execute(statement.limit(1)).first() is not None


# An offline phone may sync a few days late: a capture made while assigned is accepted for this long after
# the assignment ended, never later (so an ended officer cannot keep backdating captures).
SYNC_GRACE = dt.timedelta(days=3)


@dataclass(frozen=True)
class AssignmentSpan:
    village_code: str
    valid_from: dt.date
    valid_to: dt.date | None


def assignment_spans(session: Session, officer_id: int) -> list[AssignmentSpan]:
    """Every assignment of the officer (a handful): checked per synced item without more queries."""
    statement = select(Assignment.village_code, Assignment.valid_from, Assignment.valid_to).where(
        Assignment.officer_id == officer_id
    )
    return [AssignmentSpan(*row) for row in session.execute(statement)]


def capture_allowed(
    spans: Sequence[AssignmentSpan], village_code: str, captured_at: dt.datetime, now: dt.datetime
) -> bool:
    """Whether an officer may sync a capture made at ``captured_at`` in ``village_code``: assigned there on
    that day (the village's local date), by an assignment that ended at most :data:`SYNC_GRACE` ago."""
    captured_on = today_in_area(village_code, now=captured_at)
    earliest_end = today_in_area(village_code, now=now) - SYNC_GRACE
    return any(
        span.village_code == village_code
        and span.valid_from <= captured_on
        and (span.valid_to is None or (span.valid_to >= captured_on and span.valid_to >= earliest_end))
        for span in spans
    )


def officer_may_write(session: Session, officer_id: int, village_code: str, *, now: dt.datetime) -> bool:
    """Active and assigned to the village today (its local date): what every officer write needs."""
    officer = session.get(Officer, officer_id)
    if officer is None or not officer.active:
        return False
    return is_assigned(session, officer_id, village_code, today_in_area(village_code, now=now))


def require_assigned_today(session: Session, principal: Principal, village_code: str) -> None:
    """403 for an officer principal not (or no longer) assigned to ``village_code`` today: the token's
    village list may be up to its lifetime old, the assignment table is the truth."""
    own = own_officer_id(principal)
    if own is None:
        return
    if not is_assigned(session, own, village_code, today_in_area(village_code)):
        raise Forbidden(Message("officer.not_assigned_today", village_code=village_code))


def officer_by_nrp(session: Session, nrp: str) -> Officer:
    officer = session.scalars(select(Officer).where(Officer.nrp == nrp, Officer.active.is_(True))).first()
    if officer is None:
        raise OfficerNotFound(Message("officer.no_active_nrp"))
    return officer


def require_active_officer(session: Session, principal: Principal) -> None:
    """An officer's token outlives a deactivation by up to 15 minutes: check the record itself."""
    own = own_officer_id(principal)
    if own is None:
        return
    officer = session.get(Officer, own)
    if officer is None or not officer.active:
        raise Forbidden(Message("officer.not_active"))


def lock_officer(session: Session, officer_id: int) -> None:
    """Serialise writers of one officer's schedule: a no-op UPDATE takes the officer's row lock on
    PostgreSQL and SQLite's write lock, so two bookings cannot both pass the overlap check."""
    # updated_at named too: left out, its onupdate would mark the officer changed for syncing clients.
    session.execute(
        update(Officer)
        .where(Officer.id == officer_id)
        .values(version=Officer.version, updated_at=Officer.updated_at)
    )
