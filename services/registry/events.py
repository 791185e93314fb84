"""What the registry tells the other services: worker events written to its outbox.

Every event about a worker carries the worker's snapshot (``worker``: id, village, occupation, declared
income, programs, status, version, and ``temporary_id_expires_on`` while it has no NIK), so a receiver
can keep its own copy current from any one event and ignore one older than what it holds (``version``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, text
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


def _snapshot_sql(dialect: str) -> str:
    if dialect == "postgresql":
        return (
            "json_build_object('worker', json_build_object('id', w.id, 'village_code', w.village_code, "
            "'occupation', w.occupation, 'declared_income_idr', w.declared_income_idr, "
            f"'programs', ({_PROGRAMS_JSON})::json, 'funding', w.funding, 'status', w.status, "
            "'version', w.version, 'temporary', w.nik IS NULL, 'officer_id', w.officer_id, "
            "'temporary_id_expires_on', CASE WHEN w.nik IS NULL THEN w.temporary_deadline END))::text"
        )
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


def emit_imported_workers(session: Session, import_id: str, worker_ids: Sequence[str]) -> int:
    """``worker.registered`` for the workers of one import chunk (``worker_ids``: the chunk's candidates;
    those a held NIK kept out were never inserted), in one ``INSERT … SELECT``."""
    if not worker_ids:
        return 0
    dialect = session.get_bind().dialect.name
    chosen = "x.import_id = :import_id AND x.id IN :ids"
    source = (
        f"(SELECT x.*, hex(randomblob(16)) AS h FROM workers x WHERE {chosen})"
        if dialect == "sqlite"
        else f"(SELECT x.* FROM workers x WHERE {chosen})"
    )
    result = session.execute(
        text(
            "INSERT INTO outbox (id, type, source, aggregate_type, aggregate_id, village_code, occurred_at, "
            "data, delivered_to, attempts, next_attempt_at) "
            f"SELECT {_event_id_sql(dialect)}, :type, 'registry', 'worker', w.id, w.village_code, :now, "
            f"{_snapshot_sql(dialect)}, '', 0, :now FROM {source} w ORDER BY w.created_at, w.id"
        ).bindparams(
            bindparam("import_id", import_id),
            bindparam("ids", list(worker_ids), expanding=True),
            bindparam("type", EventType.worker_registered.value),
            bindparam("now", utcnow(), type_=UTCDateTime()),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
