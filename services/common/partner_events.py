"""The events partners may subscribe to by webhook: the subset of the catalogue that leaves Sasar.

Used by the webhooks service (what an endpoint may choose, what it fans out) and by the gateway's
AsyncAPI document (``GET /asyncapi.json``).
"""

from __future__ import annotations

from enum import StrEnum

from services.common.events import EventType


class PartnerEventType(StrEnum):
    invoice_issued = EventType.invoice_issued.value
    invoice_overdue = EventType.invoice_overdue.value
    payment_received = EventType.payment_received.value
    worker_registered = EventType.worker_registered.value
    worker_deactivated = EventType.worker_deactivated.value
    coverage_activated = EventType.coverage_activated.value
    coverage_lapsed = EventType.coverage_lapsed.value
    session_scheduled = EventType.session_scheduled.value
    session_cancelled = EventType.session_cancelled.value
    import_completed = EventType.import_completed.value


PARTNER_EVENT_TYPES: frozenset[str] = frozenset(t.value for t in PartnerEventType)
