"""Targets and progress: covered workers against the village targets, rolled up by area code prefix.

Area codes nest by prefix (``33`` ⊃ ``33.26`` ⊃ ``33.26.15`` ⊃ ``33.26.15.2001``), so every roll-up is
one ``GROUP BY substr(village_code, 1, n)`` per table, whatever the level. The target of an area is
the sum over **all** its villages in the shipped area table: ``100 * villages`` plus, for villages with a
target row for that year, ``target - 100``.

Covered and registered counts come from a local table of worker counts per village. Today it is
refreshed from the registry's ``GET /v1/worker-counts`` on each request (``counts_source=registry``);
registry events can keep the same table current later without touching these queries.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.common.errors import Forbidden, NotFound, ValidationProblem
from services.common.http import UpstreamUnavailable
from services.common.principal import Principal, PrincipalKind, Scope
from services.common.timeutil import utcnow
from services.common.wilayah import (
    AreaLevel,
    InvalidAreaCode,
    check_village_code,
    iter_reference_areas,
    validate_area_code,
)
from services.outreach.models import Lead, Officer, OutreachSession, Target, VillageWorkerCount
from services.outreach.registry_client import COUNT_FIELDS, RegistryClient
from services.outreach.schemas import (
    OfficerProgressOut,
    OfficerProgressPage,
    OutreachProgressOut,
    OutreachSessionStatus,
    OutreachTargetIn,
    OutreachTargetOut,
)

DEFAULT_TARGET = 100
NATIONAL = "ID"  # the whole country, when no area is given
_CHILD_LENGTH = {None: 2, AreaLevel.province: 5, AreaLevel.regency: 8, AreaLevel.district: 13}
# Year boundaries for leads and conversions: WIB midnight (most villages; an hour or two off in the east).
_YEAR_ZONE = ZoneInfo("Asia/Jakarta")


# --- reference data ------------------------------------------------------------------------------


@dataclass
class _Reference:
    villages_under: Counter[str] = field(default_factory=Counter)
    children: dict[str, list[str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _reference() -> _Reference:
    """Villages per prefix and children per area, from the shipped table (loaded once per process)."""
    ref = _Reference()
    for area in iter_reference_areas():
        ref.children.setdefault(area.parent_code or NATIONAL, []).append(area.code)
        ref.names[area.code] = area.name
        if area.level is AreaLevel.village:
            code = area.code
            ref.villages_under.update((NATIONAL, code[:2], code[:5], code[:8], code))
    for codes in ref.children.values():
        codes.sort()
    return ref


def village_count(area: str | None) -> int:
    return _reference().villages_under[area or NATIONAL]


def area_name(code: str) -> str | None:
    """The area's name in the shipped table (``None`` for a code it does not know)."""
    return _reference().names.get(code)


# --- targets -------------------------------------------------------------------------------------


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise ValidationProblem.single("year", "must be between 2000 and 2100")


def _village_or_422(code: str) -> None:
    reason = check_village_code(code)
    if reason:
        raise ValidationProblem.single("village_code", reason)


def set_target(
    session: Session, village_code: str, year: int, data: OutreachTargetIn, principal: Principal
) -> OutreachTargetOut:
    principal.require_scope(Scope.outreach_admin)
    _village_or_422(village_code)
    _check_year(year)
    row = session.get(Target, (village_code, year))
    if row is None:
        row = Target(village_code=village_code, year=year)
        session.add(row)
    row.target = data.target
    row.updated_at = utcnow()
    row.updated_by = principal.actor
    session.flush()
    return OutreachTargetOut(village_code=village_code, year=year, target=data.target, is_default=False)


def get_target(session: Session, village_code: str, year: int, principal: Principal) -> OutreachTargetOut:
    _village_or_422(village_code)
    _check_year(year)
    _require_area_access(principal, village_code)
    row = session.get(Target, (village_code, year))
    if row is None:
        return OutreachTargetOut(village_code=village_code, year=year, target=DEFAULT_TARGET, is_default=True)
    return OutreachTargetOut(village_code=village_code, year=year, target=row.target, is_default=False)


# --- access --------------------------------------------------------------------------------------


def _require_area_access(principal: Principal, area: str | None) -> None:
    """Villages and officers read their own villages only (another area → 404); internal by scope."""
    if principal.kind is PrincipalKind.internal:
        if not (principal.has_scope(Scope.reports_read) or principal.has_scope(Scope.outreach_admin)):
            raise Forbidden("progress needs scope reports:read or outreach:admin")
        return
    if area is None or area not in principal.villages:
        raise NotFound(f"no progress for area {area or NATIONAL} visible to you")


