"""Unit tests for BPU contribution pricing (services.funding.pricing)."""

import ast
import inspect
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from services.funding import pricing as pricing_module
from services.funding.pricing import (
    GOVERNMENT_PAID_SOURCES,
    TRANSPORT_OCCUPATIONS,
    Discount,
    FundingSource,
    Occupation,
    Period,
    PricingError,
    Program,
    Quote,
    RateSchedule,
    default_schedules,
    full_program_amount,
    iter_periods,
    months_between,
    quote,
    schedule_for,
)

JKK, JKM, JHT = Program.JKK, Program.JKM, Program.JHT
BASIC = frozenset({JKK, JKM})
WITH_JHT = frozenset({JKK, JKM, JHT})
F = FundingSource
Job = Occupation

SCHEDULE = default_schedules()[0]


def price(
    *,
    income: int = 1_000_000,
    programs: Iterable[Program] = BASIC,
    period: str,
    source: FundingSource,
    occupation: Occupation = Job.petani,
    schedule: RateSchedule = SCHEDULE,
) -> Quote:
    return quote(
        schedule,
        declared_income_idr=income,
        programs=programs,
        period=Period.parse(period),
        funding_source=source,
        occupation=occupation,
    )


def assert_all_int(result: Quote) -> None:
    # Money must never pass through float: every amount is exactly int (not bool, float or Decimal).
    assert type(result.total_idr) is int
    for line in result.lines:
        assert type(line.amount_idr) is int
        assert type(line.discount_idr) is int
    assert result.total_idr == sum(line.amount_idr for line in result.lines)


FULL = [(JKK, 10_000, 0), (JKM, 6_800, 0)]  # expected (program, amount, discount) at Rp1,000,000
HALF = [(JKK, 5_000, 5_000), (JKM, 3_400, 3_400)]  # the same with PP 50/2025 applied

