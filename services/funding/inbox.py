"""What funding keeps from the registry's events (applied once each, through the inbox).

Every ``worker.*`` event and ``coverage.activated`` refresh funding's own copy of the worker
(:class:`~services.funding.models.FundedWorker`), which billing prices from: a raised income or a changed
occupation is billed from the next run on, and roster additions validate against it, without a call to
the registry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.common.events import EventEnvelope, EventType, Handler, Inbox
from services.funding.agreements import end_memberships, upsert_worker_copies
from services.funding.models import inbox
from services.funding.registry_client import RegistryWorker, parse_worker


def on_worker_snapshots(session: Session, events: Sequence[EventEnvelope]) -> None:
    """Refresh the copies in one upsert; an event older than the copy (lower version) changes nothing."""
    latest: dict[str, RegistryWorker] = {}
    for event in events:
        snapshot = event.data.get("worker")
        if not isinstance(snapshot, dict):
            continue
        worker = parse_worker(snapshot)
        held = latest.get(worker.id)
        if held is None or (worker.version or 0) > (held.version or 0):
            latest[worker.id] = worker
    upsert_worker_copies(session, list(latest.values()), only_newer=True)


def on_worker_deactivated(session: Session, events: Sequence[EventEnvelope]) -> None:
    """A worker who died, moved or withdrew: the copy follows, and every membership ends on the
    effective date (that month stays payable; months after it already invoiced are credited)."""
    on_worker_snapshots(session, events)
    for event in events:
        worker_id = str(event.data.get("worker", {}).get("id") or event.aggregate_id)
        effective = event.data.get("effective_date")
        effective_date = dt.date.fromisoformat(effective) if effective else event.occurred_at.date()
        reason = f"worker {event.data.get('reason') or 'deactivated'} ({effective_date.isoformat()})"
        end_memberships(session, worker_id, effective_date=effective_date, reason=reason)


HANDLERS: dict[EventType, Handler] = {
    EventType.worker_registered: on_worker_snapshots,
    EventType.worker_updated: on_worker_snapshots,
    EventType.worker_deactivated: on_worker_deactivated,
    EventType.coverage_activated: on_worker_snapshots,
}
funding_inbox = Inbox(inbox, "funding", HANDLERS)
