"""Registry downloads: the workers export, the import template, and the batch identity look-up.

``GET /v1/workers/export`` takes the list's filters and applies the list's tenancy (a village its own
village, an officer the villages assigned today, internal clients with ``registry:read``); NIKs are masked
as in the list. ``POST /v1/workers/lookup`` gives names and masked NIKs of up to 1,000 workers at once
(funding's invoice export asks it, so no per-worker call is made). See docs/exports.md.

These routes are included before the ``/v1/workers/{worker_id}`` and ``/v1/worker-imports/{import_id}``
routes, which would otherwise take ``export`` and ``template`` for ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from services.common.exports import EXPORT_RESPONSES, Cell, ExportFormat, export_format, export_response
from services.common.principal import Principal, authenticated_principal
from services.common.timeutil import to_area_time, today_in_area, utcnow
from services.registry import imports, workers
from services.registry.access import require_read, village_clause
from services.registry.dependencies import DbSession
from services.registry.models import Worker
from services.registry.nik import mask_nik
from services.registry.schemas import AreaCodeFilter, SearchText, WorkerIdText
from services.registry.validation import PROGRAM_ORDER, WorkerStatus

router = APIRouter()
Principal_ = Annotated[Principal, Depends(authenticated_principal)]
Format = Annotated[ExportFormat, Depends(export_format)]
MAX_LOOKUP = 1_000

WORKER_COLUMNS = (
    "id",
    "nik_masked",
    "temporary_id",
    "name",
    "sex",
    "birth_date",
    "phone",
    "village_code",
    "occupation",
    "declared_income_idr",
    "programs",
    "funding",
    "status",
    "status_reason",
    "status_effective_date",
    "officer_id",
    "created_at",
    "updated_at",
)


def _programs(stored: str) -> str:
    return ";".join(p for p in PROGRAM_ORDER if p in stored.split(","))


def worker_row(worker: Worker) -> list[Cell]:
    return [
        worker.id,
        mask_nik(worker.nik) if worker.nik else None,
        worker.temporary_id,
        worker.name,
        worker.sex,
        worker.birth_date,
        worker.phone,
        worker.village_code,
        worker.occupation,
        worker.declared_income_idr,
        _programs(worker.programs),
        worker.funding,
        worker.status,
        worker.status_reason,
        worker.status_effective_date,
        worker.officer_id,
        to_area_time(worker.created_at, worker.village_code),
        to_area_time(worker.updated_at, worker.village_code),
    ]


def _local_date(village_code: str | None) -> dt.date:
    if village_code is None:
        return utcnow().date()
    try:
        return today_in_area(village_code)
    except (KeyError, ValueError):
        return utcnow().date()


@router.get(
    "/v1/workers/export",
    tags=["workers"],
    summary="Export workers as CSV or XLSX (the list's filters and tenancy; NIK masked)",
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
)
def export_workers(
    session: DbSession,
    principal: Principal_,
    export: Format,
    village_code: Annotated[AreaCodeFilter | None, Query()] = None,
    status: WorkerStatus | None = None,
    q: Annotated[SearchText | None, Query(description="Part of the name, or a NIK")] = None,
    temporary: Annotated[bool | None, Query(description="Only workers still on a temporary id")] = None,
) -> StreamingResponse:
    filters = workers.WorkerFilters(village_code=village_code, status=status, q=q, temporary=temporary)
    statement = workers.workers_query(principal, filters).order_by(Worker.id)

    def rows() -> Iterator[list[Cell]]:
        for worker in session.scalars(statement.execution_options(yield_per=1_000)):
            yield worker_row(worker)

    villages = principal.village_filter()
    scope = village_code or (next(iter(villages)) if villages is not None and len(villages) == 1 else None)
    filename = f"sasar-workers-{scope or 'all'}-{_local_date(scope).isoformat()}"
    return export_response(WORKER_COLUMNS, rows(), export, filename=filename, sheet_title="workers")


# --- batch look-up ---------------------------------------------------------------------------------


class WorkerLookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[WorkerIdText] = Field(
        min_length=1, max_length=MAX_LOOKUP, description=f"Worker ids (at most {MAX_LOOKUP:,})"
    )


class WorkerIdentityOut(BaseModel):
    id: str
    name: str
    nik_masked: str | None = Field(description="3326**********01; null for a worker on a temporary id")
    temporary_id: str | None
    village_code: str


class WorkerLookupOut(BaseModel):
    items: list[WorkerIdentityOut] = Field(
        description="The ids found and visible to the caller; others omitted"
    )


@router.post(
    "/v1/workers/lookup",
    tags=["workers"],
    response_model=WorkerLookupOut,
    summary="Names and masked NIKs of many workers at once (ids not visible to the caller are omitted)",
)
def lookup_workers(body: WorkerLookupIn, session: DbSession, principal: Principal_) -> WorkerLookupOut:
    require_read(principal)
    statement = (
        select(Worker)
        .where(Worker.id.in_(sorted(set(body.ids))), village_clause(principal))
        .order_by(Worker.id)
    )
    return WorkerLookupOut(
        items=[
            WorkerIdentityOut(
                id=w.id,
                name=w.name,
                nik_masked=mask_nik(w.nik) if w.nik else None,
                temporary_id=w.temporary_id,
                village_code=w.village_code,
            )
            for w in session.scalars(statement)
        ]
    )


# --- import template -------------------------------------------------------------------------------

# One row that imports as is (the phone in local form: a leading + would be neutralised in the file).
TEMPLATE_EXAMPLE: dict[str, Cell] = {
    "nik": "3326154107900001",
    "temporary": "false",
    "name": "Siti Aminah",
    "birth_date": dt.date(1990, 7, 1),
    "sex": "F",
    "phone": "081234567890",
    "village_code": "33.26.15.2001",
    "occupation": "petani",
    "declared_income_idr": 1_500_000,
    "programs": "JKK;JKM",
    "funding": "village_fund",
}


@router.get(
    "/v1/worker-imports/template",
    tags=["worker imports"],
    summary="The import's columns with one example row, as CSV or XLSX",
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
)
def import_template(principal: Principal_, export: Format) -> StreamingResponse:
    row = [TEMPLATE_EXAMPLE.get(column) for column in imports.COLUMNS]
    return export_response(
        imports.COLUMNS, [row], export, filename="sasar-worker-import", sheet_title="workers"
    )