def _level(area: str | None) -> AreaLevel | None:
    if area is None:
        return None
    try:
        level = validate_area_code(area)
    except InvalidAreaCode as error:
        raise ValidationProblem.single("area", error.reason) from None
    if village_count(area) == 0:
        raise ValidationProblem.single("area", "unknown area code")
    return level


# --- counts from the registry ---------------------------------------------------------------------


def refresh_counts(session: Session, registry: RegistryClient, area: str | None) -> dt.datetime | None:
    """Copy the registry's counts for ``area`` into the local table (upsert, then drop villages that no
    longer have workers). ``None`` when the registry cannot be reached (the stale copy is used)."""
    areas = _reference().children[NATIONAL] if area is None else [area]
    now = utcnow()
    try:
        items = [item for code in areas for item in registry.worker_counts(code)]
    except UpstreamUnavailable:
        return None
    rows = []
    for item in items:
        code = str(item.get("village_code", ""))
        if check_village_code(code) is not None or (area is not None and not code.startswith(area)):
            continue
        rows.append(
            {"village_code": code, **{f: int(item.get(f) or 0) for f in COUNT_FIELDS}, "refreshed_at": now}
        )
    table = VillageWorkerCount.__table__
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(rows), 500):
        statement = insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=["village_code"],
            set_={name: statement.excluded[name] for name in (*COUNT_FIELDS, "refreshed_at")},
        )
        session.execute(statement, rows[start : start + 500])
    stale = delete(VillageWorkerCount).where(VillageWorkerCount.refreshed_at < now)
    if area is not None:
        stale = stale.where(VillageWorkerCount.village_code.startswith(area))
    session.execute(stale)
    session.flush()
    return now


# --- roll-up -------------------------------------------------------------------------------------


@dataclass
class _Totals:
    target_adjust: int = 0
    covered: int = 0
    registered: int = 0
    leads: int = 0
    conversions: int = 0


def _year_window(year: int) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime(year, 1, 1, tzinfo=_YEAR_ZONE), dt.datetime(year + 1, 1, 1, tzinfo=_YEAR_ZONE)


def _under(column: Any, area: str | None) -> ColumnElement[bool] | None:
    if area is None:
        return None
    if len(area) == 13:
        return column == area  # type: ignore[no-any-return]
    return column.startswith(area)  # type: ignore[no-any-return]


def group_totals(session: Session, area: str | None, year: int, length: int) -> dict[str, _Totals]:
    """Targets, counts, leads and conversions under ``area``, grouped by the first ``length``
    characters of the village code: one GROUP BY per table, nothing loaded row by row."""
    totals: dict[str, _Totals] = {}

    def slot(key: str) -> _Totals:
        return totals.setdefault(key, _Totals())

    start, end = _year_window(year)

    key = func.substr(Target.village_code, 1, length)
    statement = select(key, func.count(), func.sum(Target.target)).where(Target.year == year)
    condition = _under(Target.village_code, area)
    if condition is not None:
        statement = statement.where(condition)
    for code, rows, total in session.execute(statement.group_by(key)):
        slot(code).target_adjust = int(total or 0) - DEFAULT_TARGET * int(rows)

    key = func.substr(VillageWorkerCount.village_code, 1, length)
    on_books = VillageWorkerCount.registered + VillageWorkerCount.active + VillageWorkerCount.lapsed
    statement = select(key, func.sum(VillageWorkerCount.active), func.sum(on_books))
    condition = _under(VillageWorkerCount.village_code, area)
    if condition is not None:
        statement = statement.where(condition)
    for code, covered, registered in session.execute(statement.group_by(key)):
        slot(code).covered = int(covered or 0)
        slot(code).registered = int(registered or 0)

    key = func.substr(Lead.village_code, 1, length)
    converted = case(
        (Lead.converted_at.is_not(None) & (Lead.converted_at >= start) & (Lead.converted_at < end), 1),
        else_=0,
    )
    created = case(((Lead.created_at >= start) & (Lead.created_at < end), 1), else_=0)
    statement = select(key, func.sum(created), func.sum(converted))
    condition = _under(Lead.village_code, area)
    if condition is not None:
        statement = statement.where(condition)
    for code, leads, conversions in session.execute(statement.group_by(key)):
        slot(code).leads = int(leads or 0)
        slot(code).conversions = int(conversions or 0)
    return totals


