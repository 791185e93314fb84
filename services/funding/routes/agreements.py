"""Funding agreements (a village's budget for a fiscal year) and their worker rosters."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from services.common.concurrency import IfMatchHeader, check_if_match, etag
from services.common.errors import ValidationProblem
from services.common.idempotency import IdempotencyKeyHeader, idempotent_post
from services.common.messages import Message, current_language, localise
from services.common.pagination import Page, paginate_list
from services.common.timeutil import today_in_area
from services.funding import agreements
from services.funding.access import ADMIN_SCOPE, FundingReader, require_writer
from services.funding.dependencies import CurrentPrincipal, DbSession, Directory
from services.funding.models import FundingAgreement, idempotency_keys
from services.funding.registry_client import LocalFirstDirectory
from services.funding.routes.common import ListPagination, RowId
from services.funding.schemas import (
    AgreementMemberRemovalOut,
    AgreementMembersIn,
    AgreementMembersOut,
    FundingAgreementIn,
    FundingAgreementOut,
    FundingAgreementPatch,
    VillageCodeFilter,
    WorkerId,
)
from services.funding.statuses import AgreementStatus

router = APIRouter(prefix="/v1", tags=["funding"])


def _agreement_response(
    session: DbSession, agreement: FundingAgreement, status_code: int = 200
) -> JSONResponse:
    body = FundingAgreementOut(**agreements.agreement_view(session, agreement))
    return JSONResponse(
        jsonable_encoder(body), status_code=status_code, headers={"ETag": etag(agreement.version)}
    )


def _result_view(result: agreements.MemberResult) -> dict[str, Any]:
    # A refusal's reason in the caller's language, as in the problem's `errors`.
    return {**result.__dict__, "reason": localise(result.reason, current_language())}


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
    principal: FundingReader,
    pagination: ListPagination,
    village_code: Annotated[VillageCodeFilter | None, Query()] = None,
    fiscal_year: Annotated[int | None, Query(ge=2000, le=2099)] = None,
    status: AgreementStatus | None = None,
) -> Page[FundingAgreementOut]:
    statement = agreements.list_statement(
        principal, village_code=village_code, fiscal_year=fiscal_year, status=status
    )
    rows, cursor = paginate_list(
        session,
        statement,
        created_at=FundingAgreement.created_at,
        updated_at=FundingAgreement.updated_at,
        id_column=FundingAgreement.id,
        params=pagination,
        ids_follow_creation=True,
    )
    committed = agreements.committed_by_agreement(session, [a.id for a in rows])
    return Page(
        items=[
            FundingAgreementOut(**agreements.agreement_view(session, a, committed.get(a.id, 0))) for a in rows
        ],
        next_cursor=cursor,
    )


@router.get("/funding-agreements/{agreement_id}", response_model=FundingAgreementOut, summary="An agreement")
def get_agreement(agreement_id: RowId, session: DbSession, principal: FundingReader) -> JSONResponse:
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
            Message("roster.over_budget", excess=max(r.over_budget_by_idr or 0 for r in over))
            if over
            else Message("roster.none_added")
        )
        raise ValidationProblem(
            detail,
            errors=[{"field": f"worker_ids.{i}", "reason": r.reason or ""} for i, r in enumerate(results)],
            extra={
                "results": [_result_view(r) for r in results],
                **({"over_budget_by_idr": max(r.over_budget_by_idr or 0 for r in over)} if over else {}),
            },
        )
    return AgreementMembersOut(
        results=[_result_view(r) for r in results],
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
        may_backdate=principal.has_scope(ADMIN_SCOPE),
    )
    return AgreementMemberRemovalOut(worker_id=worker_id, credited_idr=credited)
