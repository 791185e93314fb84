"""Outreach and the event backbone.

Published: ``lead.converted`` (the registry records the officer, session and lead on the worker).

Consumed: ``worker.*`` and ``coverage.activated`` keep the per-village registered/covered counts that
progress reads (``village_worker_counts``) without asking the registry. ``worker_tallies`` remembers each
worker's village, status and version, so one event moves exactly one worker from one counter to another,
and an event older than the tally (lower version) changes nothing.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.common.events import EventEnvelope, EventType, Handler, Inbox, NewEvent, Outbox
from services.common.timeutil import utcnow
from services.outreach.models import Lead, VillageWorkerCount, WorkerTally, inbox, outbox
from services.outreach.registry_client import COUNT_FIELDS

outreach_outbox = Outbox(outbox, "outreach")


def publish_lead_converted(session: Session, lead: Lead) -> None:
    data = {
        "lead_id": str(lead.id),
        "worker_id": lead.worker_id,
        "officer_id": str(lead.officer_id) if lead.officer_id is not None else None,
        "session_id": str(lead.session_id) if lead.session_id is not None else None,
        "linked_existing": lead.linked_existing,
    }
    outreach_outbox.emit(
        session, NewEvent(EventType.lead_converted, "lead", str(lead.id), lead.village_code, data)
    )


def _bump(session: Session, village_code: str, status: str, delta: int) -> None:
    if status not in COUNT_FIELDS:
        return
    column = VillageWorkerCount.__table__.c[status]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {field: 0 for field in COUNT_FIELDS}
    values[status] = max(delta, 0)
    statement = insert(VillageWorkerCount).values(village_code=village_code, refreshed_at=utcnow(), **values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["village_code"],
            set_={status: column + delta, "refreshed_at": statement.excluded.refreshed_at},
        )
    )


def on_worker_snapshot(session: Session, event: EventEnvelope) -> None:
    snapshot = event.data.get("worker")
    if not isinstance(snapshot, dict):
        return
    worker_id = str(snapshot["id"])
    village_code = str(snapshot["village_code"])
    status = str(snapshot["status"])
    version = int(snapshot.get("version") or 0)
    tally = session.scalars(
        select(WorkerTally).where(WorkerTally.worker_id == worker_id).with_for_update()
    ).first()
    if tally is None:
        tally = WorkerTally(worker_id=worker_id, village_code=village_code, status=status, version=version)
        session.add(tally)
        session.flush()
    elif tally.version >= version:
        return  # a later event already counted this worker
    else:
        _bump(session, tally.village_code, tally.status, -1)
        session.execute(
            update(WorkerTally)
            .where(WorkerTally.worker_id == worker_id)
            .values(village_code=village_code, status=status, version=version)
        )
    _bump(session, village_code, status, +1)


HANDLERS: dict[EventType, Handler] = {
    EventType.worker_registered: on_worker_snapshot,
    EventType.worker_updated: on_worker_snapshot,
    EventType.worker_deactivated: on_worker_snapshot,
    EventType.coverage_activated: on_worker_snapshot,
}
outreach_inbox = Inbox(inbox, "outreach", HANDLERS)
