"""Durable jobs: a ``jobs`` table each service keeps in its own database, and the plain functions on it.

A job is enqueued in the caller's transaction (so a 202 and its job commit together), claimed by one
worker (PostgreSQL ``FOR UPDATE SKIP LOCKED``; on SQLite one ``UPDATE … WHERE status = 'queued'``, atomic
because SQLite serialises writers), kept alive by heartbeats, and finished in the same transaction as its
last effect. Every write a worker makes is conditional on still owning the job, so a worker the sweeper
has given up on cannot commit anything more. The sweeper requeues (or, after ``max_attempts``, fails)
every ``running`` job whose owner's heartbeat is stale: no job stays ``running`` without a live owner.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from services.common.db import UTCDateTime
from services.common.errors import FieldErrorModel
from services.common.timeutil import utcnow


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


# The one transition table: every status change below is one of these (checked in the WHERE clause).
TRANSITIONS: Mapping[JobStatus, frozenset[JobStatus]] = {
    JobStatus.queued: frozenset({JobStatus.running, JobStatus.failed}),
    JobStatus.running: frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.queued}),
    JobStatus.succeeded: frozenset(),
    JobStatus.failed: frozenset(),
}


def sources_of(target: JobStatus) -> list[str]:
    """The statuses a job may move to ``target`` from."""
    return [source.value for source, targets in TRANSITIONS.items() if target in targets]


DEFAULT_MAX_ATTEMPTS = 3
RETRY_BACKOFF = dt.timedelta(seconds=5)


def make_jobs_table(metadata: MetaData) -> Table:
    """The ``jobs`` table in ``metadata`` (the same definition in every service that has jobs)."""
    return Table(
        "jobs",
        metadata,
        Column("id", String(40), primary_key=True),
        Column("kind", String(40), nullable=False),
        Column("status", String(12), nullable=False),
        # Unique when set: the scheduler enqueues each period's run at most once.
        Column("dedupe_key", String(120), unique=True),
        # Who may read the job: the actor who enqueued it and, for village work, the village.
        Column("actor", String(120), nullable=False),
        Column("village_code", String(13)),
        Column("payload", JSON, nullable=False),
        Column("progress_done", BigInteger, nullable=False, server_default=text("0")),
        Column("progress_total", BigInteger),
        Column("result", JSON),
        Column("error", JSON),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("max_attempts", Integer, nullable=False),
        Column("owner", String(120)),
        Column("heartbeat_at", UTCDateTime()),
        Column("run_after", UTCDateTime(), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("started_at", UTCDateTime()),
        Column("finished_at", UTCDateTime()),
        Index("ix_jobs_status_run_after", "status", "run_after"),
    )


def make_lease_table(metadata: MetaData) -> Table:
    """Named leases with an expiry: one holder at a time (the scheduler's lock on SQLite)."""
    return Table(
        "job_leases",
        metadata,
        Column("name", String(40), primary_key=True),
        Column("holder", String(120), nullable=False),
        Column("expires_at", UTCDateTime(), nullable=False),
    )


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    status: str
    actor: str
    village_code: str | None
    payload: dict[str, Any]
    progress_done: int
    progress_total: int | None
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int
    max_attempts: int
    owner: str | None
    heartbeat_at: dt.datetime | None
    run_after: dt.datetime
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


def _job(row: Any) -> Job:
    values = dict(row._mapping)
    values.pop("dedupe_key", None)
    return Job(**values)


class LostJob(Exception):
    """This worker no longer owns the job (the sweeper requeued it): its transaction must roll back."""


def new_job_id(prefix: str) -> str:
    """``reg_…`` / ``fun_…``: the prefix tells the gateway which service owns the job."""
    return f"{prefix}_{uuid.uuid4()}"


def problem(
    title: str, detail: str, *, status: int = 422, errors: Sequence[Mapping[str, str]] = ()
) -> dict[str, Any]:
    """A problem-like error document (RFC 9457 fields) stored on a failed job."""
    return {"title": title, "status": status, "detail": detail, "errors": [dict(e) for e in errors]}


def enqueue(
    session: Session,
    table: Table,
    *,
    prefix: str,
    kind: str,
    payload: Mapping[str, Any],
    actor: str,
    village_code: str | None = None,
    dedupe_key: str | None = None,
    run_after: dt.datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """Queue a job in the caller's transaction (it commits, or not, with the caller's other writes).

    With ``dedupe_key``, an existing job of that key is returned instead (enqueueing is idempotent).
    """
    if dedupe_key is not None:
        existing = session.execute(select(table).where(table.c.dedupe_key == dedupe_key)).first()
        if existing is not None:
            return _job(existing)
    now = utcnow()
    values = {
        "id": new_job_id(prefix),
        "kind": kind,
        "status": JobStatus.queued.value,
        "dedupe_key": dedupe_key,
        "actor": actor,
        "village_code": village_code,
        "payload": dict(payload),
        "progress_done": 0,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_after": run_after or now,
        "created_at": now,
    }
    if dedupe_key is not None:
        # Two enqueuers racing on one key: the unique index lets one in; the other sees its job.
        inserted = session.execute(
            table.insert().values(**values).prefix_with("OR IGNORE", dialect="sqlite")
            if session.get_bind().dialect.name == "sqlite"
            else _pg_insert_ignore(table, values)
        )
        if not inserted.rowcount:  # type: ignore[attr-defined]
            row = session.execute(select(table).where(table.c.dedupe_key == dedupe_key)).one()
            return _job(row)
    else:
        session.execute(insert(table).values(**values))
    job = get_job(session, table, str(values["id"]))
    assert job is not None
    return job


def _pg_insert_ignore(table: Table, values: Mapping[str, Any]) -> Any:
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    return pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])


