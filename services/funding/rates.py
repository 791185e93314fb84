"""Rate schedules as data: seed rows, loading them into :mod:`pricing` objects, and new versions.

A schedule is identified by ``code`` and ``version``; editing one stores a new version and marks the
previous one superseded. Only non-superseded versions are "in force"; issued invoice lines keep the
schedule id (and amounts) they were priced with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common.timeutil import utcnow
from services.funding.pricing import (
    Discount,
    Occupation,
    Period,
    PricingError,
    Program,
    RateSchedule,
    default_schedules,
)


def period_index(period: Period) -> int:
    """The integer SQL uses for a month: ``year * 12 + month - 1``."""
    return period.year * 12 + period.month - 1


def period_from_index(index: int) -> Period:
    year, month0 = divmod(index, 12)
    return Period(year, month0 + 1)


def _schedule_row(schedule: RateSchedule, *, code: str, version: int, actor: str) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "code": code,
        "version": version,
        "name": schedule.name,
        "effective_from_idx": period_index(schedule.effective_from),
        "effective_to_idx": None if schedule.effective_to is None else period_index(schedule.effective_to),
        "min_income_idr": schedule.min_income_idr,
        "max_income_idr": schedule.max_income_idr,
        "jkk_rate_bp": schedule.jkk_rate_bp,
        "jkk_min_idr": schedule.jkk_min_idr,
        "jkk_max_idr": schedule.jkk_max_idr,
        "jkm_flat_idr": schedule.jkm_flat_idr,
        "jht_rate_bp": schedule.jht_rate_bp,
        "superseded_at": None,
        "created_at": utcnow(),
        "created_by": actor,
    }


def _discount_rows(
    schedule: RateSchedule, first_id: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    discounts: list[dict[str, Any]] = []
    occupations: list[dict[str, Any]] = []
    for position, discount in enumerate(schedule.discounts):
        discount_id = first_id + position
        discounts.append(
            {
                "id": discount_id,
                "schedule_id": schedule.id,
                "position": position,
                "name": discount.name,
                "start_idx": period_index(discount.start),
                "end_idx": period_index(discount.end),
                "percent_payable": discount.percent_payable,
                "covers_jkk": Program.JKK in discount.programs,
                "covers_jkm": Program.JKM in discount.programs,
                "all_occupations": discount.occupations is None,
                "applies_to_government_paid": discount.applies_to_government_paid,
            }
        )
        for occupation in sorted(discount.occupations or ()):
            occupations.append({"discount_id": discount_id, "occupation": occupation.value})
    return discounts, occupations


def seed_rows() -> dict[str, list[dict[str, Any]]]:
    """Rows the seed migration inserts: programmes and ``default_schedules()`` as version 1."""
    rows: dict[str, list[dict[str, Any]]] = {
        "funding_programs": [{"program": p.value, "position": i} for i, p in enumerate(Program)],
        "rate_schedules": [],
        "rate_discounts": [],
        "rate_discount_occupations": [],
    }
    next_id = 1
    for schedule in default_schedules():
        rows["rate_schedules"].append(_schedule_row(schedule, code=schedule.id, version=1, actor="migration"))
        discounts, occupations = _discount_rows(schedule, next_id)
        next_id += len(discounts)
        rows["rate_discounts"].extend(discounts)
        rows["rate_discount_occupations"].extend(occupations)
    return rows


def load_schedules(session: Session, *, include_superseded: bool = False) -> list[tuple[RateSchedule, Any]]:
    """Schedules as :class:`RateSchedule` objects, each with its database row."""
    from services.funding.models import RateDiscountOccupation, RateDiscountRow, RateScheduleRow

    statement = select(RateScheduleRow).order_by(RateScheduleRow.code, RateScheduleRow.version)
    if not include_superseded:
        statement = statement.where(RateScheduleRow.superseded_at.is_(None))
    rows = session.scalars(statement).all()
    ids = [row.id for row in rows]
    discount_rows = session.scalars(
        select(RateDiscountRow)
        .where(RateDiscountRow.schedule_id.in_(ids))
        .order_by(RateDiscountRow.schedule_id, RateDiscountRow.position)
    ).all()
    occupation_rows = session.execute(
        select(RateDiscountOccupation.discount_id, RateDiscountOccupation.occupation).where(
            RateDiscountOccupation.discount_id.in_([d.id for d in discount_rows])
        )
    ).all()
    occupations: dict[int, set[Occupation]] = {}
    for discount_id, occupation in occupation_rows:
        occupations.setdefault(discount_id, set()).add(Occupation(occupation))
    result: list[tuple[RateSchedule, Any]] = []
    for row in rows:
        discounts = tuple(
            Discount(
                name=d.name,
                start=period_from_index(d.start_idx),
                end=period_from_index(d.end_idx),
                percent_payable=d.percent_payable,
                programs=frozenset(
                    p for p, on in ((Program.JKK, d.covers_jkk), (Program.JKM, d.covers_jkm)) if on
                ),
                occupations=None if d.all_occupations else frozenset(occupations.get(d.id, set())),
                applies_to_government_paid=d.applies_to_government_paid,
            )
            for d in discount_rows
            if d.schedule_id == row.id
        )
        schedule = RateSchedule(
            id=row.id,
            name=row.name,
            effective_from=period_from_index(row.effective_from_idx),
            effective_to=None if row.effective_to_idx is None else period_from_index(row.effective_to_idx),
            min_income_idr=row.min_income_idr,
            max_income_idr=row.max_income_idr,
            jkk_rate_bp=row.jkk_rate_bp,
            jkk_min_idr=row.jkk_min_idr,
            jkk_max_idr=row.jkk_max_idr,
            jkm_flat_idr=row.jkm_flat_idr,
            jht_rate_bp=row.jht_rate_bp,
            discounts=discounts,
        )
        result.append((schedule, row))
    return result


def schedules_in_force(session: Session) -> list[RateSchedule]:
    return [schedule for schedule, _ in load_schedules(session)]


def new_version(session: Session, code: str, proposed: RateSchedule, *, actor: str) -> RateSchedule:
    """Store ``proposed`` as the next version of schedule ``code`` and supersede the current one.

    The new version must not overlap another code's schedule in force (prices would be ambiguous).
    """
    from services.funding.models import RateDiscountOccupation, RateDiscountRow, RateScheduleRow

    current = session.scalars(
        select(RateScheduleRow)
        .where(RateScheduleRow.code == code, RateScheduleRow.superseded_at.is_(None))
        .with_for_update()
    ).first()
    if current is None:
        raise LookupError(code)
    others = [s for s, row in load_schedules(session) if row.code != code]
    for other in others:
        if _overlaps(other, proposed):
            raise PricingError("effective_from", f"overlaps schedule {other.id!r} in force")
    version = current.version + 1
    schedule_id = f"{code}@v{version}"
    stored = dataclasses.replace(proposed, id=schedule_id)
    now = utcnow()
    session.execute(update(RateScheduleRow).where(RateScheduleRow.id == current.id).values(superseded_at=now))
    session.add(RateScheduleRow(**_schedule_row(stored, code=code, version=version, actor=actor)))
    session.flush()
    max_id = session.scalar(select(RateDiscountRow.id).order_by(RateDiscountRow.id.desc()).limit(1)) or 0
    discounts, occupations = _discount_rows(stored, max_id + 1)
    _insert(session, RateDiscountRow, discounts)
    _insert(session, RateDiscountOccupation, occupations)
    session.flush()
    return stored


def _insert(session: Session, model: Any, rows: Iterable[dict[str, Any]]) -> None:
    values = list(rows)
    if values:
        session.execute(model.__table__.insert(), values)


def _overlaps(a: RateSchedule, b: RateSchedule) -> bool:
    a_end = a.effective_to or Period(2100, 12)
    b_end = b.effective_to or Period(2100, 12)
    return a.effective_from <= b_end and b.effective_from <= a_end
