"""Coverage status of a worker: the only place a status changes.

``registered`` (no contribution yet) → ``active`` (first contribution paid) → ``lapsed`` (more than 3
unpaid months) → ``active`` again on payment; any living status → ``inactive`` on deactivation (moved,
withdrew, merged into another record) or → ``deceased``, which is terminal.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy.orm import Session

from services.common.timeutil import utcnow
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
    worker.version += 1
    worker.updated_at = utcnow()
    after = {f: getattr(worker, f) for f in fields}
    record_changes(session, worker.id, actor=actor, before=before, after=after, note=note)
    session.flush()


DeactivationReason = WorkerDeactivationReason


def deactivate(
    session: Session, worker: Worker, reason: DeactivationReason, effective_date: dt.date, *, actor: str
) -> None:
    target = S.deceased if reason is DeactivationReason.deceased else S.inactive
    change_status(
        session, worker, target, actor=actor, reason=reason.value, effective_date=effective_date, note=None
    )