def get_job(session: Session | Connection, table: Table, job_id: str) -> Job | None:
    row = session.execute(select(table).where(table.c.id == job_id)).first()
    return None if row is None else _job(row)


def claim(engine: Engine, table: Table, *, owner: str, kinds: Sequence[str]) -> Job | None:
    """Take the oldest due queued job of ``kinds`` for ``owner`` (in its own short transaction)."""
    now = utcnow()
    candidate = (
        select(table.c.id)
        .where(table.c.status == JobStatus.queued.value, table.c.run_after <= now, table.c.kind.in_(kinds))
        .order_by(table.c.run_after, table.c.created_at)
        .limit(1)
    )
    if engine.dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    statement = (
        update(table)
        .where(
            table.c.id == candidate.scalar_subquery(),
            table.c.status.in_(sources_of(JobStatus.running)),
        )
        .values(
            status=JobStatus.running.value,
            owner=owner,
            attempts=table.c.attempts + 1,
            heartbeat_at=now,
            started_at=now,
        )
        .returning(*table.c)
    )
    with engine.begin() as connection:
        row = connection.execute(statement).first()
    return None if row is None else _job(row)


def _owned(table: Table, job_id: str, owner: str) -> Any:
    return and_(table.c.id == job_id, table.c.owner == owner, table.c.status == JobStatus.running.value)


def _owned_update(
    connection: Session | Connection, table: Table, job_id: str, owner: str, values: Mapping[str, Any]
) -> None:
    """Write to a job this owner runs; a status change must be in :data:`TRANSITIONS` from running."""
    if "status" in values and JobStatus(values["status"]) not in TRANSITIONS[JobStatus.running]:
        raise ValueError(f"a running job cannot become {values['status']}")
    result = connection.execute(update(table).where(_owned(table, job_id, owner)).values(**values))
    if not result.rowcount:  # type: ignore[attr-defined]
        raise LostJob(job_id)


def heartbeat(engine: Engine, table: Table, job_id: str, owner: str) -> bool:
    """Say the owner is alive (own transaction); ``False`` when the job is no longer this owner's."""
    with engine.begin() as connection:
        result = connection.execute(
            update(table).where(_owned(table, job_id, owner)).values(heartbeat_at=utcnow())
        )
    return bool(result.rowcount)


def progress(
    session: Session, table: Table, job_id: str, owner: str, *, done: int, total: int | None = None
) -> None:
    """Record progress in the caller's transaction (it commits with the work it counts)."""
    values: dict[str, Any] = {"progress_done": done, "heartbeat_at": utcnow()}
    if total is not None:
        values["progress_total"] = total
    _owned_update(session, table, job_id, owner, values)


def finish(session: Session, table: Table, job_id: str, owner: str, result: Mapping[str, Any]) -> None:
    """Mark the job succeeded in the caller's transaction, together with its last effect."""
    _owned_update(
        session,
        table,
        job_id,
        owner,
        {"status": JobStatus.succeeded.value, "result": dict(result), "finished_at": utcnow()},
    )


def fail(
    session: Session, table: Table, job_id: str, owner: str, error: Mapping[str, Any], *, retry: bool = False
) -> JobStatus:
    """The job failed: requeue it (``retry`` and attempts left, with a backoff) or fail it for good."""
    job = get_job(session, table, job_id)
    if job is None or job.owner != owner or job.status != JobStatus.running.value:
        raise LostJob(job_id)
    if retry and job.attempts < job.max_attempts:
        _owned_update(
            session,
            table,
            job_id,
            owner,
            {
                "status": JobStatus.queued.value,
                "owner": None,
                "error": dict(error),
                "run_after": utcnow() + RETRY_BACKOFF * job.attempts,
            },
        )
        return JobStatus.queued
    _owned_update(
        session,
        table,
        job_id,
        owner,
        {"status": JobStatus.failed.value, "error": dict(error), "finished_at": utcnow()},
    )
    return JobStatus.failed


