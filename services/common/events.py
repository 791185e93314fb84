"""Domain events between services: the transactional outbox (writer side) and the inbox (receiver side).

A service never calls another to tell it something happened. It writes an event row into its own
``outbox`` table **in the same transaction** as the change the event describes, so either both commit or
neither does. The relay (:mod:`services.common.relay`, its own process) delivers pending rows at least once,
in order per aggregate, to each subscriber's ``POST /internal/events`` (or through NATS JetStream). The
receiver applies each event in one transaction together with an ``inbox`` row keyed by the event id: a
redelivered event finds its id already there and changes nothing.

Envelope (DESIGN §8): ``{id, type, occurred_at, source, aggregate_type, aggregate_id, village_code, data}``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
import structlog
from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from services.common.db import UTCDateTime
from services.common.errors import ProblemError, Unauthorized
from services.common.messages import Message
from services.common.timeutil import utcnow

log = structlog.get_logger("sasar.events")


class EventType(StrEnum):
    """The event catalogue (DESIGN §8). Values are the wire names."""

    worker_registered = "worker.registered"
    worker_updated = "worker.updated"
    worker_deactivated = "worker.deactivated"
    coverage_activated = "coverage.activated"
    coverage_lapsed = "coverage.lapsed"
    coverage_handover_due = "coverage.handover_due"
    payment_received = "payment.received"
    invoice_issued = "invoice.issued"
    invoice_overdue = "invoice.overdue"
    agreement_activated = "agreement.activated"
    agreement_ended = "agreement.ended"
    lead_converted = "lead.converted"
    session_scheduled = "session.scheduled"
    session_cancelled = "session.cancelled"
    import_completed = "import.completed"


E = EventType
# Which service consumes which events: the relay's routing table. Each service's handler table must
# cover exactly its entry here (a unit test checks it), so an event is never routed to a deaf receiver.
SUBSCRIPTIONS: Mapping[str, frozenset[EventType]] = {
    "registry": frozenset({E.payment_received, E.coverage_lapsed, E.lead_converted}),
    "funding": frozenset({E.worker_registered, E.worker_updated, E.worker_deactivated, E.coverage_activated}),
    "outreach": frozenset(
        {E.worker_registered, E.worker_updated, E.worker_deactivated, E.coverage_activated}
    ),
    # Partner webhooks: every partner-visible type (services/common/partner_events.py).
    "webhooks": frozenset(
        {
            E.invoice_issued,
            E.invoice_overdue,
            E.payment_received,
            E.worker_registered,
            E.worker_deactivated,
            E.coverage_activated,
            E.coverage_lapsed,
            E.session_scheduled,
            E.session_cancelled,
            E.import_completed,
        }
    ),
}
# Who writes which events (its outbox is the only source of them).
SOURCES: Mapping[str, frozenset[EventType]] = {
    "registry": frozenset(
        {
            E.worker_registered,
            E.worker_updated,
            E.worker_deactivated,
            E.coverage_activated,
            E.import_completed,
        }
    ),
    "funding": frozenset(
        {
            E.payment_received,
            E.invoice_issued,
            E.invoice_overdue,
            E.coverage_lapsed,
            E.coverage_handover_due,
            E.agreement_activated,
            E.agreement_ended,
        }
    ),
    "outreach": frozenset({E.lead_converted, E.session_scheduled, E.session_cancelled}),
}


def subscribers_of(event_type: str) -> list[str]:
    return sorted(name for name, types in SUBSCRIPTIONS.items() if event_type in types)


# --- tables ----------------------------------------------------------------------------------------


def make_outbox_table(metadata: MetaData) -> Table:
    """Events waiting for (or done with) delivery, in this service's own database.

    ``seq`` orders events; ``delivered_to`` lists the subscribers that acknowledged (so a retry after a
    partial failure only goes to the ones still missing); ``published_at`` is set once all have.
    """
    return Table(
        "outbox",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("id", String(36), nullable=False, unique=True),
        Column("type", String(40), nullable=False),
        Column("source", String(20), nullable=False),
        Column("aggregate_type", String(30), nullable=False),
        Column("aggregate_id", String(64), nullable=False),
        Column("village_code", String(13), nullable=True),
        Column("occurred_at", UTCDateTime(), nullable=False),
        Column("data", Text, nullable=False),
        Column("delivered_to", String(100), nullable=False, server_default=""),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("next_attempt_at", UTCDateTime(), nullable=False),
        Column("last_error", Text, nullable=True),
        Column("published_at", UTCDateTime(), nullable=True),
        Index("ix_outbox_aggregate", "aggregate_type", "aggregate_id", "seq"),
        Index("ix_outbox_published_at", "published_at"),
    )


def make_inbox_table(metadata: MetaData) -> Table:
    """Ids of the events this service has processed: the same transaction as their effect."""
    return Table(
        "inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("type", String(40), nullable=False),
        Column("source", String(20), nullable=False),
        Column("status", String(10), nullable=False),  # applied | rejected (a permanent domain refusal)
        Column("error", Text, nullable=True),
        Column("received_at", UTCDateTime(), nullable=False, index=True),
    )


# --- envelope --------------------------------------------------------------------------------------


class EventEnvelope(BaseModel):
    """One event as it travels (and as partner webhooks will carry it)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=36)
    type: str = Field(min_length=1, max_length=40)
    source: str = Field(min_length=1, max_length=20)
    aggregate_type: str = Field(min_length=1, max_length=30)
    aggregate_id: str = Field(min_length=1, max_length=64)
    village_code: str | None = Field(default=None, max_length=13)
    occurred_at: dt.datetime
    data: dict[str, Any]


