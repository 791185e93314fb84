"""Workers: register, read, list, change, deactivate, coverage status, counts per village.

Tenancy: a village principal touches only its own village, an officer only the villages assigned to them
today, internal clients everything with ``registry:read`` (reads) or ``registry:write`` (changes). A worker
outside the caller's villages answers 404 (no existence leak); registering *into* a village the caller
may not touch is a 422 on ``village_code`` (the code is the caller's own input, not a hidden resource).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.errors import Conflict, ValidationProblem
from services.common.events import EventType
from services.common.messages import Message
from services.common.pagination import ListParams, paginate_list
from services.common.principal import Principal, PrincipalKind, Scope
from services.common.timeutil import today_in_area, utcnow
from services.common.wilayah import provinces_by_zone
from services.registry import duplicates
from services.registry.access import (
    COUNT_SCOPES,
    check_target_village,
    require_read,
    require_write,
    village_clause,
)
from services.registry.areas import get_area
from services.registry.events import emit_worker_event
from services.registry.exceptions import (
    DeceasedNik,
    DuplicateNik,
    InvalidWorker,
    UnknownArea,
    WorkerNotFound,
)
from services.registry.history import record_changes
from services.registry.lifecycle import LIVING, change_status
from services.registry.models import Worker
from services.registry.validation import (
    TEMPORARY_VALIDITY,
    ValidWorker,
    WorkerInput,
    WorkerStatus,
    validate_worker,
)

_LIVING_VALUES = tuple(s.value for s in LIVING)


# --- create ----------------------------------------------------------------------------------------


def local_today(village_code: str) -> dt.date:
    """Today in the village's zone (UTC's date for a code whose province is unknown: it fails validation)."""
    try:
        return today_in_area(village_code)
    except ValueError:
        return utcnow().date()


def new_temporary_id() -> str:
    return "TMP-" + uuid.uuid4().hex[:12].upper()


def existing_holder(session: Session, nik: str) -> Worker | None:
    """The worker that currently holds ``nik`` (any village), if any."""
    statement = select(Worker).where(Worker.nik == nik, Worker.status.in_(_LIVING_VALUES))
    return session.execute(statement).scalars().first()


def is_deceased_nik(session: Session, nik: str) -> bool:
    """Whether a worker with ``nik`` is recorded as deceased (terminal: the NIK is never registered again)."""
    statement = select(Worker.id).where(Worker.nik == nik, Worker.status == WorkerStatus.deceased.value)
    return session.execute(statement.limit(1)).first() is not None


def check_nik_available(session: Session, principal: Principal, nik: str) -> None:
    """409 when ``nik`` is held by a living worker or belongs to a deceased one."""
    if is_deceased_nik(session, nik):
        raise DeceasedNik()
    if existing_holder(session, nik) is not None:
        raise _duplicate_nik(session, principal, nik)


def _duplicate_nik(session: Session, principal: Principal, nik: str) -> DuplicateNik:
    holder = existing_holder(session, nik)
    visible = holder is not None and principal.can_access_village(holder.village_code)
    return DuplicateNik(holder.id if visible and holder is not None else None)


def worker_values(valid: ValidWorker, *, temporary: bool, today: dt.date) -> dict[str, Any]:
    return {
        "nik": valid.nik,
        "temporary_id": new_temporary_id() if temporary else None,
        "temporary_deadline": today + TEMPORARY_VALIDITY if temporary else None,
        "name": valid.name,
        "name_key": valid.name_key,
        "sex": valid.sex,
        "birth_date": valid.birth_date,
        "phone": valid.phone,
        "village_code": valid.village_code,
        "occupation": valid.occupation,
        "declared_income_idr": valid.declared_income_idr,
        "programs": valid.programs,
        "funding": valid.funding,
        "status": WorkerStatus.registered.value,
        "officer_id": valid.officer_id,
        "outreach_session_id": valid.outreach_session_id,
        "lead_id": valid.lead_id,
        "version": 1,
    }


def create_worker(session: Session, principal: Principal, data: WorkerInput) -> Worker:
    """Register one worker; 422 with every field problem, 409 when the NIK is already held."""
    require_write(principal)
    if principal.kind is PrincipalKind.officer and data.officer_id is None:
        data.officer_id = principal.subject
    today = local_today(data.village_code)
    valid, errors = validate_worker(data, today=today)
    if valid is None:
        raise InvalidWorker(errors)
    check_target_village(principal, valid.village_code)
    if valid.nik is not None:
        check_nik_available(session, principal, valid.nik)
    now = utcnow()
    worker = Worker(
        id=str(uuid.uuid4()),
        created_by=principal.actor,
        created_at=now,
        updated_at=now,
        **worker_values(valid, temporary=data.temporary, today=today),
    )
    try:
        # The partial unique index decides a race between two registrations of one NIK.
        with session.begin_nested():
            session.add(worker)
            session.flush()
    except IntegrityError:
        if valid.nik is None:
            raise
        raise _duplicate_nik(session, principal, valid.nik) from None
    duplicates.detect_for_workers(session, lambda w: w.id == worker.id)
    session.flush()
    emit_worker_event(session, EventType.worker_registered, worker)
    return worker


# --- read and list ---------------------------------------------------------------------------------


def get_worker(session: Session, principal: Principal, worker_id: str) -> Worker:
    require_read(principal)
    worker = session.get(Worker, worker_id)
    if worker is None or not principal.can_access_village(worker.village_code):
        raise WorkerNotFound(worker_id)
    return worker


@dataclass(frozen=True)
class WorkerFilters:
    village_code: str | None = None
    status: WorkerStatus | None = None
    q: str | None = None
    temporary: bool | None = None
    temporary_id_overdue: bool | None = None


def temporary_overdue_clause(now: dt.datetime | None = None) -> ColumnElement[bool]:
    """A living worker still on a temporary id whose deadline has passed in the village's own zone
    (the deadline day itself still counts as in time)."""
    moment = now or utcnow()
    per_zone = [
        and_(
            func.substr(Worker.village_code, 1, 2).in_(sorted(provinces)),
            Worker.temporary_deadline < moment.astimezone(ZoneInfo(zone)).date(),
        )
        for zone, provinces in sorted(provinces_by_zone().items())
    ]
    return and_(
        Worker.nik.is_(None),
        Worker.temporary_deadline.is_not(None),
        Worker.status.in_(_LIVING_VALUES),
        or_(*per_zone),
    )


def list_workers(
    session: Session, principal: Principal, filters: WorkerFilters, params: ListParams
) -> tuple[list[Worker], str | None]:
    statement = workers_query(principal, filters)
    return paginate_list(
        session,
        statement,
        created_at=Worker.created_at,
        updated_at=Worker.updated_at,
        id_column=Worker.id,
        params=params,
    )


def workers_query(principal: Principal, filters: WorkerFilters) -> Select[Worker]:
    """The workers ``principal`` may read that match ``filters`` (the list and its export)."""
    require_read(principal)
    statement = select(Worker).where(village_clause(principal))
    if filters.village_code is not None:
        statement = statement.where(Worker.village_code == filters.village_code)
    if filters.status is not None:
        statement = statement.where(Worker.status == filters.status.value)
    if filters.temporary is not None:
        statement = statement.where(
            Worker.temporary_deadline.is_not(None)
            if filters.temporary
            else Worker.temporary_deadline.is_(None)
        )
    if filters.temporary_id_overdue is not None:
        overdue = temporary_overdue_clause()
        statement = statement.where(overdue if filters.temporary_id_overdue else ~overdue)
    if filters.q:
        q = filters.q.strip()
        if q.isdigit() and len(q) == 16:
            statement = statement.where(Worker.nik == q)
        else:
            escaped = q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            statement = statement.where(Worker.name_key.like(f"%{escaped}%", escape="\\"))
    return statement


# --- change ----------------------------------------------------------------------------------------

EDITABLE = ("name", "phone", "occupation", "declared_income_idr", "programs", "funding")


def _as_input(worker: Worker) -> WorkerInput:
    return WorkerInput(
        name=worker.name,
        village_code=worker.village_code,
        occupation=worker.occupation,
        declared_income_idr=worker.declared_income_idr,
        programs=worker.programs.split(","),
        nik=worker.nik,
        temporary=worker.nik is None,
        birth_date=worker.birth_date,
        sex=worker.sex,
        phone=worker.phone,
        funding=worker.funding,
    )


def update_worker(
    session: Session,
    principal: Principal,
    worker_id: str,
    changes: dict[str, Any],
    *,
    version_check: Callable[[int], None],
) -> Worker:
    """Apply a partial change (re-validated as a whole); ``nik`` replaces a temporary id.

    ``version_check(version)`` raises 412 when the client's ETag is stale.
    """
    require_write(principal)
    worker = get_worker(session, principal, worker_id)
    version_check(worker.version)
    if WorkerStatus(worker.status) not in LIVING:
        raise Conflict(
            Message("registry.worker_unchangeable", status=worker.status),
            errors=[{"field": "status", "reason": Message("registry.worker_is", status=worker.status)}],
        )
    merged = _as_input(worker)
    for field, value in changes.items():
        setattr(merged, field, value)
    if "nik" in changes:
        if worker.nik is not None:
            raise ValidationProblem.single("nik", Message("registry.nik_fixed"))
        merged.temporary = False
        if not changes["nik"]:
            raise ValidationProblem.single("nik", Message("registry.nik_empty"))
    elif worker.nik is not None and ("sex" in changes or "birth_date" in changes):
        raise ValidationProblem.single("nik", Message("registry.nik_derived"))
    valid, errors = validate_worker(merged, today=local_today(worker.village_code))
    if valid is None:
        raise InvalidWorker(errors)
    before = {f: getattr(worker, f) for f in (*EDITABLE, "nik", "sex", "birth_date", "temporary_deadline")}
    after: dict[str, Any] = {f: getattr(valid, f) for f in EDITABLE}
    after.update(nik=valid.nik, sex=valid.sex, birth_date=valid.birth_date)
    after["temporary_deadline"] = None if valid.nik else worker.temporary_deadline
    if valid.nik is not None and worker.nik is None:
        check_nik_available(session, principal, valid.nik)
    if all(before[f] == v for f, v in after.items()):
        return worker
    for field, value in after.items():
        setattr(worker, field, value)
    worker.name_key = valid.name_key
    worker.updated_at = utcnow()
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _duplicate_nik(session, principal, valid.nik or "") from None
    record_changes(session, worker.id, actor=principal.actor, before=before, after=after)
    session.flush()
    changed = sorted(f for f, v in after.items() if before[f] != v)
    emit_worker_event(session, EventType.worker_updated, worker, changed=changed)
    return worker


def set_coverage(session: Session, principal: Principal, worker_id: str, status: WorkerStatus) -> Worker:
    """Trusted callers (funding, events) mark coverage active or lapsed."""
    principal.require_scope(Scope.registry_write.value)
    if status not in (WorkerStatus.active, WorkerStatus.lapsed):
        raise ValidationProblem.single("status", Message("registry.coverage_status"))
    worker = get_worker(session, principal, worker_id)
    if worker.status != status.value:
        change_status(session, worker, status, actor=principal.actor, note="coverage")
    return worker


# --- counts ----------------------------------------------------------------------------------------


def worker_counts(session: Session, principal: Principal, area: str) -> list[dict[str, Any]]:
    """Workers per status per village under ``area`` (a code prefix), by GROUP BY in SQL."""
    require_read(principal, COUNT_SCOPES)
    get_area(session, area)
    statement = (
        select(Worker.village_code, Worker.status, func.count())
        .where(village_clause(principal))
        .group_by(Worker.village_code, Worker.status)
        .order_by(Worker.village_code)
    )
    if len(area) == 13:
        statement = statement.where(Worker.village_code == area)
    else:
        statement = statement.where(Worker.village_code.startswith(area + "."))
    villages = principal.village_filter()
    if villages is not None and not any(v == area or v.startswith(area + ".") for v in villages):
        raise UnknownArea(area)
    counts: dict[str, dict[str, Any]] = {}
    for village_code, status, count in session.execute(statement):
        row = counts.setdefault(
            village_code, {"village_code": village_code, **{s.value: 0 for s in WorkerStatus}}
        )
        row[status] = int(count)
    return list(counts.values())
