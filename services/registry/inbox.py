"""What the registry does with other services' events (applied once each, through the inbox).

- ``payment.received`` (funding): each worker whose month is now fully paid becomes ``active``:
  ``registered → active`` on the first contribution, ``lapsed → active`` once no arrears are left.
- ``coverage.lapsed`` (funding's arrears rule, DESIGN §7): an ``active`` worker becomes ``lapsed``.
- ``lead.converted`` (outreach): the worker keeps the officer, session and lead that brought them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.events import EventEnvelope, EventType, Handler, Inbox, one_by_one
from services.registry.history import record_changes
from services.registry.lifecycle import change_status
from services.registry.models import Worker, inbox
from services.registry.validation import WorkerStatus


def _locked_worker(session: Session, worker_id: str) -> Worker | None:
    """The worker (followed to the record it was merged into), locked for the change."""
    for _ in range(3):  # merges do not chain deeper in practice; bound the walk anyway
        statement = select(Worker).where(Worker.id == worker_id).with_for_update()
        worker = session.scalars(statement.execution_options(populate_existing=True)).first()
        if worker is None or worker.merged_into_id is None:
            return worker
        worker_id = worker.merged_into_id
    return None


def _actor(event: EventEnvelope) -> str:
    return f"event:{event.source}"


def on_payment_received(session: Session, event: EventEnvelope) -> None:
    period = event.data.get("period")
    for item in event.data.get("workers", []):
        worker = _locked_worker(session, str(item["worker_id"]))
        if worker is None:
            continue
        status = WorkerStatus(worker.status)
        arrears = int(item.get("arrears_months", 0))
        if status is WorkerStatus.registered or (status is WorkerStatus.lapsed and arrears == 0):
            note = f"contribution for {period} paid (invoice {event.data.get('invoice_number')})"
            change_status(session, worker, WorkerStatus.active, actor=_actor(event), note=note)


def on_coverage_lapsed(session: Session, event: EventEnvelope) -> None:
    worker = _locked_worker(session, str(event.data["worker_id"]))
    if worker is None or worker.status != WorkerStatus.active.value:
        return  # only an active worker lapses (DESIGN §7); anything else has moved on already
    note = f"{event.data.get('unpaid_months')} unpaid months as of {event.data.get('as_of')}"
    change_status(session, worker, WorkerStatus.lapsed, actor=_actor(event), note=note)


def on_lead_converted(session: Session, event: EventEnvelope) -> None:
    worker = _locked_worker(session, str(event.data["worker_id"]))
    if worker is None:
        return
    fields = {
        "officer_id": event.data.get("officer_id"),
        "outreach_session_id": event.data.get("session_id"),
        "lead_id": event.data.get("lead_id"),
    }
    # Keep what registration recorded; fill only what is missing (a lead linked to an existing worker).
    after = {f: v for f, v in fields.items() if v is not None and getattr(worker, f) is None}
    if not after:
        return
    before = {f: getattr(worker, f) for f in after}
    for field, value in after.items():
        setattr(worker, field, str(value))
    record_changes(session, worker.id, actor=_actor(event), before=before, after=after, note="lead converted")


# Each of these locks and changes one worker with its history: applied event by event.
HANDLERS: dict[EventType, Handler] = {
    EventType.payment_received: one_by_one(on_payment_received),
    EventType.coverage_lapsed: one_by_one(on_coverage_lapsed),
    EventType.lead_converted: one_by_one(on_lead_converted),
}
registry_inbox = Inbox(inbox, "registry", HANDLERS)
