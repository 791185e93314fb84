"""Per-village reports: statement, arrears, agreements out of budget, agreements ending (handover)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from services.funding import reports
from services.funding.access import require_village_reader
from services.funding.dependencies import CurrentPrincipal, DbSession
from services.funding.pricing import Period, PricingError
from services.funding.routes.common import VillageCode, pricing_problem
from services.funding.schemas import (
    AgreementEndingOut,
    FundingAgreementOut,
    VillageStatementOut,
    WorkerArrearsOut,
)

router = APIRouter(prefix="/v1", tags=["funding"])


@router.get("/villages/{code}/statement", response_model=VillageStatementOut, summary="Village statement")
def village_statement(
    code: VillageCode,
    session: DbSession,
    principal: CurrentPrincipal,
    fiscal_year: Annotated[int, Query(ge=2000, le=2099)],
) -> VillageStatementOut:
    require_village_reader(principal, code)
    return VillageStatementOut(**reports.statement(session, code, fiscal_year))


@router.get("/villages/{code}/arrears", response_model=list[WorkerArrearsOut], summary="Workers in arrears")
def village_arrears(
    code: VillageCode, session: DbSession, principal: CurrentPrincipal, as_of: dt.date
) -> list[WorkerArrearsOut]:
    require_village_reader(principal, code)
    return [WorkerArrearsOut(**item) for item in reports.arrears(session, code, as_of)]


@router.get(
    "/villages/{code}/budget-exhausted",
    response_model=list[FundingAgreementOut],
    summary="Agreements out of budget",
)
def village_budget_exhausted(
    code: VillageCode, session: DbSession, principal: CurrentPrincipal
) -> list[FundingAgreementOut]:
    require_village_reader(principal, code)
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
    require_village_reader(principal, code)
    try:
        period = Period.parse(through, field="through")
    except PricingError as exc:
        raise pricing_problem(exc) from None
    return [AgreementEndingOut(**item) for item in reports.agreements_ending(session, code, period)]
