"""Webhooks and the event backbone: it publishes nothing; every partner-visible event it receives is
fanned out to the endpoints that chose it (``deliveries.fan_out``), in the inbox's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.common.events import SUBSCRIPTIONS, EventEnvelope, EventType, Handler, Inbox
from services.webhooks.deliveries import fan_out
from services.webhooks.models import inbox


def on_partner_events(session: Session, events: Sequence[EventEnvelope]) -> None:
    fan_out(session, events)


# One handler for every type: a mixed batch is one run, so one fan-out (a few statements).
HANDLERS: dict[EventType, Handler] = {kind: on_partner_events for kind in SUBSCRIPTIONS["webhooks"]}
webhooks_inbox = Inbox(inbox, "webhooks", HANDLERS)
