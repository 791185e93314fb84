"""The job worker: claims a service's jobs one at a time and runs them through that service's handlers.

While a handler runs, a thread renews the job's heartbeat; the loop also sweeps stale jobs now and then,
so jobs whose worker died are recovered as long as any worker (or the scheduler) of the service runs.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import Table
from sqlalchemy.orm import Session

from services.common import jobs
from services.common.db import Database

log = structlog.get_logger("sasar.worker")

HEARTBEAT_EVERY = dt.timedelta(seconds=2)
STALE_AFTER = dt.timedelta(seconds=20)


class JobFailed(Exception):
    """A handler's verdict that the job cannot succeed (bad input): failed at once, not retried."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(error.get("detail", "job failed"))
        self.error = dict(error)


@dataclass
class JobContext:
    """What a handler gets: its job, and the functions that write to it under this worker's ownership."""

    database: Database
    table: Table
    job: jobs.Job
    owner: str

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.database.sessions() as session, session.begin():
            yield session

    def progress(self, session: Session, done: int, total: int | None = None) -> None:
        jobs.progress(session, self.table, self.job.id, self.owner, done=done, total=total)

    def finish(self, session: Session, result: Mapping[str, Any]) -> None:
        jobs.finish(session, self.table, self.job.id, self.owner, result)

    def fail(self, session: Session, error: Mapping[str, Any]) -> None:
        """Fail the job for good in the caller's transaction (with the effect that records why)."""
        jobs.fail(session, self.table, self.job.id, self.owner, error, retry=False)


Handler = Callable[[JobContext], None]


@dataclass(frozen=True)
class JobService:
    """One service's jobs: its table, id prefix, handlers per kind, and its hook for a job failed for good."""

    name: str
    prefix: str
    table: Table
    handlers: Mapping[str, Handler]
    on_failed: Callable[[Session, jobs.Job], None] | None = None
    kinds: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", tuple(self.handlers))


def worker_id(service: str) -> str:
    return f"{service}@{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _heartbeats(
    database: Database, table: Table, job: jobs.Job, owner: str, every: float, stop: threading.Event
) -> None:
    while not stop.wait(every):
        try:
            if not jobs.heartbeat(database.engine, table, job.id, owner):
                return
        except Exception as exc:  # a missed beat is survivable; the next one may get through
            log.warning("job_heartbeat_failed", job_id=job.id, error=str(exc))


def run_one(
    database: Database, service: JobService, owner: str, *, heartbeat_every: dt.timedelta = HEARTBEAT_EVERY
) -> bool:
    """Claim and run one due job; ``False`` when there was none."""
    job = jobs.claim(database.engine, service.table, owner=owner, kinds=service.kinds)
    if job is None:
        return False
    log.info("job_started", job_id=job.id, kind=job.kind, attempt=job.attempts)
    stop = threading.Event()
    beater = threading.Thread(
        target=_heartbeats,
        args=(database, service.table, job, owner, heartbeat_every.total_seconds(), stop),
        name=f"heartbeat-{job.id}",
        daemon=True,
    )
    beater.start()
    context = JobContext(database, service.table, job, owner)
    try:
        service.handlers[job.kind](context)
        log.info("job_finished", job_id=job.id, kind=job.kind)
    except jobs.LostJob:
        log.warning("job_lost", job_id=job.id, kind=job.kind)
    except JobFailed as exc:
        _record_failure(context, service, exc.error, retry=False)
    except Exception as exc:  # any other error: retried while attempts are left
        log.error("job_error", job_id=job.id, kind=job.kind, exc_info=exc)
        error = jobs.problem(
            "Job error", f"the job stopped on an unexpected error ({type(exc).__name__})", status=500
        )
        _record_failure(context, service, error, retry=True)
    finally:
        stop.set()
        beater.join()
    return True


def _record_failure(
    context: JobContext, service: JobService, error: Mapping[str, Any], *, retry: bool
) -> None:
    try:
        with context.transaction() as session:
            status = jobs.fail(session, service.table, context.job.id, context.owner, error, retry=retry)
            if status is jobs.JobStatus.failed and service.on_failed is not None:
                failed = jobs.get_job(session, service.table, context.job.id)
                assert failed is not None
                service.on_failed(session, failed)
        log.warning("job_failed", job_id=context.job.id, status=status.value, detail=error.get("detail"))
    except jobs.LostJob:
        log.warning("job_lost", job_id=context.job.id)


def sweep(
    database: Database, service: JobService, *, stale_after: dt.timedelta = STALE_AFTER
) -> tuple[int, int]:
    with database.sessions() as session, session.begin():
        requeued, failed = jobs.sweep(
            session, service.table, stale_after=stale_after, on_failed=service.on_failed
        )
    if requeued or failed:
        log.warning("jobs_swept", service=service.name, requeued=requeued, failed=failed)
    return requeued, failed


def drain(database: Database, service: JobService, *, owner: str = "inline", limit: int = 100) -> int:
    """Run due jobs until none is left (at most ``limit``); returns how many ran (tests, one-off runs)."""
    ran = 0
    while ran < limit and run_one(database, service, owner):
        ran += 1
    return ran


def run_worker(
    database: Database,
    service: JobService,
    *,
    stop: threading.Event,
    poll: float = 1.0,
    heartbeat_every: dt.timedelta = HEARTBEAT_EVERY,
    stale_after: dt.timedelta = STALE_AFTER,
) -> None:
    """Run the service's jobs until ``stop`` is set; sweep stale jobs every half ``stale_after``."""
    owner = worker_id(service.name)
    log.info("worker_started", service=service.name, owner=owner, kinds=list(service.kinds))
    next_sweep = 0.0
    while not stop.is_set():
        now = dt.datetime.now(dt.UTC).timestamp()
        if now >= next_sweep:
            try:
                sweep(database, service, stale_after=stale_after)
            except Exception as exc:  # the database may be briefly away; keep the worker alive
                log.warning("job_sweep_failed", error=str(exc))
            next_sweep = now + stale_after.total_seconds() / 2
        try:
            ran = run_one(database, service, owner, heartbeat_every=heartbeat_every)
        except Exception as exc:
            log.warning("job_claim_failed", error=str(exc))
            ran = False
        if not ran:
            stop.wait(poll)
    log.info("worker_stopped", service=service.name, owner=owner)
