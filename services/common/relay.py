"""The event relay: delivers each service's outbox at least once, in order per aggregate.

``sasar relay`` runs it as its own process. Per source database (registry, funding, outreach) it loops:
claim a batch of pending events, deliver them, record who acknowledged, commit. Two transports:

- **embedded** (default, nothing to install): ``POST /internal/events`` on each subscribing service, with
  the relay's signed token. An event is published once every subscriber of its type acknowledged it;
  ``delivered_to`` remembers partial success so a retry only goes to the ones still missing.
- **NATS JetStream** (``SASAR_EVENT_BROKER=nats://…``): the relay publishes each event to the durable
  stream ``SASAR_EVENTS`` (subject ``sasar.events.<type>``; both are settings; ``Nats-Msg-Id`` = event
  id, so a re-publish is dropped by the stream) and, per receiving service, pulls from its durable
  consumer ``sasar-<service>`` and hands the events to that service's ``/internal/events``,
  acknowledging each only after the service committed it (explicit ack; a failure is nak'ed with a
  delay and redelivered).

Ordering: a batch takes only the *oldest pending* event of each aggregate (``NOT EXISTS`` an earlier
pending one), so a later event of an aggregate is never delivered before an earlier one has been, even
with several relays. Several relays on PostgreSQL share the work through ``FOR UPDATE SKIP LOCKED``;
on SQLite (one machine) a file lock keeps exactly one relay active and the others on standby.
Failures back off exponentially per event (0.5 s doubling, capped).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import functools
import json
import os
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
import structlog
from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict
from sqlalchemy import Connection, Engine, MetaData, Table, and_, bindparam, exists, select, update

from services.common.db import create_db_engine, is_sqlite, normalise_url
from services.common.events import (
    RELAY_HEADER,
    SUBSCRIPTIONS,
    EventEnvelope,
    make_outbox_table,
    outbox_lag,
    purge_published,
    relay_token,
    subscribers_of,
)
from services.common.settings import ComponentSettings
from services.common.timeutil import utcnow

_T = TypeVar("_T")
log = structlog.get_logger("sasar.relay")

NATS_PUBLISHER = "nats"  # the one "subscriber" of an event when the broker fans out


class RelaySettings(ComponentSettings):
    """Relay settings (prefix ``SASAR_RELAY_``; the broker URL keeps its global name)."""

    model_config = SettingsConfigDict(env_prefix="SASAR_RELAY_", extra="ignore", populate_by_name=True)

    component: str = "relay"
    event_broker: str | None = Field(default=None, validation_alias=AliasChoices("SASAR_EVENT_BROKER"))
    # One stream per deployment; tests give each running system its own.
    nats_stream: str = "SASAR_EVENTS"
    nats_subject_prefix: str = "sasar.events"
    registry_url: str = "http://127.0.0.1:8001"
    funding_url: str = "http://127.0.0.1:8002"
    outreach_url: str = "http://127.0.0.1:8003"
    webhooks_url: str = "http://127.0.0.1:8004"
    poll_interval_seconds: float = 0.2
    max_idle_seconds: float = 1.0  # an idle outbox is polled at most this far apart
    batch_size: int = 200
    max_backoff_seconds: float = 30.0
    delivery_timeout_seconds: float = 10.0
    retention_days: int = 7
    lag_log_seconds: float = 30.0

    def production_problems(self) -> list[str]:
        # The relay has no database of its own: only the shared secret matters here.
        return [p for p in super().production_problems() if "SQLite" not in p]

    def subscriber_urls(self) -> dict[str, str]:
        return {
            "registry": self.registry_url,
            "funding": self.funding_url,
            "outreach": self.outreach_url,
            "webhooks": self.webhooks_url,
        }


@dataclass
class PendingEvent:
    seq: int
    envelope: EventEnvelope
    delivered_to: frozenset[str]
    attempts: int


@dataclass
class Outcome:
    """What one delivery attempt achieved for one event."""

    acked: set[str] = field(default_factory=set)
    error: str | None = None


class Transport(Protocol):
    async def deliver(self, events: Sequence[PendingEvent]) -> dict[str, Outcome]: ...

    def targets(self, event: PendingEvent) -> frozenset[str]: ...

    async def close(self) -> None: ...


# --- sources -------------------------------------------------------------------------------------


class Source:
    """One service's outbox, read by the relay through its own engine."""

    def __init__(self, component: str, database_url: str) -> None:
        self.component = component
        self.url = normalise_url(database_url)
        self.engine: Engine = create_db_engine(self.url, pool_size=2)
        self.table: Table = make_outbox_table(MetaData())
        self._lock_file: int | None = None

    @property
    def sqlite(self) -> bool:
        return is_sqlite(self.url)

    @property
    def exclusive(self) -> bool:
        """Whether this relay may work this source now (always on PostgreSQL; the lock holder on SQLite)."""
        if not is_sqlite(self.url):
            return True
        if self._lock_file is not None:
            return True
        database = self.engine.url.database or ":memory:"
        path = Path(f"{database}.relay.lock")
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self._lock_file = descriptor
        return True

    def claim(self, connection: Connection, limit: int) -> list[PendingEvent]:
        t = self.table
        earlier = t.alias("earlier")
        blocked = exists().where(
            and_(
                earlier.c.aggregate_type == t.c.aggregate_type,
                earlier.c.aggregate_id == t.c.aggregate_id,
                earlier.c.published_at.is_(None),
                earlier.c.seq < t.c.seq,
            )
        )
        statement = (
            select(t)
            .where(t.c.published_at.is_(None), t.c.next_attempt_at <= utcnow(), ~blocked)
            .order_by(t.c.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        events = []
        for row in connection.execute(statement).mappings():
            envelope = EventEnvelope(
                id=row["id"],
                type=row["type"],
                source=row["source"],
                aggregate_type=row["aggregate_type"],
                aggregate_id=row["aggregate_id"],
                village_code=row["village_code"],
                occurred_at=row["occurred_at"],
                data=json.loads(row["data"]),
            )
            delivered = frozenset(filter(None, (row["delivered_to"] or "").split(",")))
            events.append(PendingEvent(row["seq"], envelope, delivered, int(row["attempts"])))
        return events

    def record(
        self,
        connection: Connection,
        events: Sequence[PendingEvent],
        outcomes: Mapping[str, Outcome],
        transport: Transport,
        max_backoff: float,
    ) -> int:
        """Store each event's progress; returns how many are now fully published."""
        now = utcnow()
        done: list[dict[str, Any]] = []
        retry: list[dict[str, Any]] = []
        for event in events:
            outcome = outcomes.get(event.envelope.id, Outcome(error="not attempted"))
            delivered = set(event.delivered_to) | outcome.acked
            delivered_to = ",".join(sorted(delivered))
            if transport.targets(event) <= delivered:
                done.append({"s": event.seq, "d": delivered_to, "p": now})
            else:
                attempts = event.attempts + 1
                delay = min(max_backoff, 0.5 * 2 ** min(attempts - 1, 16)) * random.uniform(0.8, 1.2)
                retry.append(
                    {
                        "s": event.seq,
                        "d": delivered_to,
                        "a": attempts,
                        "n": now + dt.timedelta(seconds=delay),
                        "e": (outcome.error or "not acknowledged")[:2000],
                    }
                )
        t = self.table
        if done:
            connection.execute(
                update(t)
                .where(t.c.seq == bindparam("s"))
                .values(delivered_to=bindparam("d"), published_at=bindparam("p"), last_error=None),
                done,
            )
        if retry:
            connection.execute(
                update(t)
                .where(t.c.seq == bindparam("s"))
                .values(
                    delivered_to=bindparam("d"),
                    attempts=bindparam("a"),
                    next_attempt_at=bindparam("n"),
                    last_error=bindparam("e"),
                ),
                retry,
            )
            for item in retry:
                log.warning(
                    "event delivery failed",
                    source=self.component,
                    seq=item["s"],
                    attempts=item["a"],
                    error=item["e"],
                )
        return len(done)

    def lag(self) -> dict[str, Any]:
        from sqlalchemy.orm import Session

        with Session(self.engine) as session:
            return outbox_lag(session, self.table)

    def purge(self, older_than: dt.timedelta) -> int:
        from sqlalchemy.orm import Session

        with Session(self.engine) as session, session.begin():
            return purge_published(session, self.table, older_than)

    def dispose(self) -> None:
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None
        self.engine.dispose()


# --- embedded transport: each subscriber's /internal/events ---------------------------------------


class HttpTransport:
    def __init__(
        self,
        urls: Mapping[str, str],
        secret: str,
        *,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.urls = dict(urls)
        self.secret = secret
        self.client = client or httpx.AsyncClient(timeout=timeout)

    def targets(self, event: PendingEvent) -> frozenset[str]:
        return frozenset(subscribers_of(event.envelope.type))

    async def deliver(self, events: Sequence[PendingEvent]) -> dict[str, Outcome]:
        outcomes = {event.envelope.id: Outcome() for event in events}
        by_subscriber: dict[str, list[PendingEvent]] = {}
        for event in events:
            for subscriber in self.targets(event) - event.delivered_to:
                by_subscriber.setdefault(subscriber, []).append(event)
        sends = [self._send(name, batch, outcomes) for name, batch in by_subscriber.items()]
        await asyncio.gather(*sends)
        return outcomes

    async def _send(
        self, subscriber: str, events: Sequence[PendingEvent], outcomes: dict[str, Outcome]
    ) -> None:
        acked, errors = await post_events(
            self.client, self.urls[subscriber], self.secret, [e.envelope for e in events]
        )
        for event in events:
            outcome = outcomes[event.envelope.id]
            if event.envelope.id in acked:
                outcome.acked.add(subscriber)
            else:
                outcome.error = f"{subscriber}: {errors.get(event.envelope.id, 'not acknowledged')}"

    async def close(self) -> None:
        await self.client.aclose()


ACKNOWLEDGED = frozenset({"applied", "duplicate", "rejected", "ignored"})


async def post_events(
    client: httpx.AsyncClient, base_url: str, secret: str, envelopes: Sequence[EventEnvelope]
) -> tuple[set[str], dict[str, str]]:
    """Send ``envelopes`` to one service; the ids it acknowledged and an error for the others."""
    body = {"events": [e.model_dump(mode="json") for e in envelopes]}
    try:
        response = await client.post(
            base_url.rstrip("/") + "/internal/events", json=body, headers={RELAY_HEADER: relay_token(secret)}
        )
    except httpx.HTTPError as exc:
        return set(), dict.fromkeys((e.id for e in envelopes), f"unreachable ({type(exc).__name__})")
    if response.status_code != 200:
        return set(), dict.fromkeys((e.id for e in envelopes), f"answered {response.status_code}")
    acked: set[str] = set()
    errors: dict[str, str] = {}
    for result in response.json().get("results", []):
        if result.get("status") in ACKNOWLEDGED:
            acked.add(str(result["id"]))
        else:
            errors[str(result["id"])] = str(result.get("status"))
    return acked, errors


# --- NATS JetStream transport ---------------------------------------------------------------------


class NatsTransport:
    """Publishes to the durable stream; :meth:`consume` feeds each service from its durable consumer."""

    def __init__(
        self, url: str, *, stream: str = "SASAR_EVENTS", subject_prefix: str = "sasar.events"
    ) -> None:
        self.url = url
        self.stream = stream
        self.prefix = subject_prefix.rstrip(".") + "."
        self.nc: Any = None
        self.js: Any = None

    async def connect(self) -> None:
        import nats
        from nats.js.api import StreamConfig

        self.nc = await nats.connect(self.url, max_reconnect_attempts=-1)
        self.js = self.nc.jetstream()
        config = StreamConfig(
            name=self.stream,
            subjects=[self.prefix + ">"],
            duplicate_window=600.0,  # a re-published event (relay crashed before recording) is dropped
            max_age=float(dt.timedelta(days=7).total_seconds()),
        )
        try:
            await self.js.add_stream(config)
        except Exception:  # exists with another config: keep it, update what we own
            await self.js.update_stream(config)

    def targets(self, event: PendingEvent) -> frozenset[str]:
        return frozenset({NATS_PUBLISHER})

    async def deliver(self, events: Sequence[PendingEvent]) -> dict[str, Outcome]:
        # A batch holds at most one event per aggregate, so publishing them concurrently keeps the
        # per-aggregate order (the next event of an aggregate waits for this one to be recorded).
        async def publish(envelope: EventEnvelope) -> Outcome:
            try:
                await self.js.publish(
                    self.prefix + envelope.type,
                    envelope.model_dump_json().encode(),
                    stream=self.stream,
                    headers={"Nats-Msg-Id": envelope.id},
                )
                return Outcome(acked={NATS_PUBLISHER})
            except Exception as exc:  # any publish failure is retried with backoff
                return Outcome(error=f"nats publish failed ({type(exc).__name__})")

        envelopes = [event.envelope for event in events]
        outcomes = await asyncio.gather(*(publish(envelope) for envelope in envelopes))
        return {envelope.id: outcome for envelope, outcome in zip(envelopes, outcomes, strict=True)}

    async def consume(
        self, component: str, base_url: str, secret: str, stop: asyncio.Event, *, batch: int = 100
    ) -> None:
        """Pull ``component``'s durable consumer and apply each message through its /internal/events."""
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        durable = f"sasar-{component}"
        config = ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=30.0,
            max_ack_pending=10_000,
            filter_subject=self.prefix + ">",
        )
        subscription = await self.js.pull_subscribe(
            self.prefix + ">", durable=durable, stream=self.stream, config=config
        )
        wanted = {t.value for t in SUBSCRIPTIONS[component]}
        backoff = 0.5
        async with httpx.AsyncClient(timeout=10.0) as client:
            while not stop.is_set():
                try:
                    # A short expiry: once messages trickle in, fetch waits for a full batch or the
                    # expiry, so this bounds the latency it adds (an idle poll costs one request).
                    messages = await subscription.fetch(batch, timeout=0.1)
                except TimeoutError:  # nats' own TimeoutError is a subclass; both mean "nothing yet"
                    continue
                ours = []
                for message in messages:
                    envelope = EventEnvelope.model_validate_json(message.data)
                    if envelope.type in wanted:
                        ours.append((message, envelope))
                    else:
                        await message.ack()
                if not ours:
                    continue
                acked, errors = await post_events(client, base_url, secret, [e for _, e in ours])
                failed = False
                for message, envelope in ours:
                    if envelope.id in acked:
                        await message.ack()
                    else:
                        failed = True
                        await message.nak(delay=backoff)
                if failed:
                    log.warning("nats delivery failed", component=component, errors=list(errors.values())[:3])
                    await _sleep_or_stop(stop, backoff)
                    backoff = min(backoff * 2, 30.0)
                else:
                    backoff = 0.5

    async def close(self) -> None:
        if self.nc is not None:
            await self.nc.close()


# --- the loop ------------------------------------------------------------------------------------


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _to_thread_to_the_end(function: Callable[[], _T]) -> _T:
    """``function()`` in a worker thread, awaited to its end even when the caller is cancelled.

    Cancelling a plain ``asyncio.to_thread`` stops waiting, not the thread: the relay's shutdown then
    closed or disposed a connection while a thread was still writing through it, which crashes the
    process on SQLite (seen as a segfault in the relay benchmark's test). The cancellation is re-raised
    once the thread is done.
    """
    task: asyncio.Future[_T] = asyncio.ensure_future(asyncio.to_thread(function))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({task})
        raise


async def relay_once(source: Source, transport: Transport, *, batch_size: int, max_backoff: float) -> int:
    """Claim, deliver and record one batch; the number of events handled (0: nothing was due).

    Each database step runs in one worker-thread call (statement and commit together), so a write lock
    is never held while the event loop is busy elsewhere.
    """
    connection = await _to_thread_to_the_end(source.engine.connect)
    try:
        transaction = connection.begin()

        def claim() -> list[PendingEvent]:
            events = source.claim(connection, batch_size)
            if not events or source.sqlite:
                # SQLite: nothing to hold (one relay per file), and a read snapshot kept across the
                # delivery could not be upgraded to a write once the service has committed meanwhile.
                transaction.commit()
            return events

        events = await _to_thread_to_the_end(claim)
        if not events:
            return 0
        outcomes = await transport.deliver(events)

        def record() -> None:
            current = connection.begin() if source.sqlite else transaction
            source.record(connection, events, outcomes, transport, max_backoff)
            current.commit()

        await _to_thread_to_the_end(record)
        return len(events)
    finally:
        await _to_thread_to_the_end(connection.close)


async def _source_loop(
    source: Source, transport: Transport, settings: RelaySettings, stop: asyncio.Event
) -> None:
    last_lag = 0.0
    last_purge = 0.0
    idle = 0.0
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        if not await _to_thread_to_the_end(lambda: source.exclusive):
            await _sleep_or_stop(stop, 1.0)  # another relay holds this SQLite database
            continue
        try:
            handled = await relay_once(
                source, transport, batch_size=settings.batch_size, max_backoff=settings.max_backoff_seconds
            )
        except Exception as exc:  # a database hiccup must not kill the relay: log, wait, go on
            log.error("relay batch failed", source=source.component, error=repr(exc))
            handled = 0
            await _sleep_or_stop(stop, 1.0)
        now = loop.time()
        if now - last_lag >= settings.lag_log_seconds:
            last_lag = now
            with contextlib.suppress(Exception):
                log.info("outbox lag", source=source.component, **(await _to_thread_to_the_end(source.lag)))
        if now - last_purge >= 3600:
            last_purge = now
            with contextlib.suppress(Exception):
                await _to_thread_to_the_end(
                    functools.partial(source.purge, dt.timedelta(days=settings.retention_days))
                )
        if handled == 0:
            # Idle: poll less and less often (up to max_idle_seconds), back to fast at the next event.
            idle = min(settings.max_idle_seconds, max(idle * 2, settings.poll_interval_seconds))
            await _sleep_or_stop(stop, idle)
        elif handled < settings.batch_size:
            idle = 0.0
            await _sleep_or_stop(stop, settings.poll_interval_seconds)
        else:
            idle = 0.0


async def _supervised(name: str, factory: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
    """Run a relay loop; if it dies of an unexpected error, log it and start it again after a pause."""
    while not stop.is_set():
        try:
            await factory()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("relay loop crashed; restarting", loop=name, error=repr(exc))
            await _sleep_or_stop(stop, 1.0)


async def run_relay(
    settings: RelaySettings, database_urls: Mapping[str, str], stop: asyncio.Event | None = None
) -> None:
    """Run until ``stop`` is set (``sasar relay`` sets it on SIGTERM/SIGINT)."""
    stop = stop or asyncio.Event()
    secret = settings.internal_secret.get_secret_value()
    sources = [Source(component, url) for component, url in database_urls.items()]
    transport: Transport
    tasks: list[asyncio.Task[None]] = []
    if settings.event_broker:
        nats_transport = NatsTransport(
            settings.event_broker, stream=settings.nats_stream, subject_prefix=settings.nats_subject_prefix
        )
        await nats_transport.connect()
        transport = nats_transport
        urls = settings.subscriber_urls()
        for component in SUBSCRIPTIONS:
            tasks.append(
                asyncio.create_task(nats_transport.consume(component, urls[component], secret, stop))
            )
    else:
        transport = HttpTransport(
            settings.subscriber_urls(), secret, timeout=settings.delivery_timeout_seconds
        )
    log.info(
        "relay started",
        transport="nats" if settings.event_broker else "http",
        sources=[s.component for s in sources],
    )
    for source in sources:
        loop = functools.partial(_source_loop, source, transport, settings, stop)
        tasks.append(asyncio.create_task(_supervised(f"publish {source.component}", loop, stop)))
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await transport.close()
        for source in sources:
            source.dispose()
