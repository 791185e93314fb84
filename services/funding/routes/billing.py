"""Billing runs, the overdue and lapse runs (all durable jobs, funding:admin) and job status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from services.common import jobs
from services.funding import agreements, billing, rates
from services.funding import jobs as funding_jobs
from services.funding.access import FundingAdmin, require_internal_reader
from services.funding.dependencies import CurrentPrincipal, DbSession
from services.funding.models import BillingRun
from services.funding.pricing import Period, PricingError
from services.funding.pricing import schedule_for as pick_schedule
from services.funding.routes.common import RowId, pricing_problem
from services.funding.schemas import (
    BackBillingRunIn,
    BillingRunIn,
    BillingRunOut,
    CoverageLapseRunIn,
    InvoiceOverdueRunIn,
)

router = APIRouter(prefix="/v1", tags=["funding"])

_ACCEPTED: dict[int | str, dict[str, Any]] = {202: {"model": jobs.JobOut, "description": "Queued as a job"}}


@router.post(
    "/funding-agreements/{agreement_id}/back-billing-runs",
    response_model=BillingRunOut,
    status_code=201,
    summary="Bill members for a month before they joined (funding:admin; recorded with a reason)",
)
def create_back_billing_run(
    agreement_id: RowId, body: BackBillingRunIn, session: DbSession, principal: FundingAdmin
) -> BillingRunOut:
    agreement = agreements.get_agreement(session, principal, agreement_id)
    try:
        period = Period.parse(body.period)
    except PricingError as exc:
        raise pricing_problem(exc) from None
    result = billing.back_bill(session, agreement, period, reason=body.reason, actor=principal.actor)
    return _run_out(billing.get_run(session, result.id))


JobId = Annotated[
    str, Path(max_length=40, pattern=jobs.JOB_ID_PATTERN, description="Job id (reg_… or fun_…)")
]


def _run_out(run: BillingRun) -> BillingRunOut:
    return BillingRunOut(
        id=run.id,
        period=str(rates.period_from_index(run.period_idx)),
        invoices_issued=run.invoices_issued,
        lines=run.lines,
        total_idr=run.total_idr,
        started_at=run.started_at,
        finished_at=run.finished_at,
        kind=run.kind,
        reason=run.reason,
        agreement_id=run.agreement_id,
    )


def _accepted(job: jobs.Job) -> JSONResponse:
    body = jsonable_encoder(jobs.job_out(job))
    return JSONResponse(body, status_code=202, headers={"Location": jobs.job_location(job.id)})


@router.post(
    "/billing-runs",
    response_model=jobs.JobOut,
    status_code=202,
    responses=_ACCEPTED,
    summary="Bill a month (a job; its result is the billing run)",
)
def create_billing_run(body: BillingRunIn, session: DbSession, principal: FundingAdmin) -> JSONResponse:
    try:
        period = Period.parse(body.period)
        pick_schedule(rates.schedules_in_force(session), period)
    except PricingError as exc:
        raise pricing_problem(exc) from None
    return _accepted(funding_jobs.enqueue_billing(session, period, principal.actor))


@router.get(
    "/jobs/{job_id}",
    response_model=jobs.JobOut,
    tags=["jobs"],
    summary="A durable job: status, progress, result",
)
def get_job(job_id: JobId, session: DbSession, principal: CurrentPrincipal) -> jobs.JobOut:
    return jobs.job_out(funding_jobs.get_job(session, principal, job_id))


@router.get("/billing-runs/{run_id}", response_model=BillingRunOut, summary="A billing run")
def get_billing_run(run_id: RowId, session: DbSession, principal: CurrentPrincipal) -> BillingRunOut:
    require_internal_reader(principal)
    return _run_out(billing.get_run(session, run_id))


@router.post(
    "/invoices/overdue-runs",
    response_model=jobs.JobOut,
    status_code=202,
    responses=_ACCEPTED,
    summary="Mark invoices overdue (funding:admin; a job, its result has marked_overdue)",
)
def mark_overdue(body: InvoiceOverdueRunIn, session: DbSession, principal: FundingAdmin) -> JSONResponse:
    return _accepted(funding_jobs.enqueue_run(session, funding_jobs.OVERDUE, body.as_of, principal.actor))


@router.post(
    "/invoices/lapse-runs",
    response_model=jobs.JobOut,
    status_code=202,
    responses=_ACCEPTED,
    summary="Mark lapsed workers (funding:admin; a job, its result has lapsed_worker_ids)",
)
def lapse_run(body: CoverageLapseRunIn, session: DbSession, principal: FundingAdmin) -> JSONResponse:
    return _accepted(funding_jobs.enqueue_run(session, funding_jobs.LAPSE, body.as_of, principal.actor))
