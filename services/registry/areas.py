"""Areas (kode wilayah) in the registry database: bulk load of the reference table, look-ups, search.

The registry keeps its own copy of the reference table so it can answer area queries (children,
search) in SQL; loading is idempotent and set-based: the rows go to a temporary table (COPY on
PostgreSQL, multi-row inserts elsewhere) and one ``INSERT … SELECT … ON CONFLICT`` applies them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, select, text
from sqlalchemy.orm import Session

from services.common.messages import Message
from services.common.pagination import PageParams, paginate
from services.common.wilayah import (
    AreaLevel,
    AreaRecord,
    InvalidAreaCode,
    iter_reference_areas,
    timezone_name,
    validate_area_code,
    village_kind,
    zone_abbreviation,
)
from services.registry.exceptions import InvalidAreaCodeProblem, UnknownArea
from services.registry.models import Area
from services.registry.schemas import AreaOut


@dataclass(frozen=True)
class AreaLoadReport:
    total: int
    inserted: int
    updated: int
    seconds: float


_INCOMING = "areas_incoming"
_CHANGED = (
    "a.name <> i.name OR a.level <> i.level OR COALESCE(a.parent_code, '') <> COALESCE(i.parent_code, '')"
)


def _stage_rows(connection: Connection, records: Iterable[AreaRecord]) -> int:
    connection.execute(text(f"DROP TABLE IF EXISTS {_INCOMING}"))
    connection.execute(
        text(
            f"CREATE TEMPORARY TABLE {_INCOMING} (code VARCHAR(13) PRIMARY KEY, name VARCHAR(120) NOT NULL,"
            " level VARCHAR(10) NOT NULL, parent_code VARCHAR(13))"
        )
    )
    rows = [(r.code, r.name, r.level.value, r.parent_code) for r in records]
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {_INCOMING} (code, name, level, parent_code) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        insert = text(f"INSERT INTO {_INCOMING} VALUES (:code, :name, :level, :parent_code)")
        connection.execute(
            insert, [{"code": c, "name": n, "level": lv, "parent_code": p} for c, n, lv, p in rows]
        )
    return len(rows)


def load_areas(engine: Engine, records: Iterable[AreaRecord] | None = None) -> AreaLoadReport:
    """Upsert the reference areas (default: the shipped table) in one transaction; idempotent."""
    started = time.perf_counter()
    with engine.begin() as connection:
        total = _stage_rows(connection, records if records is not None else iter_reference_areas())
        inserted = connection.execute(
            text(
                f"SELECT COUNT(*) FROM {_INCOMING} i WHERE NOT EXISTS "
                "(SELECT 1 FROM areas a WHERE a.code = i.code)"
            )
        ).scalar_one()
        updated = connection.execute(
            text(f"SELECT COUNT(*) FROM {_INCOMING} i JOIN areas a ON a.code = i.code WHERE {_CHANGED}")
        ).scalar_one()
        # Parents sort before children (shorter codes), and FKs are checked at statement end anyway.
        connection.execute(
            text(
                f"INSERT INTO areas (code, name, level, parent_code) "
                f"SELECT code, name, level, parent_code FROM {_INCOMING} "
                "WHERE true ORDER BY LENGTH(code), code "
                "ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, "
                "parent_code = excluded.parent_code "
                "WHERE areas.name <> excluded.name OR areas.level <> excluded.level "
                "OR COALESCE(areas.parent_code, '') <> COALESCE(excluded.parent_code, '')"
            )
        )
        connection.execute(text(f"DROP TABLE {_INCOMING}"))
    return AreaLoadReport(
        total=total, inserted=int(inserted), updated=int(updated), seconds=time.perf_counter() - started
    )


def area_out(area: Area) -> AreaOut:
    return AreaOut(
        code=area.code,
        name=area.name,
        level=AreaLevel(area.level),
        parent_code=area.parent_code,
        timezone=timezone_name(area.code),
        zone=zone_abbreviation(area.code),
        kind=village_kind(area.code),
    )


def _checked_level(code: str, field: str = "code") -> AreaLevel:
    try:
        return validate_area_code(code)
    except InvalidAreaCode as exc:
        raise InvalidAreaCodeProblem(field, exc.reason) from None


def get_area(session: Session, code: str) -> Area:
    _checked_level(code)
    area = session.get(Area, code)
    if area is None:
        raise UnknownArea(code)
    return area


_LEVEL_DEPTH = {AreaLevel.province: 0, AreaLevel.regency: 1, AreaLevel.district: 2, AreaLevel.village: 3}


def _paged(session: Session, statement: Select[Any], params: PageParams) -> tuple[list[Area], str | None]:
    return paginate(session, statement, key_columns=[Area.code], params=params, key_of=lambda a: [a.code])


def list_children(
    session: Session, code: str, params: PageParams, *, level: AreaLevel | None = None
) -> tuple[list[Area], str | None]:
    """Direct children of an area, or with ``level`` all its descendants at that level
    (e.g. every kelurahan of a city: ``level=village``)."""
    parent = get_area(session, code)
    parent_level = AreaLevel(parent.level)
    if level is None or _LEVEL_DEPTH[level] == _LEVEL_DEPTH[parent_level] + 1:
        statement = select(Area).where(Area.parent_code == parent.code)
    elif _LEVEL_DEPTH[level] > _LEVEL_DEPTH[parent_level]:
        statement = select(Area).where(Area.level == level.value, Area.code.startswith(parent.code + "."))
    else:
        raise InvalidAreaCodeProblem(
            "level", Message("area.no_descendants", parent_level=parent_level.value, level=level.value)
        )
    return _paged(session, statement, params)


def search_areas(
    session: Session, query: str | None, params: PageParams, *, level: AreaLevel | None = None
) -> tuple[list[Area], str | None]:
    """Areas whose name contains ``query`` (case-insensitive), in code order."""
    statement = select(Area)
    if query:
        escaped = query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(func.lower(Area.name).like(f"%{escaped}%", escape="\\"))
    if level is not None:
        statement = statement.where(Area.level == level.value)
    return _paged(session, statement, params)
