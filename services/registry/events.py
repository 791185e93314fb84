"""What the registry tells the other services: worker events written to its outbox.

Every event about a worker carries the worker's snapshot (``worker``: id, village, occupation, declared
income, programs, status, version, and ``temporary_id_expires_on`` while it has no NIK), so a receiver
can keep its own copy current from any one event and ignore one older than what it holds (``version``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlalchemy.orm import Session

from services.common.db import UTCDateTime
from services.common.events import EventType, NewEvent, Outbox
from services.common.partner_events import ImportCompletedData, partner_data
from services.common.timeutil import utcnow
from services.registry.models import Worker, WorkerImport, outbox

registry_outbox = Outbox(outbox, "registry")


def worker_snapshot(worker: Worker) -> dict[str, Any]:
    return {
        "id": worker.id,
        "village_code": worker.village_code,
        "occupation": worker.occupation,
        "declared_income_idr": worker.declared_income_idr,
        "programs": worker.programs.split(","),
        "funding": worker.funding,
        "status": worker.status,
        "version": worker.version,
        "temporary": worker.nik is None,
        "officer_id": worker.officer_id,
        # Past this date (the village's local date) a worker still without a NIK may not be rostered.
        "temporary_id_expires_on": (
            worker.temporary_deadline.isoformat()
            if worker.nik is None and worker.temporary_deadline
            else None
        ),
    }


def emit_worker_event(session: Session, event_type: EventType, worker: Worker, **extra: Any) -> None:
    data = {"worker": worker_snapshot(worker), **extra}
    registry_outbox.emit(session, NewEvent(event_type, "worker", worker.id, worker.village_code, data))


# The two canonical programme lists (validation.py) as JSON, so SQL can build the snapshot without
# splitting strings (SQLite has no split function).
_PROGRAMS_JSON = 'CASE w.programs WHEN \'JKK,JKM\' THEN \'["JKK","JKM"]\' ELSE \'["JKK","JKM","JHT"]\' END'


# The snapshot's keys with, for PostgreSQL, each value as SQL yielding text, and whether that text is a
# JSON string to be put in quotes. Only officer_id is free text, so only it is quoted by to_json; the
# other strings are ids and codes checked on the way in (no quote or backslash can occur in them).
_SNAPSHOT_TEXT = (
    ("id", "w.id", True),
    ("village_code", "w.village_code", True),
    ("occupation", "w.occupation", True),
    ("declared_income_idr", "w.declared_income_idr", False),
    ("programs", _PROGRAMS_JSON, False),
    ("funding", "w.funding", True),
    ("status", "w.status", True),
    ("version", "w.version", False),
    ("temporary", "CASE WHEN w.nik IS NULL THEN 'true' ELSE 'false' END", False),
    ("officer_id", "COALESCE(to_json(w.officer_id)::text, 'null')", False),
    (
        "temporary_id_expires_on",
        "CASE WHEN w.nik IS NULL AND w.temporary_deadline IS NOT NULL "
        "THEN '\"' || to_char(w.temporary_deadline, 'YYYY-MM-DD') || '\"' ELSE 'null' END",
        False,
    ),
)


def _snapshot_concatenated() -> str:
    """The snapshot as one chain of ``||`` (the literal parts between values merged)."""
    parts: list[str] = []
    literal = '{"worker": {'
    for position, (key, value, quoted) in enumerate(_SNAPSHOT_TEXT):
        literal += (", " if position else "") + f'"{key}": ' + ('"' if quoted else "")
        parts += [f"'{literal}'", value]
        literal = '"' if quoted else ""
    parts.append(f"'{literal}}}}}'")
    return " || ".join(parts)


def _snapshot_sql(dialect: str) -> str:
    if dialect == "postgresql":
        # Concatenated as text: json_build_object cost four times as much per row, a sixth of the
        # server's time in a profiled 100,000-row import.
        return _snapshot_concatenated()
    return (
        "json_object('worker', json_object('id', w.id, 'village_code', w.village_code, "
        "'occupation', w.occupation, 'declared_income_idr', w.declared_income_idr, "
        f"'programs', json({_PROGRAMS_JSON}), 'funding', w.funding, 'status', w.status, "
        "'version', w.version, 'temporary', json(CASE WHEN w.nik IS NULL THEN 'true' ELSE 'false' END), "
        "'officer_id', w.officer_id, "
        "'temporary_id_expires_on', CASE WHEN w.nik IS NULL THEN w.temporary_deadline END))"
    )


def _event_id_sql(dialect: str) -> str:
    if dialect == "postgresql":
        return "gen_random_uuid()::text"
    # A random version-4 shaped UUID from SQLite's randomblob.
    return (
        "lower(substr(w.h, 1, 8) || '-' || substr(w.h, 9, 4) || '-4' || substr(w.h, 14, 3) || '-' || "
        "substr('89ab', 1 + (abs(random()) % 4), 1) || substr(w.h, 18, 3) || '-' || substr(w.h, 21, 12))"
    )


def staged_workers_outbox(session: Session, staging: str) -> tuple[str, list[BindParameter[Any]]]:
    """The ``INSERT … SELECT`` (and its parameters) writing ``worker.registered`` for every worker of an
    import chunk's staging table (holding only workers inserted, as registered at version 1), in file
    order."""
    dialect = session.get_bind().dialect.name
    random_hex = ", hex(randomblob(16)) AS h" if dialect == "sqlite" else ""
    source = f"(SELECT s.*, 'registered' AS status, 1 AS version{random_hex} FROM {staging} s)"
    statement = (
        "INSERT INTO outbox (id, type, source, aggregate_type, aggregate_id, village_code, occurred_at, "
        "data, delivered_to, attempts, next_attempt_at) "
        f"SELECT {_event_id_sql(dialect)}, :event_type, 'registry', 'worker', w.id, w.village_code, "
        f":emitted_at, {_snapshot_sql(dialect)}, '', 0, :emitted_at FROM {source} w ORDER BY w.row_number"
    )
    return statement, [
        bindparam("event_type", EventType.worker_registered.value),
        bindparam("emitted_at", utcnow(), type_=UTCDateTime()),
    ]


def deactivation_data(reason: str | None, effective_date: dt.date | None) -> dict[str, Any]:
    return {"reason": reason, "effective_date": effective_date.isoformat() if effective_date else None}


def publish_import_completed(session: Session, record: WorkerImport) -> None:
    """``import.completed`` once an import has processed its last row (its counts final)."""
    data = ImportCompletedData(
        import_id=record.id,
        total=record.total,
        accepted=record.accepted,
        rejected=record.rejected,
        duplicate_existing=record.duplicate_existing,
        duplicate_in_file=record.duplicate_in_file,
    )
    event_type = EventType.import_completed
    registry_outbox.emit(
        session,
        NewEvent(event_type, "import", record.id, record.village_code, partner_data(event_type, data)),
    )
