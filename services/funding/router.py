"""Funding HTTP routes (thin: parse, check who may call, call the domain function, shape the answer).

Who may do what:
- rate schedules and quotes: any authenticated caller; new schedule versions: internal ``funding:admin``;
- agreements, invoices, payments, statements: a village principal for its own village only (another
  village's resources answer 404); internal callers read with ``funding:admin`` or ``reports:read``
  and write with ``funding:admin``; officers have no access to money (403);
- billing runs, overdue and lapse runs, voids: internal ``funding:admin`` only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select

from services.common import jobs
from services.common.concurrency import IfMatchHeader, check_if_match, etag
from services.common.errors import Forbidden, NotFound, ValidationProblem
from services.common.idempotency import IdempotencyKeyHeader, idempotent_post
from services.common.pagination import Page, PageParams, page_params, paginate
from services.common.principal import Principal, PrincipalKind
from services.common.timeutil import today_in_area
from services.funding import agreements, payments, rates, reports
from services.funding import jobs as funding_jobs
from services.funding.dependencies import CurrentPrincipal, DbSession, Directory
from services.funding.models import (
    BillingRun,
    CreditNote,
    FundingAgreement,
    Invoice,
    InvoiceLine,
    Payment,
    idempotency_keys,
)
from services.funding.pricing import Discount, Occupation, Period, PricingError, Program, RateSchedule, quote
from services.funding.pricing import schedule_for as pick_schedule
from services.funding.registry_client import LocalFirstDirectory
from services.funding.schemas import (
    MAX_ROW_ID,
    AgreementEndingOut,
    AgreementMemberRemovalOut,
    AgreementMembersIn,
    AgreementMembersOut,
    AgreementStatusFilter,
    BillingRunIn,
    BillingRunOut,
    ContributionQuoteIn,
    ContributionQuoteOut,
    CoverageLapseRunIn,
    FundingAgreementIn,
    FundingAgreementOut,
    FundingAgreementPatch,
    InvoiceOut,
    InvoiceOverdueRunIn,
    InvoiceStatusFilter,
    PaymentIn,
    PaymentOut,
    RateScheduleOut,
    RateScheduleVersionIn,
    ScheduleCode,
    VillageCodeFilter,
    VillageCodeText,
    VillageStatementOut,
    WorkerArrearsOut,
    WorkerId,
)

router = APIRouter(prefix="/v1", tags=["funding"])
Pagination = Annotated[PageParams, Depends(page_params)]
VillageCode = Annotated[VillageCodeText, Path(examples=["33.26.15.2001"])]
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
READ_SCOPES = ("funding:admin", "reports:read")


def require_reader(principal: Principal) -> None:
    if principal.kind is PrincipalKind.village:
        return
    if principal.is_internal and any(principal.has_scope(s) for s in READ_SCOPES):
        return
    raise Forbidden(
        "funding data needs a village key or an internal client with funding:admin or reports:read"
    )


def require_writer(principal: Principal, village_code: str | None = None) -> None:
    if principal.kind is PrincipalKind.village:
        if village_code is not None and not principal.can_access_village(village_code):
            raise Forbidden("a village key may only act for its own village")
        return
    principal.require_scope("funding:admin")


def require_admin(principal: Principal) -> None:
    principal.require_scope("funding:admin")


def _pricing_problem(exc: PricingError) -> ValidationProblem:
    return ValidationProblem.single(exc.field, exc.reason)


# --- rate schedules and quotes ----------------------------------------------------------------------


def _schedule_out(schedule: RateSchedule, row: Any) -> RateScheduleOut:
    return RateScheduleOut(
        id=schedule.id,
        code=row.code,
        version=row.version,
        name=schedule.name,
        effective_from=str(schedule.effective_from),
        effective_to=None if schedule.effective_to is None else str(schedule.effective_to),
        min_income_idr=schedule.min_income_idr,
        max_income_idr=schedule.max_income_idr,
        jkk_rate_bp=schedule.jkk_rate_bp,
        jkk_min_idr=schedule.jkk_min_idr,
        jkk_max_idr=schedule.jkk_max_idr,
        jkm_flat_idr=schedule.jkm_flat_idr,
        jht_rate_bp=schedule.jht_rate_bp,
        discounts=[
            {
                "name": d.name,
                "start_period": str(d.start),
                "end_period": str(d.end),
                "percent_payable": d.percent_payable,
                "programs": sorted(p.value for p in d.programs),
                "occupations": None if d.occupations is None else sorted(o.value for o in d.occupations),
                "applies_to_government_paid": d.applies_to_government_paid,
            }
            for d in schedule.discounts
        ],
        in_force=row.superseded_at is None,
    )


@router.get("/rate-schedules", response_model=list[RateScheduleOut], summary="Contribution rate schedules")
def list_rate_schedules(
    session: DbSession, principal: CurrentPrincipal, include_superseded: bool = False
) -> list[RateScheduleOut]:
    return [
        _schedule_out(s, row)
        for s, row in rates.load_schedules(session, include_superseded=include_superseded)
    ]


@router.post(
    "/rate-schedules/{code}/versions",
    response_model=RateScheduleOut,
    status_code=201,
    summary="Publish a new version of a rate schedule (funding:admin)",
)
def new_rate_schedule_version(
    code: Annotated[ScheduleCode, Path()],
    body: RateScheduleVersionIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> RateScheduleOut:
    require_admin(principal)
    try:
        proposed = RateSchedule(
            id=code,
            name=body.name,
            effective_from=Period.parse(body.effective_from, field="effective_from"),
            effective_to=None
            if body.effective_to is None
            else Period.parse(body.effective_to, field="effective_to"),
            min_income_idr=body.min_income_idr,
            max_income_idr=body.max_income_idr,
            jkk_rate_bp=body.jkk_rate_bp,
            jkk_min_idr=body.jkk_min_idr,
            jkk_max_idr=body.jkk_max_idr,
            jkm_flat_idr=body.jkm_flat_idr,
            jht_rate_bp=body.jht_rate_bp,
            discounts=tuple(
                Discount(
                    name=d.name,
                    start=Period.parse(d.start_period, field="start_period"),
                    end=Period.parse(d.end_period, field="end_period"),
                    percent_payable=d.percent_payable,
                    programs=frozenset(Program(p) for p in d.programs),
                    occupations=None
                    if d.occupations is None
                    else frozenset(_occupation(o) for o in d.occupations),
                    applies_to_government_paid=d.applies_to_government_paid,
                )
                for d in body.discounts
            ),
        )
        stored = rates.new_version(session, code, proposed, actor=principal.actor)
    except PricingError as exc:
        raise _pricing_problem(exc) from None
    except LookupError:
        raise NotFound(f"rate schedule {code} not found") from None
    for schedule, row in rates.load_schedules(session):
        if schedule.id == stored.id:
            return _schedule_out(schedule, row)
    raise NotFound(f"rate schedule {code} not found")  # pragma: no cover - just stored


def _occupation(value: str) -> Occupation:
    try:
        return Occupation(value)
    except ValueError:
        raise PricingError("occupations", f"unknown occupation {value!r}") from None


@router.post("/contribution-quotes", response_model=ContributionQuoteOut, summary="Price one month")
def create_quote(
    body: ContributionQuoteIn, session: DbSession, principal: CurrentPrincipal
) -> ContributionQuoteOut:
    try:
        period = Period.parse(body.period)
        schedule = pick_schedule(rates.schedules_in_force(session), period)
        priced = quote(
            schedule,
            declared_income_idr=body.declared_income_idr,
            programs=body.programs,  # type: ignore[arg-type]
            period=period,
            funding_source=body.funding_source,  # type: ignore[arg-type]
            occupation=body.occupation,  # type: ignore[arg-type]
        )
    except PricingError as exc:
        raise _pricing_problem(exc) from None
    return ContributionQuoteOut(
        lines=[
            {
                "program": line.program.value,
                "amount_idr": line.amount_idr,
                "discount_idr": line.discount_idr,
                "discount_name": line.discount_name,
            }
            for line in priced.lines
        ],
        total_idr=priced.total_idr,
        schedule_id=priced.schedule_id,
        period=str(priced.period),
    )


# --- agreements ------------------------------------------------------------------------------------


def _agreement_response(
    session: DbSession, agreement: FundingAgreement, status_code: int = 200
) -> JSONResponse:
    body = FundingAgreementOut(**agreements.agreement_view(session, agreement))
    return JSONResponse(
        jsonable_encoder(body), status_code=status_code, headers={"ETag": etag(agreement.version)}
    )


@router.post(
    "/funding-agreements", response_model=FundingAgreementOut, status_code=201, summary="Create an agreement"
)
def create_agreement(
    body: FundingAgreementIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    require_writer(principal, body.village_code)

    def produce() -> FundingAgreementOut:
        agreement = agreements.create_agreement(session, agreements.AgreementTerms(**body.model_dump()))
        return FundingAgreementOut(**agreements.agreement_view(session, agreement))

    return idempotent_post(
        session,
        idempotency_keys,
        principal=principal,
        key=idempotency_key,
        path=request.url.path,
        payload=body,
        status_code=201,
        produce=produce,
    )


@router.get("/funding-agreements", response_model=Page[FundingAgreementOut], summary="List agreements")
def list_agreements(
    session: DbSession,
    principal: CurrentPrincipal,
    pagination: Pagination,
    village_code: Annotated[VillageCodeFilter | None, Query()] = None,
    fiscal_year: Annotated[int | None, Query(ge=2000, le=2099)] = None,
    status: Annotated[AgreementStatusFilter | None, Query()] = None,
) -> Page[FundingAgreementOut]:
    require_reader(principal)
    statement = select(FundingAgreement)
    allowed = principal.village_filter()
    if allowed is not None:
        statement = statement.where(FundingAgreement.village_code.in_(allowed))
    if village_code:
        statement = statement.where(FundingAgreement.village_code == village_code)
    if fiscal_year:
        statement = statement.where(FundingAgreement.fiscal_year == fiscal_year)
    if status:
        statement = statement.where(FundingAgreement.status == status)
    rows, cursor = paginate(
        session, statement, key_columns=[FundingAgreement.id], params=pagination, key_of=lambda a: [a.id]
    )
    committed = agreements.committed_by_agreement(session, [a.id for a in rows])
    return Page(
        items=[
            FundingAgreementOut(**agreements.agreement_view(session, a, committed.get(a.id, 0))) for a in rows
        ],
        next_cursor=cursor,
    )


@router.get("/funding-agreements/{agreement_id}", response_model=FundingAgreementOut, summary="An agreement")
def get_agreement(agreement_id: RowId, session: DbSession, principal: CurrentPrincipal) -> JSONResponse:
    require_reader(principal)
    return _agreement_response(session, agreements.get_agreement(session, principal, agreement_id))


@router.patch(
    "/funding-agreements/{agreement_id}", response_model=FundingAgreementOut, summary="Change terms"
)
def patch_agreement(
    agreement_id: RowId,
    body: FundingAgreementPatch,
    session: DbSession,
    principal: CurrentPrincipal,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    agreement = agreements.get_agreement(session, principal, agreement_id)
    require_writer(principal, agreement.village_code)
    check_if_match(if_match, agreement.version)
    agreements.update_terms(session, agreement, body.model_dump(exclude_unset=True))
    return _agreement_response(session, agreement)


@router.post(
    "/funding-agreements/{agreement_id}/activate", response_model=FundingAgreementOut, summary="Activate"
)
def activate_agreement(agreement_id: RowId, session: DbSession, principal: CurrentPrincipal) -> JSONResponse:
    agreement = agreements.get_agreement(session, principal, agreement_id)
    require_writer(principal, agreement.village_code)
    return _agreement_response(session, agreements.activate(session, agreement))


@router.post("/funding-agreements/{agreement_id}/end", response_model=FundingAgreementOut, summary="End")
def end_agreement(agreement_id: RowId, session: DbSession, principal: CurrentPrincipal) -> JSONResponse:
    agreement = agreements.get_agreement(session, principal, agreement_id)
    require_writer(principal, agreement.village_code)
    return _agreement_response(session, agreements.end_agreement(session, agreement))


@router.post(
    "/funding-agreements/{agreement_id}/members",
    response_model=AgreementMembersOut,
    summary="Add workers to the roster (per-item results)",
)
def add_members(
    agreement_id: RowId,
    body: AgreementMembersIn,
    session: DbSession,
    principal: CurrentPrincipal,
    directory: Directory,
) -> AgreementMembersOut:
    agreement = agreements.get_agreement(session, principal, agreement_id)
    require_writer(principal, agreement.village_code)
    known = LocalFirstDirectory.prefetch(session, body.worker_ids, directory)
    results = agreements.add_members(session, agreement, body.worker_ids, known)
    if all(r.status == "rejected" for r in results):
        # Nothing could be added: a 422 problem (budget refusals say by how much), items in `results`.
        over = [r for r in results if r.over_budget_by_idr is not None]
        detail = (
            f"over the remaining budget by Rp{max(r.over_budget_by_idr or 0 for r in over):,}"
            if over
            else "no worker could be added"
        )
        raise ValidationProblem(
            detail,
            errors=[{"field": f"worker_ids.{i}", "reason": r.reason or ""} for i, r in enumerate(results)],
            extra={
                "results": [r.__dict__ for r in results],
                **({"over_budget_by_idr": max(r.over_budget_by_idr or 0 for r in over)} if over else {}),
            },
        )
    return AgreementMembersOut(
        results=[r.__dict__ for r in results],
        agreement=FundingAgreementOut(**agreements.agreement_view(session, agreement)),
    )


@router.delete(
    "/funding-agreements/{agreement_id}/members/{worker_id}",
    response_model=AgreementMemberRemovalOut,
    summary="Remove a worker (unpaid issued lines get credit notes)",
)
def remove_member(
    agreement_id: RowId,
    worker_id: Annotated[WorkerId, Path()],
    session: DbSession,
    principal: CurrentPrincipal,
    effective_date: Annotated[
        dt.date | None,
        Query(description="Last day covered (default: today in the village); months after it are credited"),
    ] = None,
) -> AgreementMemberRemovalOut:
    agreement = agreements.get_agreement(session, principal, agreement_id)
    require_writer(principal, agreement.village_code)
    credited = agreements.remove_member(
        session,
        agreement,
        worker_id,
        reason="worker removed from the roster",
        effective_date=effective_date or today_in_area(agreement.village_code),
        may_backdate=principal.has_scope("funding:admin"),
    )
    return AgreementMemberRemovalOut(worker_id=worker_id, credited_idr=credited)


# --- billing and invoices --------------------------------------------------------------------------


def _run_out(run: BillingRun) -> BillingRunOut:
    return BillingRunOut(
        id=run.id,
        period=str(rates.period_from_index(run.period_idx)),
        invoices_issued=run.invoices_issued,
        lines=run.lines,
        total_idr=run.total_idr,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


def _accepted(job: jobs.Job) -> JSONResponse:
    body = jsonable_encoder(jobs.job_out(job))
    return JSONResponse(body, status_code=202, headers={"Location": jobs.job_location(job.id)})


_ACCEPTED: dict[int | str, dict[str, Any]] = {202: {"model": jobs.JobOut, "description": "Queued as a job"}}


@router.post(
    "/billing-runs",
    response_model=jobs.JobOut,
    status_code=202,
    responses=_ACCEPTED,
    summary="Bill a month (a job; its result is the billing run)",
)
def create_billing_run(body: BillingRunIn, session: DbSession, principal: CurrentPrincipal) -> JSONResponse:
    require_admin(principal)
    try:
        period = Period.parse(body.period)
        pick_schedule(rates.schedules_in_force(session), period)
    except PricingError as exc:
        raise _pricing_problem(exc) from None
    return _accepted(funding_jobs.enqueue_billing(session, period, principal.actor))


JobId = Annotated[
    str, Path(max_length=40, pattern=jobs.JOB_ID_PATTERN, description="Job id (reg_… or fun_…)")
]


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
    if not (principal.is_internal and any(principal.has_scope(s) for s in READ_SCOPES)):
        raise Forbidden("billing runs are visible to internal clients with funding:admin or reports:read")
    run = session.get(BillingRun, run_id)
    if run is None:
        raise NotFound(f"billing run {run_id} not found")
    return _run_out(run)


def _invoice_out(
    invoice: Invoice, lines: list[InvoiceLine] | None = None, credits: list[CreditNote] | None = None
) -> InvoiceOut:
    return InvoiceOut(
        id=invoice.id,
        number=invoice.number,
        agreement_id=invoice.agreement_id,
        village_code=invoice.village_code,
        period=str(rates.period_from_index(invoice.period_idx)),
        status=invoice.status,
        total_idr=invoice.total_idr,
        credited_idr=invoice.credited_idr,
        paid_idr=invoice.paid_idr,
        outstanding_idr=payments.outstanding(invoice) if invoice.status != "void" else 0,
        due_date=invoice.due_date,
        created_at=invoice.created_at,
        version=invoice.version,
        lines=None
        if lines is None
        else [
            {
                "line_no": line.line_no,
                "worker_id": line.worker_id,
                "program": line.program,
                "schedule_id": line.schedule_id,
                "declared_income_idr": line.declared_income_idr,
                "amount_idr": line.amount_idr,
                "discount_idr": line.discount_idr,
                "paid_idr": line.paid_idr,
                "credited_idr": line.credited_idr,
            }
            for line in lines
        ],
        credit_notes=None
        if credits is None
        else [
            {
                "id": note.id,
                "worker_id": note.worker_id,
                "amount_idr": note.amount_idr,
                "reason": note.reason,
                "created_at": note.created_at,
            }
            for note in credits
        ],
    )


@router.get("/invoices", response_model=Page[InvoiceOut], summary="List invoices")
def list_invoices(
    session: DbSession,
    principal: CurrentPrincipal,
    pagination: Pagination,
    village_code: Annotated[VillageCodeFilter | None, Query()] = None,
    period: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$")] = None,
    status: Annotated[InvoiceStatusFilter | None, Query()] = None,
) -> Page[InvoiceOut]:
    require_reader(principal)
    statement = select(Invoice)
    allowed = principal.village_filter()
    if allowed is not None:
        statement = statement.where(Invoice.village_code.in_(allowed))
    if village_code:
        statement = statement.where(Invoice.village_code == village_code)
    if period:
        try:
            statement = statement.where(Invoice.period_idx == rates.period_index(Period.parse(period)))
        except PricingError as exc:
            raise _pricing_problem(exc) from None
    if status:
        statement = statement.where(Invoice.status == status)
    rows, cursor = paginate(
        session, statement, key_columns=[Invoice.id], params=pagination, key_of=lambda i: [i.id]
    )
    return Page(items=[_invoice_out(i) for i in rows], next_cursor=cursor)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, summary="An invoice with its lines")
def get_invoice(
    invoice_id: RowId, session: DbSession, principal: CurrentPrincipal, response: Response
) -> InvoiceOut:
    require_reader(principal)
    invoice = payments.get_invoice(session, principal, invoice_id)
    lines = list(
        session.scalars(
            select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id).order_by(InvoiceLine.line_no)
        )
    )
    credits = list(
        session.scalars(select(CreditNote).where(CreditNote.invoice_id == invoice.id).order_by(CreditNote.id))
    )
    response.headers["ETag"] = etag(invoice.version)
    return _invoice_out(invoice, lines, credits)


@router.post("/invoices/{invoice_id}/void", response_model=InvoiceOut, summary="Void an unpaid invoice")
def void_invoice(invoice_id: RowId, session: DbSession, principal: CurrentPrincipal) -> InvoiceOut:
    require_reader(principal)
    payments.get_invoice(session, principal, invoice_id)  # 404 before 403 for another village's invoice
    require_admin(principal)
    return _invoice_out(payments.void_invoice(session, principal, invoice_id))


@router.post(
    "/invoices/overdue-runs",
    response_model=jobs.JobOut,
    status_code=202,
    responses=_ACCEPTED,
    summary="Mark invoices overdue (funding:admin; a job, its result has marked_overdue)",
)
def mark_overdue(body: InvoiceOverdueRunIn, session: DbSession, principal: CurrentPrincipal) -> JSONResponse:
    require_admin(principal)
    return _accepted(funding_jobs.enqueue_run(session, funding_jobs.OVERDUE, body.as_of, principal.actor))


# --- payments --------------------------------------------------------------------------------------


def _payment_out(payment: Payment, invoice_status: str | None = None) -> PaymentOut:
    return PaymentOut(
        id=payment.id,
        invoice_id=payment.invoice_id,
        village_code=payment.village_code,
        amount_idr=payment.amount_idr,
        paid_on=payment.paid_on,
        method=payment.method,
        reference=payment.reference,
        created_at=payment.created_at,
        invoice_status=invoice_status,
    )


@router.post(
    "/payments",
    response_model=PaymentOut,
    status_code=201,
    summary="Record a payment (Idempotency-Key required)",
)
def create_payment(
    body: PaymentIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    if idempotency_key is None:
        raise ValidationProblem.single(
            "Idempotency-Key", "required for payments (use a fresh UUID per payment)"
        )
    require_reader(principal)
    invoice = payments.get_invoice(session, principal, body.invoice_id)
    require_writer(principal, invoice.village_code)

    def produce() -> PaymentOut:
        payment = payments.record_payment(
            session, principal, payments.PaymentRequest(**body.model_dump()), actor=principal.actor
        )
        refreshed = session.get(Invoice, payment.invoice_id)
        return _payment_out(payment, refreshed.status if refreshed else None)

    return idempotent_post(
        session,
        idempotency_keys,
        principal=principal,
        key=idempotency_key,
        path=request.url.path,
        payload=body,
        status_code=201,
        produce=produce,
    )


@router.get("/payments", response_model=Page[PaymentOut], summary="List payments")
def list_payments(
    session: DbSession,
    principal: CurrentPrincipal,
    pagination: Pagination,
    invoice_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    village_code: Annotated[VillageCodeFilter | None, Query()] = None,
) -> Page[PaymentOut]:
    require_reader(principal)
    statement = select(Payment)
    allowed = principal.village_filter()
    if allowed is not None:
        statement = statement.where(Payment.village_code.in_(allowed))
    if invoice_id is not None:
        statement = statement.where(Payment.invoice_id == invoice_id)
    if village_code:
        statement = statement.where(Payment.village_code == village_code)
    rows, cursor = paginate(
        session, statement, key_columns=[Payment.id], params=pagination, key_of=lambda p: [p.id]
    )
    return Page(items=[_payment_out(p) for p in rows], next_cursor=cursor)


# --- village reports -------------------------------------------------------------------------------


def _village_reader(principal: Principal, code: str) -> None:
    require_reader(principal)
    if not principal.can_access_village(code):
        raise NotFound(f"village {code} not found")


@router.get("/villages/{code}/statement", response_model=VillageStatementOut, summary="Village statement")
def village_statement(
    code: VillageCode,
    session: DbSession,
    principal: CurrentPrincipal,
    fiscal_year: Annotated[int, Query(ge=2000, le=2099)],
) -> VillageStatementOut:
    _village_reader(principal, code)
    return VillageStatementOut(**reports.statement(session, code, fiscal_year))


@router.get("/villages/{code}/arrears", response_model=list[WorkerArrearsOut], summary="Workers in arrears")
def village_arrears(
    code: VillageCode, session: DbSession, principal: CurrentPrincipal, as_of: dt.date
) -> list[WorkerArrearsOut]:
    _village_reader(principal, code)
    return [WorkerArrearsOut(**item) for item in reports.arrears(session, code, as_of)]


@router.get(
    "/villages/{code}/budget-exhausted",
    response_model=list[FundingAgreementOut],
    summary="Agreements out of budget",
)
def village_budget_exhausted(
    code: VillageCode, session: DbSession, principal: CurrentPrincipal
) -> list[FundingAgreementOut]:
    _village_reader(principal, code)
    return [FundingAgreementOut(**v) for v in reports.budget_exhausted(session, code)]


@router.get(
    "/villages/{code}/agreements-ending",
    response_model=list[AgreementEndingOut],
    summary="Agreements ending by a month, with each worker's self-pay quote (handover)",
)
def village_agreements_ending(
    code: VillageCode,
    session: DbSession,
    principal: CurrentPrincipal,
    through: Annotated[str, Query(pattern=r"^[0-9]{4}-[0-9]{2}$")],
) -> list[AgreementEndingOut]:
    _village_reader(principal, code)
    try:
        period = Period.parse(through, field="through")
    except PricingError as exc:
        raise _pricing_problem(exc) from None
    return [AgreementEndingOut(**item) for item in reports.agreements_ending(session, code, period)]


@router.post(
    "/invoices/lapse-runs",
    response_model=jobs.JobOut,
    status_code=202,
    responses=_ACCEPTED,
    summary="Mark lapsed workers (funding:admin; a job, its result has lapsed_worker_ids)",
)
def lapse_run(body: CoverageLapseRunIn, session: DbSession, principal: CurrentPrincipal) -> JSONResponse:
    require_admin(principal)
    return _accepted(funding_jobs.enqueue_run(session, funding_jobs.LAPSE, body.as_of, principal.actor))
