"""Event relay: throughput and delivery latency of the outbox → relay → inbox path.

Registry-shaped ``worker.registered`` events are written to a registry outbox; the relay delivers them to
the funding and outreach apps (real HTTP servers, their own databases), which apply each one with its
inbox row. Two figures per transport (embedded HTTP, NATS JetStream):

- **latency**: events written one per transaction at a steady rate; p50/p99 of (applied at the receiver -
  written to the outbox), from the receivers' inbox timestamps;
- **throughput**: a burst written at once and drained; events/s, against the same events POSTed straight
  to the receivers' ``/internal/events`` in the relay's batch size (the same-run baseline: what applying
  them costs without outbox and relay).

    .venv/bin/python -m bench.event_relay                        # 1,000 events, SQLite, embedded + NATS
    .venv/bin/python -m bench.event_relay --backend postgres --events 2000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
from sqlalchemy import MetaData, Table, func, select
from sqlalchemy.orm import Session

from bench._report import BenchResult, Goal, emit
from bench._scratch import scratch_database
from services.common.db import create_db_engine
from services.common.events import EventEnvelope, EventType, NewEvent, Outbox, make_outbox_table
from services.common.relay import RelaySettings, post_events, run_relay
from services.common.settings import DEFAULT_INTERNAL_SECRET
from services.funding.config import FundingSettings
from services.funding.main import create_app as funding_app
from services.funding.models import inbox as funding_inbox
from services.outreach.config import OutreachSettings
from services.outreach.main import create_app as outreach_app
from services.outreach.models import inbox as outreach_inbox
from services.webhooks.config import WebhooksSettings
from services.webhooks.main import create_app as webhooks_app
from tests.support import live_server

VILLAGE = "33.26.15.2001"
NATS_URL = "nats://127.0.0.1:4222"


@dataclass
class RelayResult:
    transport: str
    backend: str
    events: int
    latency_p50_ms: float
    latency_p99_ms: float
    burst_seconds: float
    direct_seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.burst_seconds

    @property
    def ratio(self) -> float:
        return self.burst_seconds / self.direct_seconds


def _event(n: int) -> NewEvent:
    worker_id = str(uuid.uuid4())
    snapshot = {
        "id": worker_id,
        "village_code": VILLAGE,
        "occupation": "petani",
        "declared_income_idr": 1_000_000 + n,
        "programs": ["JKK", "JKM"],
        "funding": "village_fund",
        "status": "registered",
        "version": 1,
    }
    return NewEvent(EventType.worker_registered, "worker", worker_id, VILLAGE, {"worker": snapshot})


@contextlib.contextmanager
def _receivers(backend: str) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """Funding and outreach served over HTTP: (base URLs, database URLs of the two counted). Webhooks
    subscribes to worker.registered too (it fans out to no endpoint here), so it is served as well."""
    with (
        scratch_database("funding", backend) as funding_db,
        scratch_database("outreach", backend) as outreach_db,
        scratch_database("webhooks", backend) as webhooks_db,
    ):
        quiet = {"env": "test", "log_level": "WARNING"}
        funding = funding_app(FundingSettings(database_url=funding_db, **quiet))  # type: ignore[arg-type]
        outreach = outreach_app(OutreachSettings(database_url=outreach_db, **quiet))  # type: ignore[arg-type]
        webhooks = webhooks_app(WebhooksSettings(database_url=webhooks_db, **quiet))  # type: ignore[arg-type]
        with (
            live_server(funding) as funding_url,
            live_server(outreach) as outreach_url,
            live_server(webhooks) as webhooks_url,
        ):
            yield (
                {"funding": funding_url, "outreach": outreach_url, "webhooks": webhooks_url},
                {"funding": funding_db, "outreach": outreach_db},
            )


def _applied(database_urls: dict[str, str]) -> int:
    total = 0
    for component, table in (("funding", funding_inbox), ("outreach", outreach_inbox)):
        engine = create_db_engine(database_urls[component])
        with Session(engine) as session:
            total += int(session.scalar(select(func.count()).select_from(table)) or 0)
        engine.dispose()
    return total


def _latencies(database_urls: dict[str, str], occurred: dict[str, float]) -> list[float]:
    values: list[float] = []
    for component, table in (("funding", funding_inbox), ("outreach", outreach_inbox)):
        engine = create_db_engine(database_urls[component])
        with Session(engine) as session:
            for event_id, received in session.execute(select(table.c.event_id, table.c.received_at)):
                if event_id in occurred:
                    values.append((received.timestamp() - occurred[event_id]) * 1000)
        engine.dispose()
    return values


def run(
    events: int = 1000, backend: str = "sqlite", transport: str = "embedded", rate: float = 200.0
) -> RelayResult:
    with scratch_database("registry", backend) as registry_db, _receivers(backend) as (urls, dbs):
        settings = RelaySettings(
            env="test",
            registry_url="http://127.0.0.1:9",  # nothing goes to the registry in this bench
            funding_url=urls["funding"],
            outreach_url=urls["outreach"],
            webhooks_url=urls["webhooks"],
            poll_interval_seconds=0.02,
            log_level="WARNING",
            event_broker=NATS_URL if transport == "nats" else None,
            nats_stream=f"SASAR_BENCH_{uuid.uuid4().hex[:8].upper()}",
            nats_subject_prefix=f"sasar.bench{uuid.uuid4().hex[:8]}",
        )
        engine = create_db_engine(registry_db)
        outbox = Outbox(make_outbox_table_for_bench(), "registry")
        stop = asyncio.Event()

        async def scenario() -> tuple[list[float], float]:
            relay = asyncio.create_task(run_relay(settings, {"registry": registry_db}, stop))
            # Latency: one event per transaction at a steady rate.
            occurred: dict[str, float] = {}
            interval = 1.0 / rate
            next_at = time.monotonic()

            def write_one(n: int) -> str:
                with Session(engine) as session, session.begin():
                    return outbox.emit(session, _event(n))

            for n in range(events):
                event_id = await asyncio.to_thread(write_one, n)
                occurred[event_id] = time.time()
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            await _wait_applied(dbs, 2 * events)
            latencies = _latencies(dbs, occurred)

            # Throughput: a burst written at once, drained by the relay.
            def write_burst() -> None:
                with Session(engine) as session, session.begin():
                    outbox.emit_many(session, [_event(n) for n in range(events)])

            started = time.perf_counter()
            await asyncio.to_thread(write_burst)
            await _wait_applied(dbs, 4 * events)
            burst = time.perf_counter() - started
            stop.set()
            await relay
            return latencies, burst

        latencies, burst = asyncio.run(scenario())
        engine.dispose()
        direct = asyncio.run(_direct(urls, events, settings.batch_size))
        if transport == "nats":
            asyncio.run(_drop_stream(settings.nats_stream))
    quantiles = statistics.quantiles(latencies, n=100)
    return RelayResult(transport, backend, events, quantiles[49], quantiles[98], burst, direct)


def make_outbox_table_for_bench() -> Table:
    return make_outbox_table(MetaData())


async def _wait_applied(dbs: dict[str, str], expected: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while await asyncio.to_thread(_applied, dbs) < expected:
        if time.monotonic() > deadline:
            raise RuntimeError("events were not applied in time")
        await asyncio.sleep(0.05)


async def _direct(urls: dict[str, str], events: int, batch: int) -> float:
    """The baseline: the same events POSTed straight to both receivers, in the relay's batch size."""
    envelopes = []
    for n in range(events):
        new = _event(n)
        envelopes.append(
            EventEnvelope(
                id=str(uuid.uuid4()),
                type=new.type.value,
                source="registry",
                aggregate_type=new.aggregate_type,
                aggregate_id=new.aggregate_id,
                village_code=new.village_code,
                occurred_at=dt.datetime.now(dt.UTC),
                data=dict(new.data),
            )
        )
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as client:
        for start in range(0, events, batch):
            chunk = envelopes[start : start + batch]
            await asyncio.gather(
                *(post_events(client, url, DEFAULT_INTERNAL_SECRET, chunk) for url in urls.values())
            )
    return time.perf_counter() - started