class EventBatch(BaseModel):
    events: list[EventEnvelope] = Field(max_length=1000)


class EventResult(BaseModel):
    id: str
    status: str  # applied | duplicate | rejected | ignored | failed
    error: str | None = None


class EventBatchResult(BaseModel):
    results: list[EventResult]


@dataclass(frozen=True)
class NewEvent:
    type: EventType
    aggregate_type: str
    aggregate_id: str
    village_code: str | None
    data: Mapping[str, Any]


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def outbox_row(source: str, event: NewEvent, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": event.type.value,
        "source": source,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "village_code": event.village_code,
        "occurred_at": now,
        "data": json.dumps(event.data, default=_json_default, separators=(",", ":")),
        "delivered_to": "",
        "attempts": 0,
        "next_attempt_at": now,
    }


class Outbox:
    """A service's outbox: ``emit`` writes events in the caller's transaction (flushed, never committed)."""

    def __init__(self, table: Table, source: str) -> None:
        self.table = table
        self.source = source

    def emit(self, session: Session, event: NewEvent) -> str:
        if event.type not in SOURCES[self.source]:
            raise ValueError(f"{self.source} does not publish {event.type.value}")
        row = outbox_row(self.source, event, utcnow())
        session.execute(insert(self.table), [row])
        return str(row["id"])

    def emit_many(self, session: Session, events: Sequence[NewEvent]) -> int:
        """Many events in one multi-row statement (bulk paths: imports, billing, lapse runs)."""
        if not events:
            return 0
        now = utcnow()
        for event in events:
            if event.type not in SOURCES[self.source]:
                raise ValueError(f"{self.source} does not publish {event.type.value}")
        rows = [outbox_row(self.source, event, now) for event in events]
        for start in range(0, len(rows), 1000):
            session.execute(insert(self.table), rows[start : start + 1000])
        return len(rows)


def outbox_lag(session: Session, table: Table) -> dict[str, Any]:
    """Pending events and the age of the oldest: readiness details and logs."""
    pending, oldest = session.execute(
        select(func.count(), func.min(table.c.occurred_at)).where(table.c.published_at.is_(None))
    ).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    return {
        "pending": int(pending),
        "oldest_pending_at": oldest.isoformat() if oldest is not None else None,
        "oldest_pending_age_seconds": round(max(age, 0.0), 3),
    }


# --- relay → receiver authentication ---------------------------------------------------------------

RELAY_HEADER = "X-Sasar-Relay"
_RELAY_ISSUER = "sasar-relay"
_RELAY_AUDIENCE = "sasar-internal-events"