# income, programs, period, funding source, occupation, expected total, expected lines
QUOTE_CASES = [
    pytest.param(
        1_000_000, BASIC, "2026-12", F.dana_desa, Job.petani, 16_800, FULL,
        id="village-funded-2026-12-not-discounted",
    ),
    pytest.param(
        1_000_000, BASIC, "2026-12", F.self_pay, Job.petani, 8_400, HALF,
        id="self-pay-2026-12-discounted",
    ),
    pytest.param(
        1_000_000, BASIC, "2027-01", F.self_pay, Job.petani, 16_800, FULL,
        id="self-pay-non-transport-2027-01-discount-over",
    ),
    pytest.param(
        1_000_000, BASIC, "2027-02", F.self_pay, Job.ojol, 8_400, HALF,
        id="self-pay-ojol-2027-02-transport-discount",
    ),
    pytest.param(
        1_000_000, BASIC, "2026-02", F.self_pay, Job.ojol, 8_400, HALF,
        id="self-pay-ojol-2026-02-transport-discount-early",
    ),
    pytest.param(
        1_000_000, BASIC, "2026-02", F.self_pay, Job.petani, 16_800, FULL,
        id="self-pay-petani-2026-02-no-discount-yet",
    ),
    pytest.param(
        1_000_000, WITH_JHT, "2026-12", F.self_pay, Job.petani, 28_400,
        [(JKK, 5_000, 5_000), (JKM, 3_400, 3_400), (JHT, 20_000, 0)],
        id="self-pay-with-jht-jht-never-discounted",
    ),
    pytest.param(
        1_000_000, WITH_JHT, "2026-12", F.dana_desa, Job.petani, 36_800,
        [(JKK, 10_000, 0), (JKM, 6_800, 0), (JHT, 20_000, 0)],
        id="village-funded-with-jht",
    ),
    pytest.param(
        2_500_000, WITH_JHT, "2026-12", F.dana_desa, Job.petani, 81_800,
        [(JKK, 25_000, 0), (JKM, 6_800, 0), (JHT, 50_000, 0)],
        id="village-funded-2_5m-with-jht",
    ),
    # Boundaries of the two discount rows.
    pytest.param(
        1_000_000, BASIC, "2026-03", F.self_pay, Job.pedagang, 16_800, FULL,
        id="general-discount-not-before-2026-04",
    ),
    pytest.param(
        1_000_000, BASIC, "2026-04", F.self_pay, Job.pedagang, 8_400, HALF,
        id="general-discount-from-2026-04",
    ),
    pytest.param(
        1_000_000, BASIC, "2026-01", F.self_pay, Job.sopir, 8_400, HALF,
        id="transport-discount-from-2026-01",
    ),
    pytest.param(
        1_000_000, BASIC, "2027-03", F.self_pay, Job.sopir, 8_400, HALF,
        id="transport-discount-until-2027-03",
    ),
    pytest.param(
        1_000_000, BASIC, "2027-04", F.self_pay, Job.sopir, 16_800, FULL,
        id="transport-discount-over-2027-04",
    ),
    # Funding sources: only government budgets are excluded from the discount.
    pytest.param(
        1_000_000, BASIC, "2026-12", F.apbd_kelurahan, Job.petani, 16_800, FULL,
        id="city-budget-not-discounted",
    ),
    pytest.param(
        1_000_000, BASIC, "2026-12", F.csr, Job.petani, 8_400, HALF,
        id="csr-discounted",
    ),
    pytest.param(
        1_000_000, BASIC, "2026-12", F.other, Job.nelayan, 8_400, HALF,
        id="other-source-discounted",
    ),
    pytest.param(
        1_000_000, BASIC, "2026-06", F.dana_desa, Job.ojol, 16_800, FULL,
        id="village-funded-ojol-not-discounted",
    ),
    # Both rows apply to an ojol in 2026-12: only one is taken, never stacked (which would give 2,500).
    pytest.param(
        1_000_000, BASIC, "2026-12", F.self_pay, Job.ojol, 8_400, HALF,
        id="overlapping-discounts-not-stacked",
    ),
    # JKK clamp and income bounds.
    pytest.param(
        20_700_000, WITH_JHT, "2026-12", F.dana_desa, Job.petani, 627_800,
        [(JKK, 207_000, 0), (JKM, 6_800, 0), (JHT, 414_000, 0)],
        id="max-income-jkk-at-cap",
    ),
    pytest.param(
        20_700_000, BASIC, "2026-12", F.self_pay, Job.petani, 106_900,
        [(JKK, 103_500, 103_500), (JKM, 3_400, 3_400)],
        id="max-income-discounted",
    ),
    # Half-up rounding in integer arithmetic.
    pytest.param(
        1_000_050, BASIC, "2026-12", F.dana_desa, Job.petani, 16_801, [(JKK, 10_001, 0), (JKM, 6_800, 0)],
        id="jkk-10000.5-rounds-up",
    ),
    pytest.param(
        1_000_049, BASIC, "2026-12", F.dana_desa, Job.petani, 16_800, FULL,
        id="jkk-10000.49-rounds-down",
    ),
    pytest.param(
        1_000_050, BASIC, "2026-12", F.self_pay, Job.petani, 8_401,
        [(JKK, 5_001, 5_000), (JKM, 3_400, 3_400)],
        id="discounted-jkk-5000.5-rounds-up",
    ),
    pytest.param(
        1_000_025, WITH_JHT, "2026-12", F.dana_desa, Job.petani, 36_801,
        [(JKK, 10_000, 0), (JKM, 6_800, 0), (JHT, 20_001, 0)],
        id="jht-20000.5-rounds-up",
    ),
    pytest.param(
        1_000_024, WITH_JHT, "2026-12", F.dana_desa, Job.petani, 36_800,
        [(JKK, 10_000, 0), (JKM, 6_800, 0), (JHT, 20_000, 0)],
        id="jht-20000.48-rounds-down",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("income", "programs", "period", "source", "occupation", "total", "lines"), QUOTE_CASES
)
def test_quote(
    income: int,
    programs: frozenset[Program],
    period: str,
    source: FundingSource,
    occupation: Occupation,
    total: int,
    lines: list[tuple[Program, int, int]],
) -> None:
    result = price(income=income, programs=programs, period=period, source=source, occupation=occupation)
    assert result.total_idr == total
    assert [(line.program, line.amount_idr, line.discount_idr) for line in result.lines] == lines
    assert result.schedule_id == SCHEDULE.id
    assert result.period == Period.parse(period)
    assert_all_int(result)


def test_lines_follow_program_order_whatever_the_input_order() -> None:
    result = price(programs=[JHT, JKM, JKK, JKM], period="2026-12", source=F.self_pay)
    assert [line.program for line in result.lines] == [JKK, JKM, JHT]


def test_plain_strings_are_accepted_for_enums() -> None:
    # DB rows and JSON bodies carry plain strings; StrEnum members compare equal to them.
    programs: list[Any] = ["JKK", "JKM"]
    source: Any = "self_pay"
    occupation: Any = "ojol"
    result = quote(
        SCHEDULE,
        declared_income_idr=1_000_000,
        programs=programs,
        period=Period(2026, 2),
        funding_source=source,
        occupation=occupation,
    )
    assert result.total_idr == 8_400


def test_applied_discount_is_named() -> None:
    petani = price(period="2026-12", source=F.self_pay)
    assert {line.discount_name for line in petani.lines} == {"PP 50/2025 (all BPU workers)"}
    ojol_early = price(period="2026-02", source=F.self_pay, occupation=Job.ojol)
    assert {line.discount_name for line in ojol_early.lines} == {"PP 50/2025 (transport workers)"}
    village = price(period="2026-12", source=F.dana_desa)
    assert {line.discount_name for line in village.lines} == {None}


def test_discount_switches_for_dana_desa_and_apbd_kelurahan_are_separate() -> None:
    """The regulation may open a reduction to the village fund and not to the city budget (or the other
    way round): each budget has its own switch."""
    for switch, opened, closed in (
        ("applies_to_dana_desa", F.dana_desa, F.apbd_kelurahan),
        ("applies_to_apbd_kelurahan", F.apbd_kelurahan, F.dana_desa),
    ):
        generous = replace(
            SCHEDULE, discounts=tuple(replace(d, **{switch: True}) for d in SCHEDULE.discounts)
        )
        result = price(period="2026-12", source=opened, schedule=generous)
        assert result.total_idr == 8_400
        assert [(line.program, line.amount_idr, line.discount_idr) for line in result.lines] == HALF
        assert_all_int(result)
        assert price(period="2026-12", source=closed, schedule=generous).total_idr == 16_800
    assert {F.dana_desa, F.apbd_kelurahan} == GOVERNMENT_PAID_SOURCES


def test_most_favourable_discount_wins() -> None:
    def row(name: str, percent: int) -> Discount:
        return Discount(
            name=name,
            start=Period(2026, 1),
            end=Period(2026, 12),
            percent_payable=percent,
            programs=frozenset({JKK}),
            occupations=None,
            applies_to_dana_desa=False,
            applies_to_apbd_kelurahan=False,
        )

    schedule = replace(SCHEDULE, discounts=(row("half", 50), row("seventy off", 30), row("tenth off", 90)))
    result = price(period="2026-06", source=F.self_pay, schedule=schedule)
    lines = [(line.program, line.amount_idr, line.discount_idr, line.discount_name) for line in result.lines]
    assert lines == [(JKK, 3_000, 7_000, "seventy off"), (JKM, 6_800, 0, None)]


def test_discount_limited_to_occupations() -> None:
    only_fishers = replace(
        SCHEDULE,
        discounts=(
            Discount(
                name="fishers",
                start=Period(2026, 1),
                end=Period(2026, 12),
                percent_payable=0,
                programs=frozenset({JKM}),
                occupations=frozenset({Job.nelayan}),
                applies_to_dana_desa=False,
                applies_to_apbd_kelurahan=False,
            ),
        ),
    )
    fisher = price(period="2026-06", source=F.self_pay, occupation=Job.nelayan, schedule=only_fishers)
    farmer = price(period="2026-06", source=F.self_pay, occupation=Job.petani, schedule=only_fishers)
    assert (fisher.total_idr, farmer.total_idr) == (10_000, 16_800)


@pytest.mark.parametrize(
    ("income", "program", "expected"),
    [
        pytest.param(1_000_000, JKK, 10_000, id="jkk-at-min-income"),
        pytest.param(2_500_000, JKK, 25_000, id="jkk-1-percent"),
        pytest.param(20_700_000, JKK, 207_000, id="jkk-at-max-income"),
        pytest.param(1_000_050, JKK, 10_001, id="jkk-half-up"),
        pytest.param(1_000_000, JKM, 6_800, id="jkm-flat"),
        pytest.param(20_700_000, JKM, 6_800, id="jkm-flat-at-max"),
        pytest.param(1_000_000, JHT, 20_000, id="jht-2-percent"),
        pytest.param(20_700_000, JHT, 414_000, id="jht-not-capped"),
    ],
)
def test_full_program_amount(income: int, program: Program, expected: int) -> None:
    amount = full_program_amount(SCHEDULE, program, income)
    assert amount == expected
    assert type(amount) is int


@pytest.mark.parametrize(
    ("income", "expected_jkk"),
    [
        pytest.param(500_000, 10_000, id="clamped-up-to-min"),
        pytest.param(999_949, 10_000, id="9999.49-clamped-to-min"),
        pytest.param(1_000_000, 10_000, id="exactly-min"),
        pytest.param(20_700_000, 207_000, id="exactly-max"),
        pytest.param(20_700_100, 207_000, id="207001-clamped-to-max"),
        pytest.param(30_000_000, 207_000, id="clamped-down-to-max"),
    ],
)
def test_jkk_is_clamped(income: int, expected_jkk: int) -> None:
    # Widen the income bounds so the JKK clamp itself, not the income check, is exercised.
    wide = replace(SCHEDULE, min_income_idr=100_000, max_income_idr=50_000_000)
    assert full_program_amount(wide, JKK, income) == expected_jkk
    result = price(income=income, period="2026-12", source=F.self_pay, schedule=wide)
    assert result.lines[0].amount_idr == (expected_jkk + 1) // 2  # 50 % payable, half up
    assert_all_int(result)


@pytest.mark.parametrize(
    "income",
    [
        pytest.param(999_999, id="below-min"),
        pytest.param(20_700_001, id="above-max"),
        pytest.param(0, id="zero"),
        pytest.param(-1_000_000, id="negative"),
        pytest.param(1_000_000.0, id="float"),
        pytest.param(True, id="bool"),
        pytest.param("1000000", id="string"),
    ],
)
def test_income_out_of_range_or_not_int(income: Any) -> None:
    with pytest.raises(PricingError) as caught:
        price(income=income, period="2026-12", source=F.self_pay)
    assert caught.value.field == "declared_income_idr"
    with pytest.raises(PricingError):
        full_program_amount(SCHEDULE, JKK, income)


@pytest.mark.parametrize(
    "programs",
    [
        pytest.param(frozenset({JKM}), id="missing-jkk"),
        pytest.param(frozenset({JKK}), id="missing-jkm"),
        pytest.param(frozenset({JKK, JHT}), id="missing-jkm-with-jht"),
        pytest.param(frozenset({JHT}), id="jht-only"),
        pytest.param(frozenset(), id="none"),
    ],
)
def test_jkk_and_jkm_are_required(programs: frozenset[Program]) -> None:
    with pytest.raises(PricingError) as caught:
        price(programs=programs, period="2026-12", source=F.self_pay)
    assert caught.value.field == "programs"
    assert "required" in caught.value.reason


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"programs": ["JKK", "JKM", "JKN"]}, "programs", id="unknown-program"),
        pytest.param({"funding_source": "apbn"}, "funding_source", id="unknown-funding-source"),
        pytest.param({"occupation": "astronaut"}, "occupation", id="unknown-occupation"),
    ],
)
def test_unknown_enum_values(kwargs: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {
        "declared_income_idr": 1_000_000,
        "programs": BASIC,
        "period": Period(2026, 12),
        "funding_source": F.self_pay,
        "occupation": Job.petani,
        **kwargs,
    }
    with pytest.raises(PricingError) as caught:
        quote(SCHEDULE, **arguments)
    assert caught.value.field == field


@pytest.mark.parametrize("period", ["2025-12", "2000-01"])
def test_unknown_period(period: str) -> None:
    with pytest.raises(PricingError) as caught:
        schedule_for(default_schedules(), Period.parse(period))
    assert caught.value.field == "period"
    with pytest.raises(PricingError) as caught:
        price(period=period, source=F.self_pay)
    assert caught.value.field == "period"


def test_schedule_for_empty_list() -> None:
    with pytest.raises(PricingError, match="no rate schedule"):
        schedule_for([], Period(2026, 12))


OLD = replace(SCHEDULE, id="old", effective_from=Period(2024, 1), effective_to=Period(2026, 6), discounts=())
NEW = replace(SCHEDULE, id="new", effective_from=Period(2026, 7), effective_to=None)
CLOSED = replace(SCHEDULE, id="closed", effective_from=Period(2030, 1), effective_to=Period(2030, 12))


@pytest.mark.parametrize(
    ("period", "expected_id"),
    [
        pytest.param("2024-01", "old", id="first-month-of-old"),
        pytest.param("2026-06", "old", id="last-month-of-old"),
        pytest.param("2026-07", "new", id="first-month-of-new"),
        pytest.param("2029-12", "new", id="open-ended-new"),
        pytest.param("2099-12", "new", id="open-ended-far-future"),
    ],
)
def test_schedule_for_picks_by_effective_dates(period: str, expected_id: str) -> None:
    assert schedule_for([NEW, OLD], Period.parse(period)).id == expected_id


def test_schedule_for_closed_range() -> None:
    new_until_2029 = replace(NEW, effective_to=Period(2029, 12))
    schedules = [OLD, new_until_2029, CLOSED]
    assert schedule_for(schedules, Period(2030, 1)).id == "closed"
    assert schedule_for(schedules, Period(2030, 12)).id == "closed"
    with pytest.raises(PricingError):
        schedule_for(schedules, Period(2031, 1))
    with pytest.raises(PricingError):
        schedule_for(schedules, Period(2023, 12))


def test_schedule_for_rejects_overlap() -> None:
    with pytest.raises(PricingError, match="several"):
        schedule_for([NEW, CLOSED], Period(2030, 6))


def test_quote_rejects_schedule_not_in_force() -> None:
    with pytest.raises(PricingError) as caught:
        price(period="2026-07", source=F.self_pay, schedule=OLD)
    assert caught.value.field == "period"


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-1",
        "abc",
        "2026-00",
        "1999-12",
        "2101-01",
        "",
        "2026-12-01",
        "2026/12",
        " 2026-12",
        "2026-12\n",
        "26-12",
        "202612",
        "\uff12026-12",
    ],
)
def test_period_parse_errors(text: str) -> None:
    with pytest.raises(PricingError) as caught:
        Period.parse(text)
    assert caught.value.field == "period"


