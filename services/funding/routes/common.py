"""Parameter types and helpers shared by the funding route modules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from services.common.errors import ValidationProblem
from services.common.pagination import ListParams, PageParams, list_params, page_params
from services.funding.pricing import PricingError
from services.funding.schemas import MAX_ROW_ID, VillageCodeText

Pagination = Annotated[PageParams, Depends(page_params)]
# Lists integrators sync from: sort, updated_since and a cursor bound to the sort.
ListPagination = Annotated[ListParams, Depends(list_params)]
VillageCode = Annotated[VillageCodeText, Path(examples=["33.26.15.2001"])]
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def pricing_problem(exc: PricingError) -> ValidationProblem:
    return ValidationProblem.single(exc.field, exc.reason)