STALE_ERROR = problem("Worker lost", "the worker running this job stopped sending heartbeats", status=500)


def sweep(
    session: Session,
    table: Table,
    *,
    stale_after: dt.timedelta,
    on_failed: Callable[[Session, Job], None] | None = None,
) -> tuple[int, int]:
    """Requeue (or fail, after ``max_attempts``) running jobs whose heartbeat is older than ``stale_after``.

    Returns ``(requeued, failed)``. ``on_failed`` lets the owning service mark its own resource failed
    in the same transaction (an import must not stay ``processing`` when its job has failed).
    """
    now = utcnow()
    stale = and_(table.c.status == JobStatus.running.value, table.c.heartbeat_at < now - stale_after)
    exhausted = session.execute(
        select(table).where(stale, table.c.attempts >= table.c.max_attempts).order_by(table.c.id)
    ).all()
    failed = 0
    for row in exhausted:
        result = session.execute(
            update(table)
            .where(table.c.id == row.id, stale, table.c.status.in_(sources_of(JobStatus.failed)))
            .values(status=JobStatus.failed.value, owner=None, error=STALE_ERROR, finished_at=now)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            failed += 1
            if on_failed is not None:
                job = get_job(session, table, row.id)
                assert job is not None
                on_failed(session, job)
    requeued = session.execute(
        update(table)
        .where(
            stale, table.c.attempts < table.c.max_attempts, table.c.status.in_(sources_of(JobStatus.queued))
        )
        .values(status=JobStatus.queued.value, owner=None, error=STALE_ERROR, run_after=now)
    )
    return int(requeued.rowcount or 0), failed  # type: ignore[attr-defined]


# --- one holder at a time ----------------------------------------------------------------------------


def take_lease(engine: Engine, table: Table, name: str, holder: str, ttl: dt.timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder``; ``False`` while another holder's is unexpired."""
    now = utcnow()
    with engine.begin() as connection:
        renewed = connection.execute(
            update(table)
            .where(table.c.name == name, (table.c.holder == holder) | (table.c.expires_at < now))
            .values(holder=holder, expires_at=now + ttl)
        )
        if renewed.rowcount:
            return True
        exists = connection.execute(select(table.c.name).where(table.c.name == name)).first()
        if exists is not None:
            return False
        statement = table.insert().values(name=name, holder=holder, expires_at=now + ttl)
        if engine.dialect.name == "sqlite":
            inserted = connection.execute(statement.prefix_with("OR IGNORE"))
        else:
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            inserted = connection.execute(
                pg_insert(table)
                .values(name=name, holder=holder, expires_at=now + ttl)
                .on_conflict_do_nothing(index_elements=["name"])
            )
        return bool(inserted.rowcount)


def release_lease(engine: Engine, table: Table, name: str, holder: str) -> None:
    with engine.begin() as connection:
        connection.execute(table.delete().where(table.c.name == name, table.c.holder == holder))


# --- the job resource (``GET /v1/jobs/{id}``, the same shape in every service) -----------------------


class JobProgress(BaseModel):
    done: int
    total: int | None


class JobError(BaseModel):
    """Why a job failed: RFC 9457's fields (no type URI: nothing to resolve), as ``problem`` stores them."""

    title: str
    status: int
    detail: str
    errors: list[FieldErrorModel] = Field(default_factory=list)


class JobOut(BaseModel):
    """A durable job: poll it until ``status`` is ``succeeded`` (see ``result``) or ``failed`` (``error``)."""

    id: str = Field(examples=["fun_0b5e6c1e-8f1d-4a57-9d7b-3f0e6c2a9b11"])
    kind: str
    status: JobStatus
    progress: JobProgress
    result: dict[str, Any] | None
    error: JobError | None
    attempts: int
    max_attempts: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=JobStatus(job.status),
        progress=JobProgress(done=job.progress_done, total=job.progress_total),
        result=job.result,
        # Typed, so generated clients read ``error.detail`` rather than a bare object.
        error=None if job.error is None else JobError.model_validate(job.error),
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def job_location(job_id: str) -> str:
    return f"/v1/jobs/{job_id}"


JOB_ID_PATTERN = r"^[a-z]{3}_[0-9a-f-]{36}$"