def test_period_parse_reports_given_field() -> None:
    with pytest.raises(PricingError) as caught:
        Period.parse("2026-13", field="start")
    assert caught.value.field == "start"
    assert "month" in caught.value.reason


@pytest.mark.parametrize(("year", "month"), [(2026, 0), (2026, 13), (1999, 12), (2101, 1)])
def test_period_constructor_validates(year: int, month: int) -> None:
    with pytest.raises(PricingError):
        Period(year, month)


@pytest.mark.parametrize(
    ("text", "year", "month"), [("2026-12", 2026, 12), ("2000-01", 2000, 1), ("2100-12", 2100, 12)]
)
def test_period_parse_and_str(text: str, year: int, month: int) -> None:
    period = Period.parse(text)
    assert (period.year, period.month) == (year, month)
    assert str(period) == text


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2026-12", 1, "2027-01"),
        ("2026-12", 0, "2026-12"),
        ("2026-01", -1, "2025-12"),
        ("2026-04", 8, "2026-12"),
        ("2026-04", 24, "2028-04"),
        ("2026-04", -28, "2023-12"),
    ],
)
def test_period_add_months(start: str, months: int, expected: str) -> None:
    assert str(Period.parse(start).add_months(months)) == expected


def test_period_add_months_out_of_range() -> None:
    with pytest.raises(PricingError):
        Period(2100, 12).add_months(1)


