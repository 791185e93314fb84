"""Coverage status of a worker: the only place a status changes.

``registered`` (no contribution yet) → ``active`` (first contribution paid) → ``lapsed`` (more than 3
unpaid months) → ``active`` again on payment; any living status → ``inactive`` on deactivation (moved,
withdrew, merged into another record) or → ``deceased``, which is terminal.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.errors import Conflict
from services.common.events import EventType
from services.common.messages import Message
from services.common.timeutil import today_in_area, utcnow
from services.registry.events import deactivation_data, emit_worker_event
from services.registry.exceptions import IllegalTransition
from services.registry.history import record_changes
from services.registry.models import Worker
from services.registry.validation import WorkerStatus

S = WorkerStatus
ALLOWED: dict[WorkerStatus, frozenset[WorkerStatus]] = {
    S.registered: frozenset({S.active, S.inactive, S.deceased}),
    S.active: frozenset({S.lapsed, S.inactive, S.deceased}),
    S.lapsed: frozenset({S.active, S.inactive, S.deceased}),
    S.inactive: frozenset({S.deceased}),
    S.deceased: frozenset(),
}
LIVING = frozenset({S.registered, S.active, S.lapsed})


class WorkerDeactivationReason(StrEnum):
    moved = "moved"
    deceased = "deceased"
    withdrew = "withdrew"


def can_transition(current: WorkerStatus, target: WorkerStatus) -> bool:
    return target in ALLOWED[current]


def change_status(
    session: Session,
    worker: Worker,
    target: WorkerStatus,
    *,
    actor: str,
    reason: str | None = None,
    effective_date: dt.date | None = None,
    note: str | None = None,
) -> None:
    """Move ``worker`` to ``target`` (refusing illegal moves with 409), bump its version, keep history."""
    current = WorkerStatus(worker.status)
    if not can_transition(current, target):
        raise IllegalTransition(current.value, target.value)
    fields = ("status", "status_reason", "status_effective_date")
    before = {f: getattr(worker, f) for f in fields}
    worker.status = target.value
    worker.status_reason = reason
    worker.status_effective_date = effective_date
    worker.updated_at = utcnow()
    after = {f: getattr(worker, f) for f in fields}
    record_changes(session, worker.id, actor=actor, before=before, after=after, note=note)
    session.flush()
    _publish_status(session, worker, current, target, reason=reason, effective_date=effective_date)


def _publish_status(
    session: Session,
    worker: Worker,
    before: WorkerStatus,
    target: WorkerStatus,
    *,
    reason: str | None,
    effective_date: dt.date | None,
) -> None:
    """One event per status change, in the same transaction: the other services' copies follow."""
    if target is S.active:
        emit_worker_event(session, EventType.coverage_activated, worker, previous_status=before.value)
    elif target in (S.inactive, S.deceased):
        data = deactivation_data(reason, effective_date or today_in_area(worker.village_code))
        emit_worker_event(session, EventType.worker_deactivated, worker, **data)
    else:
        emit_worker_event(session, EventType.worker_updated, worker, changed=["status"])


DeactivationReason = WorkerDeactivationReason


def deactivate(
    session: Session, worker: Worker, reason: DeactivationReason, effective_date: dt.date, *, actor: str
) -> None:
    target = S.deceased if reason is DeactivationReason.deceased else S.inactive
    if target is S.deceased and worker.nik is not None and worker.status == S.inactive.value:
        # One person, one fate: an old (moved) record cannot die while a living record holds its NIK.
        living = session.execute(
            select(Worker.id).where(
                Worker.nik == worker.nik,
                Worker.id != worker.id,
                Worker.status.in_([s.value for s in LIVING]),
            )
        ).first()
        if living is not None:
            raise Conflict(
                Message("registry.living_holder"),
                errors=[{"field": "status", "reason": Message("registry.living_holder_reason")}],
            )
    change_status(
        session, worker, target, actor=actor, reason=reason.value, effective_date=effective_date, note=None
    )
