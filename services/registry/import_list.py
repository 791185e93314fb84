"""The imports a principal may see, as a list integrators can sync from (GET /v1/worker-imports).

Visibility matches ``imports.get_import``: internal readers see every import, anyone else the imports
they started and those for one of their villages.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.common.pagination import ListParams, paginate_list
from services.common.principal import Principal
from services.registry.access import require_read
from services.registry.models import WorkerImport


def list_imports(
    session: Session, principal: Principal, params: ListParams, *, village_code: str | None = None
) -> tuple[list[WorkerImport], str | None]:
    require_read(principal)
    statement = select(WorkerImport)
    villages = principal.village_filter()
    if villages is not None:
        statement = statement.where(
            or_(WorkerImport.actor == principal.actor, WorkerImport.village_code.in_(sorted(villages)))
        )
    if village_code is not None:
        statement = statement.where(WorkerImport.village_code == village_code)
    return paginate_list(
        session,
        statement,
        created_at=WorkerImport.created_at,
        updated_at=WorkerImport.updated_at,
        id_column=WorkerImport.id,
        params=params,
    )
