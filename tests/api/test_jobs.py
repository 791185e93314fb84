"""The jobs table on SQLite and PostgreSQL: enqueue, claim, ownership, transitions, sweep, lease."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, update

from sasar.jobs_cli import SchedulerLock, scheduler_tick
from services.common import jobs
from services.common.db import Database
from services.common.timeutil import utcnow
from services.funding import jobs as funding_jobs
from services.funding.models import job_leases, jobs_table

T = jobs_table


@pytest.fixture
def database(database_url: Callable[[str], str]) -> Iterator[Database]:
    db = Database(database_url("funding"))
    yield db
    db.dispose()


def _enqueue(db: Database, kind: str = "k", **kwargs: object) -> jobs.Job:
    with db.sessions() as session, session.begin():
        return jobs.enqueue(session, T, prefix="fun", kind=kind, payload={"n": 1}, actor="test", **kwargs)  # type: ignore[arg-type]


def _get(db: Database, job_id: str) -> jobs.Job:
    with db.sessions() as session:
        job = jobs.get_job(session, T, job_id)
    assert job is not None
    return job


def test_enqueue_claim_finish(database: Database) -> None:
    job = _enqueue(database)
    assert job.id.startswith("fun_") and job.status == "queued" and job.attempts == 0
    assert jobs.claim(database.engine, T, owner="w1", kinds=["other"]) is None  # kind filter
    claimed = jobs.claim(database.engine, T, owner="w1", kinds=["k"])
    assert claimed is not None and claimed.id == job.id
    assert claimed.status == "running" and claimed.owner == "w1" and claimed.attempts == 1
    assert jobs.claim(database.engine, T, owner="w2", kinds=["k"]) is None  # taken
    with database.sessions() as session, session.begin():
        jobs.progress(session, T, job.id, "w1", done=5, total=10)
    assert (_get(database, job.id).progress_done, _get(database, job.id).progress_total) == (5, 10)
    with pytest.raises(jobs.LostJob), database.sessions() as session, session.begin():
        jobs.finish(session, T, job.id, "w2", {"x": 1})  # not the owner
    with database.sessions() as session, session.begin():
        jobs.finish(session, T, job.id, "w1", {"x": 1})
    done = _get(database, job.id)
    assert done.status == "succeeded" and done.result == {"x": 1} and done.finished_at is not None
    # succeeded is final: no transition out of it
    assert jobs.TRANSITIONS[jobs.JobStatus.succeeded] == frozenset()
    with pytest.raises(jobs.LostJob), database.sessions() as session, session.begin():
        jobs.fail(session, T, job.id, "w1", jobs.problem("x", "y"))
    assert not jobs.heartbeat(database.engine, T, job.id, "w1")


def test_a_future_job_waits(database: Database) -> None:
    _enqueue(database, run_after=utcnow() + dt.timedelta(hours=1))
    assert jobs.claim(database.engine, T, owner="w1", kinds=["k"]) is None


def test_concurrent_claims_take_each_job_once(database: Database) -> None:
    ids = {_enqueue(database).id for _ in range(12)}
    barrier = threading.Barrier(4)

    def claim_all(n: int) -> list[str]:
        barrier.wait()
        taken: list[str] = []
        while (job := jobs.claim(database.engine, T, owner=f"w{n}", kinds=["k"])) is not None:
            taken.append(job.id)
        return taken

    with ThreadPoolExecutor(4) as pool:
        taken = [job_id for batch in pool.map(claim_all, range(4)) for job_id in batch]
    assert sorted(taken) == sorted(ids)  # every job once, none twice


def test_fail_retries_then_fails_for_good(database: Database) -> None:
    job = _enqueue(database, max_attempts=2)
    jobs.claim(database.engine, T, owner="w1", kinds=["k"])
    with database.sessions() as session, session.begin():
        assert (
            jobs.fail(session, T, job.id, "w1", jobs.problem("x", "boom"), retry=True)
            is jobs.JobStatus.queued
        )
    requeued = _get(database, job.id)
    assert requeued.status == "queued" and requeued.owner is None and requeued.run_after > utcnow()
    with database.sessions() as session, session.begin():  # the backoff has passed
        session.execute(update(T).where(T.c.id == job.id).values(run_after=utcnow()))
    jobs.claim(database.engine, T, owner="w1", kinds=["k"])
    with database.sessions() as session, session.begin():
        assert (
            jobs.fail(session, T, job.id, "w1", jobs.problem("x", "boom"), retry=True)
            is jobs.JobStatus.failed
        )
    failed = _get(database, job.id)
    assert failed.status == "failed" and failed.attempts == 2 and failed.error is not None
    assert failed.error["detail"] == "boom"


def test_sweep_requeues_stale_jobs_and_fails_exhausted_ones(database: Database) -> None:
    stale, exhausted, alive = _enqueue(database), _enqueue(database, max_attempts=1), _enqueue(database)
    for _ in range(3):
        jobs.claim(database.engine, T, owner="dead", kinds=["k"])
    old = utcnow() - dt.timedelta(minutes=5)
    with database.sessions() as session, session.begin():
        session.execute(update(T).where(T.c.id.in_([stale.id, exhausted.id])).values(heartbeat_at=old))
    failed_seen: list[str] = []
    with database.sessions() as session, session.begin():
        counts = jobs.sweep(
            session,
            T,
            stale_after=dt.timedelta(seconds=30),
            on_failed=lambda _s, job: failed_seen.append(job.id),
        )
    assert counts == (1, 1) and failed_seen == [exhausted.id]
    assert _get(database, stale.id).status == "queued" and _get(database, stale.id).owner is None
    assert _get(database, exhausted.id).status == "failed"
    assert _get(database, alive.id).status == "running"  # its owner is alive
    # The requeued job's old owner can no longer write to it.
    with pytest.raises(jobs.LostJob), database.sessions() as session, session.begin():
        jobs.progress(session, T, stale.id, "dead", done=1)
    again = jobs.claim(database.engine, T, owner="w2", kinds=["k"])
    assert again is not None and again.id == stale.id and again.attempts == 2


def test_dedupe_key_enqueues_once(database: Database) -> None:
    first = _enqueue(database, dedupe_key="billing:2026-12")
    second = _enqueue(database, dedupe_key="billing:2026-12")
    assert first.id == second.id
    assert _enqueue(database).id != _enqueue(database).id  # no key, no dedupe


def test_lease_has_one_holder_until_it_expires(database: Database) -> None:
    ttl = dt.timedelta(seconds=60)
    assert jobs.take_lease(database.engine, job_leases, "scheduler", "a", ttl)
    assert not jobs.take_lease(database.engine, job_leases, "scheduler", "b", ttl)
    assert jobs.take_lease(database.engine, job_leases, "scheduler", "a", ttl)  # renewal
    with database.sessions() as session, session.begin():
        session.execute(update(job_leases).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    assert jobs.take_lease(database.engine, job_leases, "scheduler", "b", ttl)  # a's lease expired
    jobs.release_lease(database.engine, job_leases, "scheduler", "b")
    assert jobs.take_lease(database.engine, job_leases, "scheduler", "a", ttl)


def test_scheduler_enqueues_each_period_and_day_once(
    database: Database, database_url: Callable[[str], str]
) -> None:
    registry = Database(database_url("registry"))
    try:
        # 17:30 UTC on 30 November is 00:30 on 1 December in Jakarta: December's billing is due.
        now = dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.UTC)
        databases = {"registry": registry, "funding": database}
        first = scheduler_tick(databases, dt.timedelta(seconds=30), now)
        assert scheduler_tick(databases, dt.timedelta(seconds=30), now + dt.timedelta(hours=1)) == first
        next_day = scheduler_tick(databases, dt.timedelta(seconds=30), now + dt.timedelta(days=1))
    finally:
        registry.dispose()
    queued = {(j.kind, str(j.payload)) for j in (_get(database, job_id) for job_id in first)}
    assert queued == {
        (funding_jobs.BILLING, "{'period': '2026-12'}"),
        (funding_jobs.OVERDUE, "{'as_of': '2026-12-01'}"),
        (funding_jobs.LAPSE, "{'as_of': '2026-12-01'}"),
    }
    # The next day the month is billed again (only workers who joined since get a supplementary invoice).
    assert {(j.kind, str(j.payload)) for j in (_get(database, job_id) for job_id in next_day)} == {
        (funding_jobs.BILLING, "{'period': '2026-12'}"),
        (funding_jobs.OVERDUE, "{'as_of': '2026-12-02'}"),
        (funding_jobs.LAPSE, "{'as_of': '2026-12-02'}"),
    }
    assert not set(next_day) & set(first)


def test_one_scheduler_is_active_the_others_stand_by(database_url: Callable[[str], str]) -> None:
    first, second = Database(database_url("funding")), Database(database_url("funding"))
    a = SchedulerLock(first, ttl=dt.timedelta(seconds=60))
    b = SchedulerLock(second, ttl=dt.timedelta(seconds=60))
    b.holder += "-b"  # two processes on one host differ by pid; here by name
    try:
        assert a.hold() and a.hold()  # taken, then kept
        assert not b.hold()
        a.release()
        assert b.hold() and not a.hold()
        b.release()
    finally:
        first.dispose()
        second.dispose()


def test_scheduler_command_runs_one_round(database_url: Callable[[str], str], database: Database) -> None:
    env = {
        **os.environ,
        "SASAR_FUNDING_DATABASE_URL": database_url("funding"),
        "SASAR_REGISTRY_DATABASE_URL": database_url("registry"),
    }
    for _ in range(2):  # a second round (another scheduler, a restart) enqueues nothing new
        done = subprocess.run(
            [sys.executable, "-m", "sasar.cli", "scheduler", "--once"],
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    with database.sessions() as session:
        kinds = sorted(session.scalars(select(T.c.kind)))
    assert kinds == sorted([funding_jobs.BILLING, funding_jobs.OVERDUE, funding_jobs.LAPSE])
