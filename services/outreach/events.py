"""Outreach and the event backbone.

Published: ``lead.converted`` (the registry records the officer, session and lead on the worker);
``session.scheduled`` and ``session.cancelled`` (for partners' webhooks).

Consumed: ``worker.*`` and ``coverage.activated`` keep the per-village registered/covered counts that
progress reads (``village_worker_counts``) without asking the registry. ``worker_tallies`` remembers each
worker's village, status and version, so one event moves exactly one worker from one counter to another,
and an event older than the tally (lower version) changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.common.events import EventEnvelope, EventType, Handler, Inbox, NewEvent, Outbox
from services.common.partner_events import SessionCancelledData, SessionScheduledData, partner_data
from services.common.timeutil import utcnow
from services.outreach.models import (
    Lead,
    OutreachSession,
    VillageWorkerCount,
    WorkerTally,
    inbox,
    outbox,
)
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


def publish_session(session: Session, row: OutreachSession, reason: str | None = None) -> None:
    """``session.scheduled`` (a session planned, not one recorded after the fact) or, with a
    ``reason``, ``session.cancelled``; the village's partners learn of sessions in their village."""
    if reason is None:
        event_type = EventType.session_scheduled
        data: BaseModel = SessionScheduledData(
            session_id=row.id,
            officer_id=row.officer_id,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            venue=row.venue,
            kind=row.kind,
        )
    else:
        event_type = EventType.session_cancelled
        data = SessionCancelledData(
            session_id=row.id,
            officer_id=row.officer_id,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            reason=reason,
        )
    outreach_outbox.emit(
        session,
        NewEvent(event_type, "session", str(row.id), row.village_code, partner_data(event_type, data)),
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


def on_worker_snapshots(session: Session, events: Sequence[EventEnvelope]) -> None:
    """Move each worker from its old (village, status) counter to its new one, in a few statements."""
    latest: dict[str, tuple[str, str, int]] = {}
    for event in events:
        snapshot = event.data.get("worker")
        if not isinstance(snapshot, dict):
            continue
        state = (str(snapshot["village_code"]), str(snapshot["status"]), int(snapshot.get("version") or 0))
        worker_id = str(snapshot["id"])
        if worker_id not in latest or state[2] > latest[worker_id][2]:
            latest[worker_id] = state
    if not latest:
        return
    held = {
        tally.worker_id: tally
        for tally in session.scalars(
            select(WorkerTally).where(WorkerTally.worker_id.in_(list(latest))).with_for_update()
        )
    }
    deltas: Counter[tuple[str, str]] = Counter()
    rows = []
    for worker_id, (village_code, status, version) in latest.items():
        old = held.get(worker_id)
        if old is not None and old.version >= version:
            continue  # a later event already counted this worker
        if old is not None:
            deltas[(old.village_code, old.status)] -= 1
        deltas[(village_code, status)] += 1
        rows.append(
            {"worker_id": worker_id, "village_code": village_code, "status": status, "version": version}
        )
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(WorkerTally).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["worker_id"],
            set_={f: statement.excluded[f] for f in ("village_code", "status", "version")},
        )
    )
    for (village_code, status), delta in sorted(deltas.items()):
        if delta:
            _bump(session, village_code, status, delta)


HANDLERS: dict[EventType, Handler] = {
    EventType.worker_registered: on_worker_snapshots,
    EventType.worker_updated: on_worker_snapshots,
    EventType.worker_deactivated: on_worker_snapshots,
    EventType.coverage_activated: on_worker_snapshots,
}
outreach_inbox = Inbox(inbox, "outreach", HANDLERS)
