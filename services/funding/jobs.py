"""Funding's durable jobs: billing, overdue and lapse runs, run by ``sasar worker --component funding``.

Each handler calls the domain function as it is and finishes the job in the same transaction, so the
invoices and the job's ``succeeded`` commit together (or neither does). The scheduler's part — which
runs are due when — is :func:`enqueue_due`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from services.common import jobs
from services.common.errors import Forbidden, NotFound
from services.common.messages import Message
from services.common.principal import Principal
from services.common.worker import JobContext, JobFailed, JobService
from services.funding import billing, reports
from services.funding.exceptions import NoRateSchedule
from services.funding.models import BillingRun, jobs_table
from services.funding.pricing import Period
from services.funding.schemas import BillingRunOut

PREFIX = "fun"
BILLING = "funding.billing_run"
OVERDUE = "funding.overdue_run"
LAPSE = "funding.lapse_run"
READ_SCOPES = ("funding:admin", "reports:read")
# Billing periods and "today" of the daily runs are read in Indonesia's western time (DESIGN: WIB).
SCHEDULE_ZONE = ZoneInfo("Asia/Jakarta")


def enqueue_billing(session: Session, period: Period, actor: str, dedupe_key: str | None = None) -> jobs.Job:
    return jobs.enqueue(
        session,
        jobs_table,
        prefix=PREFIX,
        kind=BILLING,
        payload={"period": str(period)},
        actor=actor,
        dedupe_key=dedupe_key,
    )


def enqueue_run(
    session: Session, kind: str, as_of: dt.date, actor: str, dedupe_key: str | None = None
) -> jobs.Job:
    """An overdue or a lapse run as of ``as_of``."""
    return jobs.enqueue(
        session,
        jobs_table,
        prefix=PREFIX,
        kind=kind,
        payload={"as_of": as_of.isoformat()},
        actor=actor,
        dedupe_key=dedupe_key,
    )


def run_billing_job(context: JobContext) -> None:
    period = Period.parse(str(context.job.payload["period"]))
    with context.transaction() as session:
        context.progress(session, 0, len(billing.STEPS))
    try:
        with context.transaction() as session:
            result = billing.run_billing(session, period, actor=context.job.actor)
            run = session.get(BillingRun, result.id)
            assert run is not None
            out = BillingRunOut(
                id=run.id,
                period=str(result.period),
                invoices_issued=run.invoices_issued,
                lines=run.lines,
                total_idr=run.total_idr,
                started_at=run.started_at,
                finished_at=run.finished_at,
            )
            context.progress(session, len(billing.STEPS), len(billing.STEPS))
            context.finish(session, out.model_dump(mode="json"))
    except NoRateSchedule as exc:
        detail = exc.detail or "no rate schedule is in force for the period"
        errors = [{"field": e["field"], "reason": e["reason"]} for e in exc.errors or ()]
        raise JobFailed(jobs.problem("No rate schedule", detail, errors=errors)) from None


def run_overdue_job(context: JobContext) -> None:
    as_of = dt.date.fromisoformat(str(context.job.payload["as_of"]))
    with context.transaction() as session:
        context.finish(
            session, {"as_of": as_of.isoformat(), "marked_overdue": billing.mark_overdue(session, as_of)}
        )


def run_lapse_job(context: JobContext) -> None:
    as_of = dt.date.fromisoformat(str(context.job.payload["as_of"]))
    with context.transaction() as session:
        lapsed = reports.mark_lapsed(session, as_of)
        context.finish(session, {"as_of": as_of.isoformat(), "lapsed_worker_ids": lapsed})


SERVICE = JobService(
    name="funding",
    prefix=PREFIX,
    table=jobs_table,
    handlers={BILLING: run_billing_job, OVERDUE: run_overdue_job, LAPSE: run_lapse_job},
)


def get_job(session: Session, principal: Principal, job_id: str) -> jobs.Job:
    """Funding's jobs are runs over every village: internal readers only."""
    if not (principal.is_internal and any(principal.has_scope(s) for s in READ_SCOPES)):
        raise Forbidden(Message("funding.jobs_access"))
    job = jobs.get_job(session, jobs_table, job_id)
    if job is None:
        raise NotFound(Message("jobs.not_found", job_id=job_id))
    return job


def enqueue_due(session: Session, now: dt.datetime) -> list[jobs.Job]:
    """The runs due at ``now`` (WIB): this month's billing, today's overdue and lapse runs - once a day each.

    Each is keyed by its day, so calling this every minute enqueues each run once; a scheduler that was
    down on the 1st still bills the month when it comes back. Billing the month daily is what issues the
    supplementary invoices of workers who joined since (a day with nobody new issues nothing).
    """
    today = now.astimezone(SCHEDULE_ZONE).date()
    period = Period(today.year, today.month)
    actor = "scheduler"
    return [
        enqueue_billing(session, period, actor, dedupe_key=f"billing:{period}:{today.isoformat()}"),
        enqueue_run(session, OVERDUE, today, actor, dedupe_key=f"overdue:{today.isoformat()}"),
        enqueue_run(session, LAPSE, today, actor, dedupe_key=f"lapse:{today.isoformat()}"),
    ]