def test_period_helpers() -> None:
    assert Period(2026, 2).first_day() == date(2026, 2, 1)
    assert Period.of(date(2026, 11, 25)) == Period(2026, 11)
    assert Period(2026, 12) < Period(2027, 1) < Period(2027, 2)
    assert months_between(Period(2026, 4), Period(2026, 12)) == 8
    assert months_between(Period(2026, 12), Period(2026, 4)) == -8
    assert months_between(Period(2026, 1), Period(2027, 3)) == 14
    assert [str(p) for p in iter_periods(Period(2026, 11), Period(2027, 2))] == [
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
    ]
    assert list(iter_periods(Period(2026, 5), Period(2026, 5))) == [Period(2026, 5)]
    assert list(iter_periods(Period(2026, 5), Period(2026, 4))) == []


def test_default_schedule_data() -> None:
    [schedule] = default_schedules()
    assert schedule.effective_to is None
    assert (schedule.min_income_idr, schedule.max_income_idr) == (1_000_000, 20_700_000)
    assert (schedule.jkk_rate_bp, schedule.jkk_min_idr, schedule.jkk_max_idr) == (100, 10_000, 207_000)
    assert (schedule.jkm_flat_idr, schedule.jht_rate_bp) == (6_800, 200)
    assert len(schedule.discounts) == 2
    for discount in schedule.discounts:
        assert discount.percent_payable == 50
        assert discount.programs == frozenset({JKK, JKM})
        assert (discount.applies_to_dana_desa, discount.applies_to_apbd_kelurahan) == (False, False)
    general, transport = schedule.discounts
    assert (general.start, general.end, general.occupations) == (Period(2026, 4), Period(2026, 12), None)
    assert (transport.start, transport.end) == (Period(2026, 1), Period(2027, 3))
    assert transport.occupations == TRANSPORT_OCCUPATIONS == frozenset({Job.ojol, Job.sopir})
    assert set(GOVERNMENT_PAID_SOURCES) == {F.dana_desa, F.apbd_kelurahan}
    for field in ("min_income_idr", "max_income_idr", "jkk_rate_bp", "jkk_min_idr", "jkk_max_idr"):
        assert type(getattr(schedule, field)) is int


