"""Funding rules as plain functions: agreement terms, periods, due dates, schedules round-trip."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from services.common.db import create_db_engine
from services.common.errors import ValidationProblem
from services.funding.agreements import AgreementTerms, validate_terms
from services.funding.billing import due_date
from services.funding.pricing import Period, default_schedules
from services.funding.rates import load_schedules, period_from_index, period_index


def _terms(**overrides: object) -> AgreementTerms:
    values: dict[str, object] = {
        "village_code": "33.26.15.2001",
        "fiscal_year": 2026,
        "source": "dana_desa",
        "legal_reference": "Perkades 1/2026",
        "budget_ceiling_idr": 1_000_000,
        "start_period": "2026-03",
        "end_period": "2026-12",
        "programs": ["JKK", "JKM", "JHT"],
    }
    values.update(overrides)
    return AgreementTerms(**values)  # type: ignore[arg-type]


def test_valid_terms_give_the_month_range() -> None:
    start, end, jht = validate_terms(_terms())
    assert (period_from_index(start), period_from_index(end), jht) == (
        Period(2026, 3),
        Period(2026, 12),
        True,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"village_code": "33.26.15"}, "village_code"),
        ({"village_code": "33.26.15.2999"}, "village_code"),
        ({"source": "apbd_kelurahan"}, "source"),
        ({"village_code": "33.74.01.1001"}, "source"),  # a kelurahan has no dana desa
        ({"source": "self_pay"}, "source"),
        ({"start_period": "2025-12"}, "start_period"),
        ({"end_period": "2027-01"}, "end_period"),
        ({"start_period": "2026-12", "end_period": "2026-01"}, "end_period"),
        ({"end_period": "2026-1"}, "end_period"),
        ({"programs": ["JKK"]}, "programs"),
        ({"programs": ["JKK", "JKM", "JKP"]}, "programs"),
    ],
)
def test_invalid_terms_name_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationProblem) as caught:
        validate_terms(_terms(**overrides))
    assert field in {error["field"] for error in caught.value.errors or []}


def test_period_index_round_trip_and_due_date() -> None:
    for period in (Period(2026, 1), Period(2026, 12), Period(2100, 12)):
        assert period_from_index(period_index(period)) == period
    assert period_index(Period(2027, 1)) - period_index(Period(2026, 12)) == 1
    assert due_date(Period(2026, 2)) == dt.date(2026, 2, 15)


def test_seeded_schedules_load_back_as_the_defaults(database_url: Callable[[str], str]) -> None:
    engine = create_db_engine(database_url("funding"))
    try:
        with Session(engine) as session:
            loaded = [schedule for schedule, _ in load_schedules(session)]
    finally:
        engine.dispose()
    assert loaded == default_schedules()
