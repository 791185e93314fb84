"""What funding keeps from the registry's events (applied once each, through the inbox).

Every ``worker.*`` event and ``coverage.activated`` refresh funding's own copy of the worker
(:class:`~services.funding.models.FundedWorker`), which billing prices from: a raised income or a changed
occupation is billed from the next run on, and roster additions validate against it, without a call to
the registry.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.common.events import EventEnvelope, EventType, Handler, Inbox
from services.funding.agreements import upsert_worker_copies
from services.funding.models import inbox
from services.funding.registry_client import parse_worker


def on_worker_snapshot(session: Session, event: EventEnvelope) -> None:
    """Refresh the worker copy; an event older than the copy (lower version) changes nothing."""
    snapshot = event.data.get("worker")
    if not isinstance(snapshot, dict):
        return
    upsert_worker_copies(session, [parse_worker(snapshot)], only_newer=True)


HANDLERS: dict[EventType, Handler] = {
    EventType.worker_registered: on_worker_snapshot,
    EventType.worker_updated: on_worker_snapshot,
    EventType.worker_deactivated: on_worker_snapshot,
    EventType.coverage_activated: on_worker_snapshot,
}
funding_inbox = Inbox(inbox, "funding", HANDLERS)