def test_discount_on_jht_is_refused() -> None:
    with pytest.raises(PricingError) as caught:
        Discount(
            name="jht",
            start=Period(2026, 1),
            end=Period(2026, 12),
            percent_payable=50,
            programs=frozenset({JKK, JHT}),
            occupations=None,
            applies_to_dana_desa=False,
            applies_to_apbd_kelurahan=False,
        )
    assert caught.value.field == "programs"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"percent_payable": 101}, "percent_payable", id="over-100"),
        pytest.param({"percent_payable": -1}, "percent_payable", id="negative"),
        pytest.param({"percent_payable": 50.0}, "percent_payable", id="float"),
        pytest.param({"end": Period(2025, 12)}, "end", id="ends-before-start"),
        pytest.param({"programs": frozenset()}, "programs", id="no-programs"),
    ],
)
def test_discount_validation(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(PricingError) as caught:
        replace(SCHEDULE.discounts[0], **changes)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"jkk_rate_bp": 1.0}, "jkk_rate_bp", id="float-rate"),
        pytest.param({"jkm_flat_idr": 6800.0}, "jkm_flat_idr", id="float-amount"),
        pytest.param({"jht_rate_bp": -1}, "jht_rate_bp", id="negative-rate"),
        pytest.param({"jht_rate_bp": 10_001}, "jht_rate_bp", id="rate-over-100-percent"),
        pytest.param({"min_income_idr": 30_000_000}, "min_income_idr", id="min-above-max"),
        pytest.param({"jkk_min_idr": 300_000}, "jkk_min_idr", id="jkk-min-above-max"),
        pytest.param({"effective_to": Period(2025, 12)}, "effective_to", id="ends-before-start"),
    ],
)
def test_rate_schedule_validation(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(PricingError) as caught:
        replace(SCHEDULE, **changes)
    assert caught.value.field == field


def test_pricing_error_is_value_error() -> None:
    error = PricingError("period", "no rate schedule")
    assert isinstance(error, ValueError)
    assert (error.field, error.reason) == ("period", "no rate schedule")
    assert str(error) == "period: no rate schedule"


def test_pricing_module_has_no_float_arithmetic() -> None:
    # A guard against regressions: money code must use neither float literals nor true division.
    tree = ast.parse(inspect.getsource(pricing_module))
    for node in ast.walk(tree):
        assert not (isinstance(node, ast.Constant) and isinstance(node.value, float)), ast.unparse(node)
        assert not isinstance(node, ast.Div), "true division found"
        assert not (isinstance(node, ast.Name) and node.id == "float"), "float() found"
