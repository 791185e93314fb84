"""History of workers: every change as (who, when, field, before, after); NIKs are stored masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.common.pagination import PageParams, encode_cursor, paginate
from services.common.timeutil import utcnow
from services.registry.models import Worker, WorkerHistory
from services.registry.nik import mask_nik

CREATED_FIELD = "*"  # the entry for the registration itself


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


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    changed_at: dt.datetime
    actor: str
    field: str
    before: str | None
    after: str | None
    note: str | None


def creation_entry(worker: Worker) -> HistoryEntry:
    """The registration itself, read from the worker row (who and when are stored there, so a bulk
    import writes no extra row per worker); always the first entry, with id 0."""
    note = f"imported ({worker.import_id})" if worker.import_id else "registered"
    return HistoryEntry(0, worker.created_at, worker.created_by, CREATED_FIELD, None, "registered", note)


def list_history(
    session: Session, worker: Worker, params: PageParams
) -> tuple[list[HistoryEntry], str | None]:
    """Every change of ``worker``, oldest first, starting with its registration."""
    first_page = params.cursor is None
    if first_page and params.limit == 1:
        return [creation_entry(worker)], encode_cursor([0])
    limit = params.limit - 1 if first_page else params.limit
    statement = select(WorkerHistory).where(WorkerHistory.worker_id == worker.id)
    rows, cursor = paginate(
        session,
        statement,
        key_columns=[WorkerHistory.id],
        params=PageParams(limit=limit, cursor=params.cursor),
        key_of=lambda h: [h.id],
    )
    entries = [HistoryEntry(h.id, h.changed_at, h.actor, h.field, h.before, h.after, h.note) for h in rows]
    return ([creation_entry(worker)] if first_page else []) + entries, cursor
