"""Registry HTTP routes (thin: parse, call the domain function, shape the answer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from services.common.pagination import Page, PageParams, page_params
from services.common.principal import principal_from_request
from services.common.wilayah import AREA_CODE_PATTERN, AreaLevel
from services.registry import areas
from services.registry.dependencies import DbSession
from services.registry.schemas import AreaOut

# Public reference data: any caller the gateway vouches for, anonymous included.
areas_router = APIRouter(prefix="/v1/areas", tags=["areas"], dependencies=[Depends(principal_from_request)])

# Format checked by the domain function, so a malformed code gets a readable reason, not a regex.
AreaCode = Annotated[
    str,
    Path(
        max_length=13,
        description=f"PP, PP.RR, PP.RR.DD or PP.RR.DD.VVVV ({AREA_CODE_PATTERN})",
        examples=["33.75"],
    ),
]
Pagination = Annotated[PageParams, Depends(page_params)]


@areas_router.get("", response_model=Page[AreaOut], summary="Search areas by name")
def search_areas(
    session: DbSession,
    pagination: Pagination,
    q: Annotated[str | None, Query(min_length=2, max_length=100, description="Part of the name")] = None,
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