async def _drop_stream(name: str) -> None:
    import nats

    connection = await nats.connect(NATS_URL)
    try:
        await connection.jetstream().delete_stream(name)
    finally:
        await connection.close()


# A payment should make its workers covered, and a partner's webhook fire, within a second or so; a backlog
# (a service back after an outage) should drain at no less than half the rate of posting the events by hand.
DRAIN_GOAL = Goal(">= 50 % of posting the events straight (ratio >= 0.5)", "ratio", ">=", 0.5)
LATENCY_GOAL = Goal("p99 <= 1,000 ms from commit to both receivers", "figure", "<=", 1000, " ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--transport", choices=["embedded", "nats", "both"], default="both")
    parser.add_argument("--rate", type=float, default=200.0, help="events/s written for the latency part")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    transports = ["embedded", "nats"] if args.transport == "both" else [args.transport]
    for transport in transports:
        r = run(args.events, args.backend, transport, args.rate)
        print(
            f"{r.transport:>8} on {r.backend}: {r.events} events to 2 receivers\n"
            f"  latency at {args.rate:.0f}/s   p50 {r.latency_p50_ms:.1f} ms"
            f"   p99 {r.latency_p99_ms:.1f} ms\n"
            f"  burst drained in {r.burst_seconds:.2f} s ({r.events_per_second:,.0f} events/s); "
            f"direct POSTs {r.direct_seconds:.2f} s; ratio {r.ratio:.2f}x"
        )
        scale = f"{r.events:,} events to 2 receivers, {r.backend}"
        emit(
            BenchResult(
                name=f"event relay ({r.transport}), burst drained",
                figure=r.events_per_second,
                unit="events/s",
                baseline=r.events / r.direct_seconds,
                baseline_label="the same events POSTed straight to the receivers",
                goal=DRAIN_GOAL,
                scale=scale,
            )
        )
        emit(
            BenchResult(
                name=f"event relay ({r.transport}), delivery latency p99",
                figure=r.latency_p99_ms,
                unit="ms",
                goal=LATENCY_GOAL,
                reason=f"p50 {r.latency_p50_ms:.1f} ms at {args.rate:.0f} events/s",
                scale=scale,
            )
        )


if __name__ == "__main__":
    main()
