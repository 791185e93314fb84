"""History of workers: every change as (who, when, field, before, after); NIKs are stored masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.common.pagination import PageParams, paginate
from services.common.timeutil import utcnow
from services.registry.models import WorkerHistory
from services.registry.nik import mask_nik

CREATED_FIELD = "*"  # the row written when a worker is registered


def _text(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if field == "nik":
        return mask_nik(str(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def record_changes(
    session: Session,
    worker_id: str,
    *,
    actor: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    note: str | None = None,
    at: dt.datetime | None = None,
) -> int:
    """One history row per field whose value differs; returns how many were written."""
    moment = at or utcnow()
    rows = [
        {
            "worker_id": worker_id,
            "changed_at": moment,
            "actor": actor,
            "field": field,
            "before": _text(field, before.get(field)),
            "after": _text(field, value),
            "note": note,
        }
        for field, value in after.items()
        if before.get(field) != value
    ]
    if rows:
        session.execute(insert(WorkerHistory), rows)
    return len(rows)


def record_creation(session: Session, worker_id: str, *, actor: str, note: str) -> None:
    session.execute(
        insert(WorkerHistory).values(
            worker_id=worker_id,
            changed_at=utcnow(),
            actor=actor,
            field=CREATED_FIELD,
            before=None,
            after="registered",
            note=note,
        )
    )


def list_history(
    session: Session, worker_id: str, params: PageParams
) -> tuple[list[WorkerHistory], str | None]:
    statement = select(WorkerHistory).where(WorkerHistory.worker_id == worker_id)
    return paginate(
        session, statement, key_columns=[WorkerHistory.id], params=params, key_of=lambda h: [h.id]
    )