def relay_token(secret: str, *, ttl: dt.timedelta = dt.timedelta(minutes=5)) -> str:
    now = dt.datetime.now(dt.UTC)
    claims = {
        "iss": _RELAY_ISSUER,
        "aud": _RELAY_AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "sub": "relay",
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_relay_token(token: str | None, secret: str) -> None:
    if not token:
        raise Unauthorized(Message("events.token_required"))
    try:
        jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=_RELAY_AUDIENCE,
            issuer=_RELAY_ISSUER,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.PyJWTError:
        raise Unauthorized(Message("events.invalid_token")) from None


# --- receiver --------------------------------------------------------------------------------------

# What a handler raising means "this event can never apply": recorded as rejected, not retried (a
# poison event must not block its aggregate forever). Database errors stay retryable.
REFUSALS: tuple[type[Exception], ...] = (ProblemError, ValueError, KeyError, TypeError)

Handler = Callable[[Session, Sequence[EventEnvelope]], None]
"""Applies a run of consecutive events (in delivery order) that share the handler, in the caller's
transaction. Handlers take runs so that a batch costs a few statements, not a few per event."""


def one_by_one(apply: Callable[[Session, EventEnvelope], None]) -> Handler:
    """A handler for events that are applied each on its own (rare, row-locking changes)."""

    def handler(session: Session, events: Sequence[EventEnvelope]) -> None:
        for event in events:
            apply(session, event)

    return handler


class Inbox:
    """A service's receiving side: its handler per event type and its inbox table."""

    def __init__(self, table: Table, component: str, handlers: Mapping[EventType, Handler]) -> None:
        self.table = table
        self.component = component
        self.handlers: dict[str, Handler] = {str(kind): handler for kind, handler in handlers.items()}

    def apply(self, sessions: sessionmaker[Session], events: Sequence[EventEnvelope]) -> list[EventResult]:
        """Apply ``events`` in order: the whole batch in one transaction (effects and inbox rows), or,
        when one of them is refused, each in its own.

        A domain refusal (a problem the handler raises) is recorded as ``rejected`` and not retried; a
        database failure stops the batch with ``failed`` for the rest, which the relay sends again.
        """
        if len(events) > 1:
            try:
                return self._apply_batch(sessions, events)
            except (ProblemError, ValueError, KeyError, TypeError, DBAPIError):  # REFUSALS or the database
                pass  # one event refused or failed: apply them one by one, so the others still land
        results: list[EventResult] = []
        for index, event in enumerate(events):
            try:
                results.append(self._apply_one(sessions, event))
            except DBAPIError as exc:
                log.warning("event apply failed", event_id=event.id, error=type(exc).__name__)
                results.extend(EventResult(id=e.id, status="failed") for e in events[index:])
                break
        return results

    def _apply_batch(
        self, sessions: sessionmaker[Session], events: Sequence[EventEnvelope]
    ) -> list[EventResult]:
        results: list[EventResult] = []
        with sessions() as session, session.begin():
            fresh = self._claim_many(session, events)
            run: list[EventEnvelope] = []
            run_handler: Handler | None = None
            for event in events:
                handler = self.handlers.get(event.type)
                if event.id not in fresh:
                    results.append(EventResult(id=event.id, status="duplicate"))
                    continue
                fresh.discard(event.id)  # the same id twice in one batch: the second is a duplicate
                if run and handler is not run_handler:
                    assert run_handler is not None
                    run_handler(session, run)
                    run = []
                if handler is not None:
                    run.append(event)
                    run_handler = handler
                results.append(EventResult(id=event.id, status="applied" if handler else "ignored"))
            if run and run_handler is not None:
                run_handler(session, run)
            session.flush()
        return results

    def _apply_one(self, sessions: sessionmaker[Session], event: EventEnvelope) -> EventResult:
        handler = self.handlers.get(event.type)
        with sessions() as session:
            try:
                with session.begin():
                    if not self._claim_many(session, [event]):
                        return EventResult(id=event.id, status="duplicate")
                    if handler is not None:
                        handler(session, [event])
                        session.flush()
            except REFUSALS as exc:
                # A domain refusal, or data the handler cannot read: retrying would never succeed.
                detail = str(exc.detail) if isinstance(exc, ProblemError) else f"{type(exc).__name__}: {exc}"
                log.warning("event rejected", event_id=event.id, type=event.type, detail=detail)
                with session.begin():
                    if not self._claim_many(session, [event], status="rejected", error=detail):
                        return EventResult(id=event.id, status="duplicate")
                return EventResult(id=event.id, status="rejected", error=detail)
        return EventResult(id=event.id, status="applied" if handler else "ignored")

    def _claim_many(
        self,
        session: Session,
        events: Sequence[EventEnvelope],
        *,
        status: str | None = None,
        error: str | None = None,
    ) -> set[str]:
        """Insert the inbox rows first, in one statement: ids already there (an earlier or concurrent
        delivery; PostgreSQL waits for the other transaction) come back missing from the result."""
        now = utcnow()
        rows = {
            event.id: {
                "event_id": event.id,
                "type": event.type[:40],
                "source": event.source[:20],
                "status": status or ("applied" if event.type in self.handlers else "ignored"),
                "error": error,
                "received_at": now,
            }
            for event in events
        }
        dialect = session.get_bind().dialect.name
        statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(self.table)
        statement = statement.values(list(rows.values())).on_conflict_do_nothing(index_elements=["event_id"])
        # RETURNING, not rowcount: psycopg reports -1 for skipped ON CONFLICT rows.
        return {str(r[0]) for r in session.execute(statement.returning(self.table.c.event_id))}


def internal_events_router(inbox_of: Callable[[Request], Inbox]) -> APIRouter:
    """``POST /internal/events``: the relay's delivery endpoint (not routed by the gateway)."""
    router = APIRouter(include_in_schema=False)

    @router.post("/internal/events", response_model=EventBatchResult)
    def receive_events(
        batch: EventBatch,
        request: Request,
        relay: str | None = Header(default=None, alias=RELAY_HEADER),
    ) -> EventBatchResult:
        verify_relay_token(relay, request.app.state.settings.internal_secret.get_secret_value())
        inbox = inbox_of(request)
        results = inbox.apply(request.app.state.database.sessions, batch.events)
        return EventBatchResult(results=results)

    return router


def inbox_count(session: Session, table: Table) -> int:
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def purge_published(session: Session, table: Table, older_than: dt.timedelta) -> int:
    """Drop delivered events past retention (the relay calls this now and then)."""
    cutoff = utcnow() - older_than
    result = session.execute(
        delete(table).where(table.c.published_at.is_not(None), table.c.published_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)
