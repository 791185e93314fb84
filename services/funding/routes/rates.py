"""Rate schedules (read by anyone authenticated, versioned by funding:admin) and contribution quotes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from services.common.errors import NotFound
from services.common.messages import Message
from services.funding import rates
from services.funding.access import FundingAdmin
from services.funding.dependencies import CurrentPrincipal, DbSession
from services.funding.pricing import Discount, Occupation, Period, PricingError, Program, RateSchedule, quote
from services.funding.pricing import schedule_for as pick_schedule
from services.funding.routes.common import pricing_problem
from services.funding.schemas import (
    ContributionQuoteIn,
    ContributionQuoteOut,
    RateScheduleOut,
    RateScheduleVersionIn,
    ScheduleCode,
)

router = APIRouter(prefix="/v1", tags=["funding"])


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
                "applies_to_dana_desa": d.applies_to_dana_desa,
                "applies_to_apbd_kelurahan": d.applies_to_apbd_kelurahan,
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
    principal: FundingAdmin,
) -> RateScheduleOut:
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
                    applies_to_dana_desa=d.applies_to_dana_desa,
                    applies_to_apbd_kelurahan=d.applies_to_apbd_kelurahan,
                )
                for d in body.discounts
            ),
        )
        stored = rates.new_version(session, code, proposed, actor=principal.actor)
    except PricingError as exc:
        raise pricing_problem(exc) from None
    except LookupError:
        raise NotFound(Message("funding.rate_schedule_not_found", code=code)) from None
    for schedule, row in rates.load_schedules(session):
        if schedule.id == stored.id:
            return _schedule_out(schedule, row)
    raise NotFound(Message("funding.rate_schedule_not_found", code=code))  # pragma: no cover - just stored


def _occupation(value: str) -> Occupation:
    try:
        return Occupation(value)
    except ValueError:
        raise PricingError("occupations", Message("funding.unknown_occupation", value=repr(value))) from None


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
        raise pricing_problem(exc) from None
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
