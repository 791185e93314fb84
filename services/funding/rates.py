"""Rate schedules as data: seed rows, loading them into :mod:`pricing` objects, and new versions.

A schedule is identified by ``code`` and ``version``; a new version is in force from its
``effective_from`` on, earlier months keep the version they had (its range is cut), and a version that
would start on or after the new one is superseded. Issued invoice lines keep the schedule id (and amounts)
they were priced with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.messages import Message
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
                "applies_to_dana_desa": discount.applies_to_dana_desa,
                "applies_to_apbd_kelurahan": discount.applies_to_apbd_kelurahan,
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
                applies_to_dana_desa=d.applies_to_dana_desa,
                applies_to_apbd_kelurahan=d.applies_to_apbd_kelurahan,
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


# What the regulation allows (PP 44/2015 and its amendments): JKK 0.24-1.74 % of income by risk class
# (BPU: 1 %), JKM a flat amount (BPU: Rp6,800), JHT up to 5.7 % (BPU: 2 %). A version outside these is a
# typing error, not a policy: refuse it.
REGULATION_BOUNDS: dict[str, tuple[int, int]] = {
    "min_income_idr": (1, 100_000_000),
    "max_income_idr": (1, 100_000_000),
    "jkk_rate_bp": (24, 174),
    "jkk_min_idr": (1, 10_000_000),
    "jkk_max_idr": (1, 10_000_000),
    "jkm_flat_idr": (1, 100_000),
    "jht_rate_bp": (0, 570),
}


def check_regulation(schedule: RateSchedule) -> None:
    for field, (low, high) in REGULATION_BOUNDS.items():
        value = getattr(schedule, field)
        if not low <= value <= high:
            raise PricingError(field, Message("pricing.between", low=low, high=high, value=value))


def latest_invoiced_period(session: Session) -> int | None:
    from services.funding.models import Invoice

    latest: int | None = session.scalar(
        select(Invoice.period_idx)
        .where(Invoice.status != "void")
        .order_by(Invoice.period_idx.desc())
        .limit(1)
    )
    return latest


def new_version(session: Session, code: str, proposed: RateSchedule, *, actor: str) -> RateSchedule:
    """Store ``proposed`` as the next version of schedule ``code``, in force from its ``effective_from``.

    Earlier months keep the versions they had: a version in force before ``effective_from`` is cut to end
    the month before; one that starts on or after it is superseded. A version may not start on or before
    the latest invoiced month (those invoices are priced already), nor overlap another code's schedule.
    """
    from services.funding.models import RateDiscountOccupation, RateDiscountRow, RateScheduleRow

    check_regulation(proposed)
    current = session.scalars(
        select(RateScheduleRow)
        .where(RateScheduleRow.code == code, RateScheduleRow.superseded_at.is_(None))
        .order_by(RateScheduleRow.effective_from_idx)
        .with_for_update()
    ).all()
    if not current:
        raise LookupError(code)
    starts = period_index(proposed.effective_from)
    latest = latest_invoiced_period(session)
    if latest is not None and starts <= latest:
        raise PricingError(
            "effective_from",
            Message("pricing.after_invoiced", period=period_from_index(latest)),
        )
    others = [s for s, row in load_schedules(session) if row.code != code]
    for other in others:
        if _overlaps(other, proposed):
            raise PricingError("effective_from", Message("pricing.overlaps", schedule=repr(other.id)))
    version = max(row.version for row in current) + 1
    schedule_id = f"{code}@v{version}"
    stored = dataclasses.replace(proposed, id=schedule_id)
    now = utcnow()
    for row in current:
        if row.effective_from_idx >= starts:
            row.superseded_at = now
        elif row.effective_to_idx is None or row.effective_to_idx >= starts:
            row.effective_to_idx = starts - 1  # earlier months keep this version
    session.flush()
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
