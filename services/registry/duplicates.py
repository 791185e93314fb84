"""Possible duplicates the exact NIK check cannot catch: a worker registered with a temporary id (no NIK)
who has the same normalised name, birth date and village as another living worker. Reviewers resolve each
pair as ``different_people`` or ``same_person`` (merge: one record kept, the other becomes inactive with a
pointer to it; both histories are kept).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from services.common.errors import Conflict, ValidationProblem
from services.common.messages import Message
from services.common.pagination import ListParams, paginate_list
from services.common.principal import Principal
from services.common.timeutil import utcnow
from services.registry.access import require_read, require_write
from services.registry.exceptions import CandidateNotFound, DeceasedNik
from services.registry.history import record_changes
from services.registry.lifecycle import LIVING, change_status
from services.registry.models import DuplicateCandidate, Worker
from services.registry.validation import WorkerStatus

_LIVING_VALUES = tuple(s.value for s in LIVING)


class DuplicateCandidateStatus(StrEnum):
    open = "open"
    same_person = "same_person"
    different_people = "different_people"


CandidateStatus = DuplicateCandidateStatus


class Decision(StrEnum):
    same_person = "same_person"
    different_people = "different_people"


def _insert_ignoring_conflicts(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (
        postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    ).on_conflict_do_nothing()


# The pair query's aliases and ordered ids, built once: a fresh aliased() per call re-derived its column
# proxies on every registration (a tenth of the registry's CPU under the load test, profiled).
_NEW, _OLD = aliased(Worker, name="new_worker"), aliased(Worker, name="old_worker")
_SEEN = aliased(DuplicateCandidate, name="seen_candidate")
_LOW = case((_NEW.id < _OLD.id, _NEW.id), else_=_OLD.id)
_HIGH = case((_NEW.id < _OLD.id, _OLD.id), else_=_NEW.id)


def detect_for_workers(session: Session, clause_for: Callable[[Any], ColumnElement[bool]]) -> int:
    """Record candidate pairs involving the workers selected by ``clause_for(alias)`` (one INSERT … SELECT),
    e.g. ``lambda w: w.import_id == import_id``.

    Driven from the new workers through the (village, birth date, name key) index: a new temporary worker
    is compared with every living worker, a new worker with a NIK only with temporary ones.
    """
    new, old, seen, low, high = _NEW, _OLD, _SEEN, _LOW, _HIGH
    now = literal(utcnow(), type_=DuplicateCandidate.__table__.c.created_at.type)
    pairs = (
        select(
            new.village_code,
            low,
            high,
            literal(CandidateStatus.open.value),
            now,
            now,
        )
        .join(
            old,
            and_(
                old.village_code == new.village_code,
                old.birth_date == new.birth_date,
                old.name_key == new.name_key,
                old.id != new.id,
            ),
        )
        .where(
            clause_for(new),
            new.status.in_(_LIVING_VALUES),
            old.status.in_(_LIVING_VALUES),
            or_(new.nik.is_(None), old.nik.is_(None)),
            ~exists().where(seen.worker_id == low, seen.other_worker_id == high),
        )
    )
    statement = _insert_ignoring_conflicts(session, DuplicateCandidate.__table__).from_select(
        ["village_code", "worker_id", "other_worker_id", "status", "created_at", "updated_at"], pairs
    )
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def list_candidates(
    session: Session,
    principal: Principal,
    *,
    status: CandidateStatus | None,
    village_code: str | None,
    params: ListParams,
) -> tuple[list[DuplicateCandidate], str | None]:
    require_read(principal)
    statement = select(DuplicateCandidate)
    villages = principal.village_filter()
    if villages is not None:
        statement = statement.where(DuplicateCandidate.village_code.in_(sorted(villages)))
    if status is not None:
        statement = statement.where(DuplicateCandidate.status == status.value)
    if village_code is not None:
        statement = statement.where(DuplicateCandidate.village_code == village_code)
    return paginate_list(
        session,
        statement,
        created_at=DuplicateCandidate.created_at,
        updated_at=DuplicateCandidate.updated_at,
        id_column=DuplicateCandidate.id,
        params=params,
        ids_follow_creation=True,
    )


def get_candidate(session: Session, principal: Principal, candidate_id: int) -> DuplicateCandidate:
    require_read(principal)
    candidate = session.get(DuplicateCandidate, candidate_id)
    if candidate is None or not principal.can_access_village(candidate.village_code):
        raise CandidateNotFound(candidate_id)
    return candidate


def resolve(
    session: Session,
    principal: Principal,
    candidate_id: int,
    decision: Decision,
    keep_worker_id: str | None = None,
) -> DuplicateCandidate:
    require_write(principal)
    candidate = get_candidate(session, principal, candidate_id)
    if candidate.status != CandidateStatus.open.value:
        raise Conflict(Message("registry.candidate_resolved", status=candidate.status))
    pair = (candidate.worker_id, candidate.other_worker_id)
    if decision is Decision.same_person:
        first, second = (session.get(Worker, pair[0]), session.get(Worker, pair[1]))
        assert first is not None and second is not None  # foreign keys
        if keep_worker_id is None:
            # Keep the record with a real NIK, else the older registration.
            keep = first if (first.nik is not None) >= (second.nik is not None) else second
            if first.nik is None and second.nik is None:
                keep = min((first, second), key=lambda w: (w.created_at, w.id))
        elif keep_worker_id in pair:
            keep = first if keep_worker_id == first.id else second
        else:
            raise ValidationProblem.single("keep_worker_id", Message("registry.keep_one_of_two"))
        gone = second if keep is first else first
        _merge(session, keep, gone, actor=principal.actor)
        candidate.kept_worker_id = keep.id
    elif keep_worker_id is not None:
        raise ValidationProblem.single("keep_worker_id", Message("registry.keep_same_person"))
    candidate.status = decision.value
    candidate.resolved_by = principal.actor
    candidate.resolved_at = utcnow()
    session.flush()
    return candidate


def _merge(session: Session, keep: Worker, gone: Worker, *, actor: str) -> None:
    if WorkerStatus(keep.status) not in LIVING:
        raise Conflict(Message("registry.keep_status", status=keep.status))
    note = f"merged into {keep.id}"
    gone.merged_into_id = keep.id
    change_status(session, gone, WorkerStatus.inactive, actor=actor, reason="merged", note=note)
    if keep.nik is None and gone.nik is not None:
        if session.execute(
            select(Worker.id).where(Worker.nik == gone.nik, Worker.status == WorkerStatus.deceased.value)
        ).first():
            # Deceased is terminal for the NIK: a merge must not hand it to a living record again.
            raise DeceasedNik()
        # The kept record takes over the NIK now that the other one no longer holds it.
        before = {"nik": None, "temporary_deadline": keep.temporary_deadline}
        keep.nik = gone.nik
        keep.temporary_deadline = None
        keep.updated_at = utcnow()
        record_changes(
            session,
            keep.id,
            actor=actor,
            before=before,
            after={"nik": keep.nik, "temporary_deadline": None},
            note=f"merged from {gone.id}",
        )
    session.flush()
