"""Registry HTTP routes (thin: parse, call the domain function, shape the answer)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from services.common.concurrency import IfMatchHeader, check_if_match, etag
from services.common.errors import ProblemError, ValidationProblem
from services.common.idempotency import IdempotencyKeyHeader, idempotent_post
from services.common.jobs import JOB_ID_PATTERN, JobOut, job_location, job_out
from services.common.messages import Message, load_field_errors
from services.common.pagination import ListParams, Page, PageParams, list_params, page_params
from services.common.principal import (
    Principal,
    PrincipalKind,
    authenticated_principal,
    principal_from_request,
)
from services.common.wilayah import AREA_CODE_PATTERN, AreaLevel
from services.registry import (
    access,
    areas,
    duplicates,
    history,
    import_limits,
    import_list,
    imports,
    lifecycle,
    workers,
)
from services.registry import jobs as registry_jobs
from services.registry.dependencies import DbSession
from services.registry.duplicates import DuplicateCandidateStatus
from services.registry.models import DuplicateCandidate, Worker, WorkerImport, idempotency_keys
from services.registry.nik import mask_nik
from services.registry.outreach_client import OfficerChecks, get_officer_checks
from services.registry.schemas import (
    AreaCodeFilter,
    AreaCodeText,
    AreaOut,
    AreaSearchText,
    DuplicateCandidateOut,
    DuplicateResolve,
    SearchText,
    WorkerCountsItem,
    WorkerCountsOut,
    WorkerCoverage,
    WorkerCreate,
    WorkerDeactivate,
    WorkerHistoryOut,
    WorkerIdText,
    WorkerImportAccepted,
    WorkerImportOut,
    WorkerImportRowOut,
    WorkerImportRowResult,
    WorkerOut,
    WorkerPatch,
)
from services.registry.validation import Occupation, WorkerFunding, WorkerInput, WorkerStatus

# Public reference data: any caller the gateway vouches for, anonymous included.
areas_router = APIRouter(prefix="/v1/areas", tags=["areas"], dependencies=[Depends(principal_from_request)])

# Format checked by the domain function, so a malformed code gets a readable reason, not a regex.
AreaCode = Annotated[
    AreaCodeText,
    Path(
        description=f"PP, PP.RR, PP.RR.DD or PP.RR.DD.VVVV ({AREA_CODE_PATTERN})",
        examples=["33.75"],
    ),
]
Pagination = Annotated[PageParams, Depends(page_params)]
# Lists integrators sync from: sort, updated_since and a cursor bound to the sort.
ListPagination = Annotated[ListParams, Depends(list_params)]


@areas_router.get("", response_model=Page[AreaOut], summary="Search areas by name")
def search_areas(
    session: DbSession,
    pagination: Pagination,
    q: Annotated[AreaSearchText | None, Query(description="Part of the name")] = None,
    level: AreaLevel | None = None,
) -> Page[AreaOut]:
    rows, cursor = areas.search_areas(session, q, pagination, level=level)
    return Page(items=[areas.area_out(a) for a in rows], next_cursor=cursor)


@areas_router.get("/{code}", response_model=AreaOut, summary="One area, any level")
def get_area(code: AreaCode, session: DbSession) -> AreaOut:
    return areas.area_out(areas.get_area(session, code))


@areas_router.get(
    "/{code}/children",
    response_model=Page[AreaOut],
    summary="Children of an area (or, with `level`, all its descendants at that level)",
)
def list_children(
    code: AreaCode, session: DbSession, pagination: Pagination, level: AreaLevel | None = None
) -> Page[AreaOut]:
    rows, cursor = areas.list_children(session, code, pagination, level=level)
    return Page(items=[areas.area_out(a) for a in rows], next_cursor=cursor)


# --- workers ---------------------------------------------------------------------------------------

Principal_ = Annotated[Principal, Depends(authenticated_principal)]
# Officer writes are confirmed with outreach (assignment still valid, officer still active): 403 if not.
OfficerGate = Annotated[OfficerChecks, Depends(get_officer_checks)]
WorkerId = Annotated[WorkerIdText, Path(description="Worker id (UUID)")]

workers_router = APIRouter(prefix="/v1/workers", tags=["workers"])
counts_router = APIRouter(prefix="/v1/worker-counts", tags=["workers"])
imports_router = APIRouter(prefix="/v1/worker-imports", tags=["worker imports"])
candidates_router = APIRouter(prefix="/v1/duplicate-candidates", tags=["duplicate candidates"])
jobs_router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


def worker_out(worker: Worker, *, full_nik: bool) -> WorkerOut:
    nik = worker.nik if full_nik or worker.nik is None else mask_nik(worker.nik)
    return WorkerOut(
        id=worker.id,
        nik=nik,
        temporary_id=worker.temporary_id,
        temporary_deadline=worker.temporary_deadline,
        name=worker.name,
        sex="F" if worker.sex == "F" else "M",
        birth_date=worker.birth_date,
        phone=worker.phone,
        village_code=worker.village_code,
        occupation=Occupation(worker.occupation),
        declared_income_idr=worker.declared_income_idr,
        programs=[p for p in ("JKK", "JKM", "JHT") if p in worker.programs.split(",")],
        funding=WorkerFunding(worker.funding),
        status=WorkerStatus(worker.status),
        status_reason=worker.status_reason,
        status_effective_date=worker.status_effective_date,
        merged_into_id=worker.merged_into_id,
        officer_id=worker.officer_id,
        outreach_session_id=worker.outreach_session_id,
        lead_id=worker.lead_id,
        version=worker.version,
        created_at=worker.created_at,
        updated_at=worker.updated_at,
    )


def _input_of(body: WorkerCreate) -> WorkerInput:
    return WorkerInput(
        name=body.name,
        village_code=body.village_code,
        occupation=body.occupation.value,
        declared_income_idr=body.declared_income_idr,
        programs=list(body.programs),
        nik=body.nik,
        temporary=body.temporary,
        birth_date=body.birth_date,
        sex=body.sex,
        phone=body.phone,
        funding=body.funding.value,
        officer_id=body.officer_id,
        outreach_session_id=body.outreach_session_id,
        lead_id=body.lead_id,
    )


@workers_router.post(
    "",
    status_code=201,
    response_model=WorkerOut,
    summary="Register a worker",
    responses={409: {"description": "The NIK is already registered (`existing_worker_id` when visible)"}},
)
def create_worker(
    body: WorkerCreate,
    request: Request,
    session: DbSession,
    principal: Principal_,
    officer_gate: OfficerGate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    if principal.can_access_village(body.village_code):  # otherwise the domain's 422 on village_code
        officer_gate.confirm(principal, body.village_code)

    def produce() -> WorkerOut:
        return worker_out(workers.create_worker(session, principal, _input_of(body)), full_nik=True)

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


@workers_router.get("", response_model=Page[WorkerOut], summary="List workers (NIK masked)")
def list_workers(
    session: DbSession,
    principal: Principal_,
    pagination: ListPagination,
    village_code: Annotated[AreaCodeFilter | None, Query()] = None,
    status: WorkerStatus | None = None,
    q: Annotated[SearchText | None, Query(description="Part of the name, or a NIK")] = None,
    temporary: Annotated[bool | None, Query(description="Only workers still on a temporary id")] = None,
    temporary_id_overdue: Annotated[
        bool | None,
        Query(
            description="true: only living workers whose temporary id is past its 90-day deadline "
            "(the village's local date); they cannot be added to a funding roster until a NIK replaces it"
        ),
    ] = None,
) -> Page[WorkerOut]:
    filters = workers.WorkerFilters(
        village_code=village_code,
        status=status,
        q=q,
        temporary=temporary,
        temporary_id_overdue=temporary_id_overdue,
    )
    rows, cursor = workers.list_workers(session, principal, filters, pagination)
    return Page(items=[worker_out(w, full_nik=False) for w in rows], next_cursor=cursor)


@workers_router.get("/{worker_id}", response_model=WorkerOut, summary="One worker (full NIK)")
def get_worker(
    worker_id: WorkerId, session: DbSession, principal: Principal_, response: Response
) -> WorkerOut:
    worker = workers.get_worker(session, principal, worker_id)
    response.headers["ETag"] = etag(worker.version)
    return worker_out(worker, full_nik=True)


@workers_router.patch(
    "/{worker_id}",
    response_model=WorkerOut,
    summary="Change a worker (If-Match honoured)",
    responses={
        409: {"description": "NIK already held, or the worker is no longer living"},
        412: {"description": "Stale ETag"},
    },
)
def patch_worker(
    worker_id: WorkerId,
    body: WorkerPatch,
    session: DbSession,
    principal: Principal_,
    officer_gate: OfficerGate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> WorkerOut:
    officer_gate.confirm(principal, workers.get_worker(session, principal, worker_id).village_code)
    changes = body.model_dump(exclude_unset=True)
    for field in ("occupation", "funding"):
        if changes.get(field) is not None:
            changes[field] = str(changes[field])
    nullable = {"phone"}
    for field, value in list(changes.items()):
        if value is None and field not in nullable:
            raise ValidationProblem.single(field, Message("field.cannot_be_null"))
    worker = workers.update_worker(
        session, principal, worker_id, changes, version_check=lambda v: check_if_match(if_match, v)
    )
    response.headers["ETag"] = etag(worker.version)
    return worker_out(worker, full_nik=True)


@workers_router.post(
    "/{worker_id}/deactivate",
    response_model=WorkerOut,
    summary="Deactivate (moved, deceased, withdrew); officers mark deceased only workers they registered",
    responses={
        403: {"description": "An officer marking deceased a worker they did not register"},
        409: {"description": "Illegal status transition"},
    },
)
def deactivate_worker(
    worker_id: WorkerId,
    body: WorkerDeactivate,
    session: DbSession,
    principal: Principal_,
    officer_gate: OfficerGate,
    response: Response,
) -> WorkerOut:
    access.require_write(principal)
    worker = workers.get_worker(session, principal, worker_id)
    officer_gate.confirm(principal, worker.village_code)
    if body.reason is lifecycle.DeactivationReason.deceased:
        access.check_may_mark_deceased(principal, worker)
    lifecycle.deactivate(session, worker, body.reason, body.effective_date, actor=principal.actor)
    response.headers["ETag"] = etag(worker.version)
    return worker_out(worker, full_nik=True)


@workers_router.post(
    "/{worker_id}/coverage",
    response_model=WorkerOut,
    summary="Set coverage status (internal, registry:write): active on payment, lapsed after arrears",
    responses={409: {"description": "Illegal status transition"}},
)
def set_coverage(
    worker_id: WorkerId, body: WorkerCoverage, session: DbSession, principal: Principal_, response: Response
) -> WorkerOut:
    worker = workers.set_coverage(session, principal, worker_id, WorkerStatus(body.status))
    response.headers["ETag"] = etag(worker.version)
    return worker_out(worker, full_nik=True)


@workers_router.get(
    "/{worker_id}/history", response_model=Page[WorkerHistoryOut], summary="Every change of a worker"
)
def worker_history(
    worker_id: WorkerId, session: DbSession, principal: Principal_, pagination: Pagination
) -> Page[WorkerHistoryOut]:
    worker = workers.get_worker(session, principal, worker_id)
    rows, cursor = history.list_history(session, worker, pagination)
    items = [
        WorkerHistoryOut.model_validate(
            {
                "id": h.id,
                "changed_at": h.changed_at,
                "actor": h.actor,
                "field": h.field,
                "before": h.before,
                "after": h.after,
                "note": h.note,
            },
            context={"village_code": worker.village_code},
        )
        for h in rows
    ]
    return Page(items=items, next_cursor=cursor)


@counts_router.get("", response_model=WorkerCountsOut, summary="Workers per status per village under an area")
def worker_counts(
    session: DbSession,
    principal: Principal_,
    area: Annotated[AreaCodeText, Query(description="Area code (any level)")],
) -> WorkerCountsOut:
    items = workers.worker_counts(session, principal, area)
    return WorkerCountsOut(area=area, items=[WorkerCountsItem(**item) for item in items])


# --- imports ---------------------------------------------------------------------------------------


@imports_router.post(
    "",
    status_code=202,
    response_model=WorkerImportAccepted,
    summary="Upload a roster (CSV or XLSX); processed by a job (poll `Location`, the job)",
    responses={413: {"description": "File too large"}},
)
def create_import(
    request: Request,
    session: DbSession,
    principal: Principal_,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX with the worker columns")],
    officer_gate: OfficerGate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    access.require_write(principal)
    if principal.kind is PrincipalKind.officer:
        # Rows may go to any village the token lists: each must still be a current assignment.
        for village in sorted(principal.village_filter() or ()):
            officer_gate.confirm(principal, village)
    content = file.file.read(imports.MAX_BYTES + 1)
    if len(content) > imports.MAX_BYTES:
        raise ProblemError(
            Message("import.file_too_large", mib=imports.MAX_BYTES // (1024 * 1024)),
            status=413,
            slug="payload-too-large",
            errors=[{"field": "file", "reason": Message("import.too_large_reason")}],
        )
    try:
        import_limits.check_archive(content)
    except import_limits.ImportTooCostly as exc:
        raise ProblemError(
            exc.reason,
            status=exc.status,
            slug="payload-too-large",
            errors=[{"field": "file", "reason": exc.reason}],
        ) from None
    filename = file.filename or "upload"

    def produce() -> WorkerImportAccepted:
        # The import, its file and its job commit together with this 202.
        record = imports.create_import(session, principal, filename, content)
        job = registry_jobs.enqueue_import(session, principal, record)
        return WorkerImportAccepted(id=record.id, status=record.status, job_id=job.id)

    answer = idempotent_post(
        session,
        idempotency_keys,
        principal=principal,
        key=idempotency_key,
        path=request.url.path,
        payload={"file_sha256": imports.file_fingerprint(content)},
        status_code=202,
        produce=produce,
    )
    job_id = json.loads(bytes(answer.body)).get("job_id")
    if job_id:
        answer.headers["Location"] = job_location(job_id)
    return answer


def import_out(record: WorkerImport) -> WorkerImportOut:
    return WorkerImportOut(
        id=record.id,
        status=record.status,
        filename=record.filename,
        file_format=record.file_format,
        total=record.total,
        accepted=record.accepted,
        rejected=record.rejected,
        duplicate_existing=record.duplicate_existing,
        duplicate_in_file=record.duplicate_in_file,
        error=record.error,
        village_code=record.village_code,
        created_at=record.created_at,
        updated_at=record.updated_at,
        finished_at=record.finished_at,
    )


ImportId = Annotated[WorkerIdText, Path()]


@imports_router.get("", response_model=Page[WorkerImportOut], summary="Imports you may see (oldest first)")
def list_imports(
    session: DbSession,
    principal: Principal_,
    pagination: ListPagination,
    village_code: Annotated[AreaCodeFilter | None, Query()] = None,
) -> Page[WorkerImportOut]:
    rows, cursor = import_list.list_imports(session, principal, pagination, village_code=village_code)
    return Page(items=[import_out(r) for r in rows], next_cursor=cursor)


@imports_router.get("/{import_id}", response_model=WorkerImportOut, summary="Status and counts of an import")
def get_import(import_id: ImportId, session: DbSession, principal: Principal_) -> WorkerImportOut:
    return import_out(imports.get_import(session, principal, import_id))


@imports_router.get(
    "/{import_id}/rows", response_model=Page[WorkerImportRowOut], summary="Per-row results of an import"
)
def list_import_rows(
    import_id: ImportId,
    session: DbSession,
    principal: Principal_,
    pagination: Pagination,
    result: WorkerImportRowResult | None = None,
) -> Page[WorkerImportRowOut]:
    rows, cursor = imports.list_import_rows(session, principal, import_id, result, pagination)
    items = [
        WorkerImportRowOut(
            row=r.row_number,
            result=r.result,
            errors=load_field_errors(r.errors),
            worker_id=r.worker_id,
        )
        for r in rows
    ]
    return Page(items=items, next_cursor=cursor)


# --- duplicate candidates ----------------------------------------------------------------------------


def candidate_out(candidate: DuplicateCandidate) -> DuplicateCandidateOut:
    return DuplicateCandidateOut(
        id=candidate.id,
        village_code=candidate.village_code,
        worker_id=candidate.worker_id,
        other_worker_id=candidate.other_worker_id,
        status=DuplicateCandidateStatus(candidate.status),
        kept_worker_id=candidate.kept_worker_id,
        resolved_by=candidate.resolved_by,
        resolved_at=candidate.resolved_at,
        created_at=candidate.created_at,
        updated_at=candidate.updated_at,
    )


@candidates_router.get(
    "", response_model=Page[DuplicateCandidateOut], summary="Possible duplicates awaiting review"
)
def list_candidates(
    session: DbSession,
    principal: Principal_,
    pagination: ListPagination,
    status: duplicates.CandidateStatus | None = duplicates.CandidateStatus.open,
    village_code: Annotated[AreaCodeFilter | None, Query()] = None,
) -> Page[DuplicateCandidateOut]:
    rows, cursor = duplicates.list_candidates(
        session, principal, status=status, village_code=village_code, params=pagination
    )
    return Page(items=[candidate_out(c) for c in rows], next_cursor=cursor)


@candidates_router.post(
    "/{candidate_id}/resolve",
    response_model=DuplicateCandidateOut,
    summary="Resolve: same_person (merge) or different_people",
    responses={409: {"description": "Already resolved"}},
)
def resolve_candidate(
    candidate_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: DuplicateResolve,
    session: DbSession,
    principal: Principal_,
    officer_gate: OfficerGate,
) -> DuplicateCandidateOut:
    access.require_write(principal)
    officer_gate.confirm(principal, duplicates.get_candidate(session, principal, candidate_id).village_code)
    candidate = duplicates.resolve(
        session, principal, candidate_id, duplicates.Decision(body.decision), body.keep_worker_id
    )
    return candidate_out(candidate)


# --- jobs ------------------------------------------------------------------------------------------

JobId = Annotated[str, Path(max_length=40, pattern=JOB_ID_PATTERN, description="Job id (reg_… or fun_…)")]


@jobs_router.get("/{job_id}", response_model=JobOut, summary="A durable job: status, progress, result")
def get_job(job_id: JobId, session: DbSession, principal: Principal_) -> JobOut:
    return job_out(registry_jobs.get_job(session, principal, job_id))
