"""``sasar worker`` and ``sasar scheduler``: the processes that run jobs and start the periodic ones."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import threading
from typing import Annotated

import structlog
import typer
from sqlalchemy import text
from sqlalchemy.engine import Connection

from services.common.db import Database
from services.common.jobs import release_lease, take_lease
from services.common.logging import configure_logging
from services.common.timeutil import utcnow
from services.common.worker import JobService, run_worker, sweep

log = structlog.get_logger("sasar.scheduler")

JOB_COMPONENTS = ("registry", "funding")
SCHEDULER_LOCK_KEY = 7_260_002  # pg_try_advisory_lock key: one scheduler per deployment
LEASE_NAME = "scheduler"

HeartbeatOption = Annotated[
    float, typer.Option(envvar="SASAR_JOBS_HEARTBEAT_SECONDS", help="Seconds between a job's heartbeats")
]
StaleOption = Annotated[
    float,
    typer.Option(
        envvar="SASAR_JOBS_STALE_SECONDS", help="A running job without a heartbeat this long is requeued"
    ),
]


def job_service(component: str) -> tuple[JobService, str]:
    """The component's job service and its database URL."""
    if component == "registry":
        from services.registry.config import RegistrySettings
        from services.registry.jobs import SERVICE as REGISTRY

        return REGISTRY, RegistrySettings().database_url
    if component == "funding":
        from services.funding.config import FundingSettings
        from services.funding.jobs import SERVICE as FUNDING

        return FUNDING, FundingSettings().database_url
    raise typer.BadParameter(f"{component!r} has no jobs; one of {', '.join(JOB_COMPONENTS)}")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(*_: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stop


def worker(
    component: Annotated[
        str, typer.Option("--component", "-c", help="registry, funding or webhooks")
    ] = "registry",
    poll: Annotated[float, typer.Option(help="Seconds between looks at an empty queue")] = 1.0,
    heartbeat: HeartbeatOption = 2.0,
    stale_after: StaleOption = 20.0,
) -> None:
    """Run COMPONENT's durable jobs (imports; billing, overdue and lapse runs) until SIGTERM or Ctrl-C;
    for webhooks, deliver due webhook attempts."""
    configure_logging(os.environ.get("SASAR_LOG_LEVEL", "INFO"))
    if component == "webhooks":
        _deliver_webhooks(poll)
        return
    service, url = job_service(component)
    database = Database(url)
    try:
        run_worker(
            database,
            service,
            stop=_stop_on_signals(),
            poll=poll,
            heartbeat_every=dt.timedelta(seconds=heartbeat),
            stale_after=dt.timedelta(seconds=stale_after),
        )
    finally:
        database.dispose()


def _deliver_webhooks(poll: float) -> None:
    """The webhooks deliverer: its own retry schedule per delivery, so a loop rather than jobs."""
    import logging

    from services.webhooks.config import WebhooksSettings
    from services.webhooks.deliveries import run_delivery_loop

    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = WebhooksSettings()
    settings = settings.model_copy(
        update={"poll_interval_seconds": min(poll, settings.poll_interval_seconds)}
    )
    database = Database(settings.database_url)
    stop = _stop_on_signals()
    try:
        run_delivery_loop(database, settings, stop.is_set, stop.wait)
    finally:
        database.dispose()


class SchedulerLock:
    """One active scheduler: a session advisory lock on PostgreSQL, a lease row with expiry on SQLite."""

    def __init__(self, database: Database, ttl: dt.timedelta) -> None:
        from services.funding.models import job_leases

        self.database = database
        self.ttl = ttl
        self.table = job_leases
        self.holder = f"scheduler@{socket.gethostname()}:{os.getpid()}"
        self.connection: Connection | None = None

    def hold(self) -> bool:
        """Take or keep the lock; ``False`` while another scheduler has it."""
        if self.database.dialect != "postgresql":
            return take_lease(self.database.engine, self.table, LEASE_NAME, self.holder, self.ttl)
        if self.connection is not None:
            try:
                self.connection.execute(text("SELECT 1"))
                self.connection.commit()  # not left idle in a transaction between rounds
                return True
            except Exception:  # the connection (and with it the lock) is gone: try again below
                self.connection = None
        connection = self.database.engine.connect()
        taken = connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK_KEY}
        ).scalar()
        connection.commit()
        if taken:
            self.connection = connection
            return True
        connection.close()
        return False

    def release(self) -> None:
        if self.database.dialect != "postgresql":
            release_lease(self.database.engine, self.table, LEASE_NAME, self.holder)
        elif self.connection is not None:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULER_LOCK_KEY})
            self.connection.commit()
            self.connection.close()
            self.connection = None


def scheduler_tick(databases: dict[str, Database], stale_after: dt.timedelta, now: dt.datetime) -> list[str]:
    """Enqueue the runs due at ``now`` (idempotent per period/day) and sweep every service's stale jobs."""
    from services.funding.jobs import enqueue_due

    with databases["funding"].sessions() as session, session.begin():
        due = [job.id for job in enqueue_due(session, now)]
    for component, database in databases.items():
        service, _url = job_service(component)
        sweep(database, service, stale_after=stale_after)
    return due


def scheduler(
    tick: Annotated[float, typer.Option(help="Seconds between rounds")] = 30.0,
    once: Annotated[bool, typer.Option(help="One round, then exit (cron-style)")] = False,
    stale_after: StaleOption = 20.0,
) -> None:
    """Start the monthly billing run (from the 1st, WIB), the daily overdue and lapse runs; sweep stale jobs.

    Several may run: one holds the lock and works, the others wait to take over.
    """
    configure_logging(os.environ.get("SASAR_LOG_LEVEL", "INFO"))
    databases = {component: Database(job_service(component)[1]) for component in JOB_COMPONENTS}
    lock = SchedulerLock(databases["funding"], ttl=dt.timedelta(seconds=max(3 * tick, 10)))
    stop = _stop_on_signals()
    active = False
    try:
        while not stop.is_set():
            try:
                holding = lock.hold()
                if holding != active:
                    log.info("scheduler_active" if holding else "scheduler_standby", holder=lock.holder)
                    active = holding
                if holding:
                    due = scheduler_tick(databases, dt.timedelta(seconds=stale_after), utcnow())
                    log.info("scheduler_round", jobs=due)
            except Exception as exc:  # a database blip must not end the scheduler
                log.warning("scheduler_round_failed", error=str(exc))
            if once:
                break
            stop.wait(tick)
    finally:
        if active:
            lock.release()
        for database in databases.values():
            database.dispose()