def _node(code: str, level: str, totals: _Totals, villages: int) -> OutreachProgressOut:
    target = DEFAULT_TARGET * villages + totals.target_adjust
    return OutreachProgressOut(
        area=code,
        name=_reference().names.get(code, "Indonesia"),
        level=level,
        target=target,
        covered=totals.covered,
        registered=totals.registered,
        leads=totals.leads,
        conversions=totals.conversions,
        ratio=round(totals.covered / target, 4) if target else 0.0,
    )


_LEVEL_OF_LENGTH = {2: "province", 5: "regency", 8: "district", 13: "village"}


def rollup(session: Session, area: str | None, year: int) -> OutreachProgressOut:
    """Progress of ``area`` (``None``: the whole country) with one entry per child area."""
    level = _level(area)
    _check_year(year)
    if level is AreaLevel.village:
        assert area is not None
        totals = group_totals(session, area, year, 13).get(area, _Totals())
        return _node(area, "village", totals, 1)
    length = _CHILD_LENGTH[level]
    grouped = group_totals(session, area, year, length)
    children = [
        _node(code, _LEVEL_OF_LENGTH[length], grouped.get(code, _Totals()), village_count(code))
        for code in _reference().children[area or NATIONAL]
    ]
    whole = _Totals()
    for part in grouped.values():
        whole.target_adjust += part.target_adjust
        whole.covered += part.covered
        whole.registered += part.registered
        whole.leads += part.leads
        whole.conversions += part.conversions
    node = _node(area or NATIONAL, level.value if level else "country", whole, village_count(area))
    node.children = children
    return node


def progress(
    session: Session,
    principal: Principal,
    registry: RegistryClient,
    area: str | None,
    year: int,
    *,
    refresh: bool,
) -> OutreachProgressOut:
    _require_area_access(principal, area)
    _level(area)
    refreshed_at = refresh_counts(session, registry, area) if refresh else None
    node = rollup(session, area, year)
    if refreshed_at is None:
        statement = select(func.min(VillageWorkerCount.refreshed_at))
        condition = _under(VillageWorkerCount.village_code, area)
        if condition is not None:
            statement = statement.where(condition)
        refreshed_at = session.execute(statement).scalar()
    node.counts_refreshed_at = refreshed_at
    return node


def officer_progress(
    session: Session, principal: Principal, area: str | None, year: int
) -> OfficerProgressPage:
    """Leads, conversions and held sessions per officer under ``area`` (internal callers)."""
    if not (principal.has_scope(Scope.reports_read) or principal.has_scope(Scope.outreach_admin)):
        raise Forbidden("per-officer progress needs scope reports:read or outreach:admin")
    _level(area)
    _check_year(year)
    start, end = _year_window(year)
    per: dict[int, list[int]] = {}

    converted = case(
        (Lead.converted_at.is_not(None) & (Lead.converted_at >= start) & (Lead.converted_at < end), 1),
        else_=0,
    )
    statement = (
        select(Lead.officer_id, func.count(), func.sum(converted))
        .where(Lead.officer_id.is_not(None), Lead.created_at >= start, Lead.created_at < end)
        .group_by(Lead.officer_id)
    )
    condition = _under(Lead.village_code, area)
    if condition is not None:
        statement = statement.where(condition)
    for officer_id, leads, conversions in session.execute(statement):
        per.setdefault(officer_id, [0, 0, 0])[1:] = [int(leads), int(conversions or 0)]

    held_statement = (
        select(OutreachSession.officer_id, func.count())
        .where(
            # Held: recorded as held, or scheduled and already over.
            OutreachSession.status != OutreachSessionStatus.cancelled.value,
            OutreachSession.ends_at <= utcnow(),
            OutreachSession.starts_at >= start,
            OutreachSession.starts_at < end,
        )
        .group_by(OutreachSession.officer_id)
    )
    condition = _under(OutreachSession.village_code, area)
    if condition is not None:
        held_statement = held_statement.where(condition)
    for officer_id, held in session.execute(held_statement):
        per.setdefault(officer_id, [0, 0, 0])[0] = int(held)

    items = []
    if per:
        names = {
            o.id: (o.nrp, o.name) for o in session.scalars(select(Officer).where(Officer.id.in_(sorted(per))))
        }
        for officer_id in sorted(per):
            nrp, name = names[officer_id]
            held, leads, conversions = per[officer_id]
            items.append(
                OfficerProgressOut(
                    officer_id=officer_id,
                    nrp=nrp,
                    name=name,
                    sessions_held=held,
                    leads=leads,
                    conversions=conversions,
                )
            )
    return OfficerProgressPage(area=area or NATIONAL, year=year, items=items)
