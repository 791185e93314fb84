"""Monthly contribution (iuran) pricing for BPU workers.

BPU (Bukan Penerima Upah, "non-wage earners") are informal and self-employed workers: farmers,
fishers, market traders, online motorcycle-taxi drivers and so on. They declare their own monthly
income, and pay for three programmes of BPJS Ketenagakerjaan:

* JKK (Jaminan Kecelakaan Kerja): work-accident cover, a percentage of declared income within a
  minimum and maximum amount - required;
* JKM (Jaminan Kematian): death benefit, a flat amount - required;
* JHT (Jaminan Hari Tua): old-age savings, a percentage of declared income - optional.

The rates are data, held in a :class:`RateSchedule` (stored in the database and loaded into these
dataclasses), so that a new regulation is a new row rather than a code change.
:func:`default_schedules` returns the schedule(s) in force, for seeding.

All money is integer rupiah (IDR). No float is used anywhere: percentages are expressed in basis
points or whole percent, and rounding is half-up in integer arithmetic.
"""

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Self, TypeVar, assert_never

from services.common.messages import Message, Phrase

__all__ = [
    "GOVERNMENT_PAID_SOURCES",
    "TRANSPORT_OCCUPATIONS",
    "Discount",
    "FundingSource",
    "Occupation",
    "Period",
    "PricingError",
    "Program",
    "Quote",
    "QuoteLine",
    "RateSchedule",
    "default_schedules",
    "full_program_amount",
    "iter_periods",
    "months_between",
    "quote",
    "schedule_for",
]

BASIS_POINTS = 10_000  # 100 basis points = 1 %
MIN_YEAR = 2000
MAX_YEAR = 2100


class PricingError(ValueError):
    """A pricing input or rate schedule that cannot be priced; ``field`` names the offending input."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Program(StrEnum):
    """BPJS Ketenagakerjaan programmes available to BPU workers, in quote-line order."""

    JKK = "JKK"  # Jaminan Kecelakaan Kerja: work accident
    JKM = "JKM"  # Jaminan Kematian: death
    JHT = "JHT"  # Jaminan Hari Tua: old-age savings


REQUIRED_PROGRAMS = frozenset({Program.JKK, Program.JKM})


class FundingSource(StrEnum):
    """Who pays the contribution."""

    dana_desa = "dana_desa"  # village fund (APBDes, the village budget)
    apbd_kelurahan = "apbd_kelurahan"  # city/regency budget (APBD) for urban wards (kelurahan)
    csr = "csr"  # a company's corporate social responsibility programme
    other = "other"
    self_pay = "self_pay"  # the worker pays


GOVERNMENT_PAID_SOURCES: frozenset[FundingSource] = frozenset(
    {FundingSource.dana_desa, FundingSource.apbd_kelurahan}
)


class Occupation(StrEnum):
    """Occupations of BPU workers (Indonesian names as used in the field)."""

    petani = "petani"  # farmer
    nelayan = "nelayan"  # fisher
    pedagang = "pedagang"  # trader, market or street vendor
    buruh_harian = "buruh_harian"  # day labourer
    ojol = "ojol"  # ojek online: app-based motorcycle taxi / courier
    sopir = "sopir"  # driver
    prt = "prt"  # pekerja rumah tangga: domestic worker
    pemulung = "pemulung"  # waste picker
    perajin = "perajin"  # craftsperson
    marbot = "marbot"  # mosque caretaker
    lainnya = "lainnya"  # other


TRANSPORT_OCCUPATIONS: frozenset[Occupation] = frozenset({Occupation.ojol, Occupation.sopir})

_PERIOD_RE = re.compile(r"([0-9]{4})-([0-9]{2})")


def _require_int(field: str, value: object, *, minimum: int = 0) -> int:
    # bool is an int subclass and Decimal/float would silently bring non-integer money in; refuse both.
    if type(value) is not int:
        raise PricingError(field, Message("pricing.integer", type=type(value).__name__))
    if value < minimum:
        raise PricingError(field, Message("pricing.at_least", minimum=minimum, value=value))
    return value


def _round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True, order=True)
class Period:
    """A contribution month; contributions are owed per calendar month."""

    year: int
    month: int

    def __post_init__(self) -> None:
        _require_int("period", self.year)
        _require_int("period", self.month)
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise PricingError("period", Message("pricing.year", low=MIN_YEAR, high=MAX_YEAR, year=self.year))
        if not 1 <= self.month <= 12:
            raise PricingError("period", Message("pricing.month", month=self.month))

    @classmethod
    def parse(cls, value: str, *, field: str = "period") -> Self:
        """Parse ``"YYYY-MM"`` (zero-padded month); ``field`` is reported in the :class:`PricingError`."""
        match = _PERIOD_RE.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise PricingError(field, Message("pricing.period_format", value=repr(value)))
        try:
            return cls(int(match[1]), int(match[2]))
        except PricingError as exc:
            raise PricingError(field, exc.reason) from None

    @classmethod
    def of(cls, day: date) -> Self:
        """The period containing ``day``."""
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def _index(self) -> int:
        return self.year * 12 + self.month - 1

    def add_months(self, months: int) -> "Period":
        """This period moved by ``months`` (may be negative)."""
        year, month0 = divmod(self._index() + months, 12)
        return Period(year, month0 + 1)

    def first_day(self) -> date:
        return date(self.year, self.month, 1)


def months_between(start: Period, end: Period) -> int:
    """Months from ``start`` to ``end``: 0 for the same period, negative if ``end`` is earlier."""
    return end._index() - start._index()


def iter_periods(start: Period, end: Period) -> Iterator[Period]:
    """Every period from ``start`` to ``end`` inclusive; nothing if ``end`` is before ``start``."""
    for offset in range(months_between(start, end) + 1):
        yield start.add_months(offset)


@dataclass(frozen=True)
class Discount:
    """A temporary reduction of some programmes' contributions, e.g. under PP 50/2025.

    (PP = Peraturan Pemerintah, a government regulation.) A discounted programme costs
    ``percent_payable`` percent of its full amount, for periods ``start``..``end`` inclusive.
    ``occupations`` of ``None`` means every occupation. A reduction is for workers paying themselves or
    paid for by others; whether it also applies when a government budget pays is a switch per budget:
    ``applies_to_dana_desa`` (the village fund, APBDes) and ``applies_to_apbd_kelurahan`` (the city's
    budget for a kelurahan) - the regulation may open one without the other.
    """

    name: str
    start: Period
    end: Period
    percent_payable: int
    programs: frozenset[Program]
    occupations: frozenset[Occupation] | None
    applies_to_dana_desa: bool
    applies_to_apbd_kelurahan: bool

    def __post_init__(self) -> None:
        _require_int("percent_payable", self.percent_payable)
        if self.percent_payable > 100:
            raise PricingError("percent_payable", Message("pricing.percent", value=self.percent_payable))
        if self.end < self.start:
            raise PricingError("end", Message("pricing.discount_ends_early", name=repr(self.name)))
        if not self.programs:
            raise PricingError("programs", Message("pricing.discount_no_programme", name=repr(self.name)))
        # JHT is the worker's own savings: reducing what goes in would reduce their balance, so it is
        # never discounted. Refusing such a row at load time beats silently ignoring it.
        if Program.JHT in self.programs:
            raise PricingError("programs", Message("pricing.discount_jht", name=repr(self.name)))

    def applies(
        self, *, program: Program, period: Period, occupation: Occupation, funding_source: FundingSource
    ) -> bool:
        return (
            program in self.programs
            and self.start <= period <= self.end
            and (self.occupations is None or occupation in self.occupations)
            and (self.applies_to_dana_desa or funding_source is not FundingSource.dana_desa)
            and (self.applies_to_apbd_kelurahan or funding_source is not FundingSource.apbd_kelurahan)
        )


@dataclass(frozen=True)
class RateSchedule:
    """The contribution rates in force for periods ``effective_from``..``effective_to`` (``None``: open).

    Rates are in basis points (``bp``, 100 bp = 1 %); amounts and income bounds in whole rupiah.
    """

    id: str
    name: str
    effective_from: Period
    effective_to: Period | None
    min_income_idr: int
    max_income_idr: int
    jkk_rate_bp: int
    jkk_min_idr: int
    jkk_max_idr: int
    jkm_flat_idr: int
    jht_rate_bp: int
    discounts: tuple[Discount, ...]

    def __post_init__(self) -> None:
        for field in (
            "min_income_idr",
            "max_income_idr",
            "jkk_rate_bp",
            "jkk_min_idr",
            "jkk_max_idr",
            "jkm_flat_idr",
            "jht_rate_bp",
        ):
            _require_int(field, getattr(self, field))
        if self.min_income_idr > self.max_income_idr:
            raise PricingError("min_income_idr", Message("pricing.min_over_max_income"))
        if self.jkk_min_idr > self.jkk_max_idr:
            raise PricingError("jkk_min_idr", Message("pricing.min_over_max_jkk"))
        for field in ("jkk_rate_bp", "jht_rate_bp"):
            if getattr(self, field) > BASIS_POINTS:
                raise PricingError(field, Message("pricing.max_basis_points", limit=BASIS_POINTS))
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise PricingError("effective_to", Message("pricing.to_before_from"))
        if not isinstance(self.discounts, tuple):
            raise PricingError("discounts", Message("pricing.tuple"))

    def covers(self, period: Period) -> bool:
        return self.effective_from <= period and (self.effective_to is None or period <= self.effective_to)


@dataclass(frozen=True)
class QuoteLine:
    """One programme's monthly contribution: ``amount_idr`` is payable, ``discount_idr`` was taken off."""

    program: Program
    amount_idr: int
    discount_idr: int
    discount_name: str | None = None  # which Discount was applied, for receipts and audit


@dataclass(frozen=True)
class Quote:
    """A priced month: one line per chosen programme (order JKK, JKM, JHT) and their total."""

    schedule_id: str
    period: Period
    lines: tuple[QuoteLine, ...]
    total_idr: int


def schedule_for(schedules: Sequence[RateSchedule], period: Period) -> RateSchedule:
    """The schedule in force for ``period``; :class:`PricingError` if none, or if several overlap."""
    matching = [schedule for schedule in schedules if schedule.covers(period)]
    if not matching:
        raise PricingError("period", Message("pricing.no_schedule", period=period))
    if len(matching) > 1:
        # Overlapping rows are a data error; guessing which one wins would misprice silently.
        ids = ", ".join(schedule.id for schedule in matching)
        raise PricingError("period", Message("pricing.several_schedules", period=period, ids=ids))
    return matching[0]


_E = TypeVar("_E", bound=StrEnum)


def _coerce(kind: type[_E], field: str, value: object) -> _E:
    # Accepts the plain strings a DB row or JSON body carries, but nothing outside the enum.
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return kind(value)
    except ValueError:
        raise PricingError(field, Message("pricing.unknown_value", value=repr(value))) from None


def _check_income(schedule: RateSchedule, declared_income_idr: int) -> int:
    income = _require_int("declared_income_idr", declared_income_idr)
    if not schedule.min_income_idr <= income <= schedule.max_income_idr:
        raise PricingError(
            "declared_income_idr",
            Message(
                "pricing.income_range",
                low=schedule.min_income_idr,
                high=schedule.max_income_idr,
                income=income,
            ),
        )
    return income


def full_program_amount(schedule: RateSchedule, program: Program, declared_income_idr: int) -> int:
    """The undiscounted monthly contribution for ``program`` at ``declared_income_idr``, in rupiah."""
    program = _coerce(Program, "programs", program)
    income = _check_income(schedule, declared_income_idr)
    if program is Program.JKK:
        amount = _round_half_up(income * schedule.jkk_rate_bp, BASIS_POINTS)
        return min(max(amount, schedule.jkk_min_idr), schedule.jkk_max_idr)
    if program is Program.JKM:
        return schedule.jkm_flat_idr
    if program is Program.JHT:
        return _round_half_up(income * schedule.jht_rate_bp, BASIS_POINTS)
    assert_never(program)  # mypy fails here if a Program member is added without a price


def quote(
    schedule: RateSchedule,
    *,
    declared_income_idr: int,
    programs: Iterable[Program],
    period: Period,
    funding_source: FundingSource,
    occupation: Occupation,
) -> Quote:
    """Price one month of contributions for the chosen programmes.

    JKK and JKM must both be chosen; JHT is optional. Each programme gets at most one discount - the
    one leaving the lowest amount payable - among those of ``schedule`` that apply to the period,
    occupation and funding source.
    """
    chosen = {_coerce(Program, "programs", program) for program in programs}
    missing = REQUIRED_PROGRAMS - chosen
    if missing:
        names = Phrase(" dan ".join(sorted(missing)), " and ".join(sorted(missing)))
        key = "pricing.program_required" if len(missing) == 1 else "pricing.programs_required"
        raise PricingError("programs", Message(key, names=names))
    source = _coerce(FundingSource, "funding_source", funding_source)
    job = _coerce(Occupation, "occupation", occupation)
    if not schedule.covers(period):
        raise PricingError(
            "period", Message("pricing.schedule_not_in_force", schedule=repr(schedule.id), period=period)
        )
    _check_income(schedule, declared_income_idr)

    lines: list[QuoteLine] = []
    for program in Program:  # enum order gives the required line order JKK, JKM, JHT
        if program not in chosen:
            continue
        full = full_program_amount(schedule, program, declared_income_idr)
        amount, discount_name = full, None
        for discount in schedule.discounts:
            if not discount.applies(program=program, period=period, occupation=job, funding_source=source):
                continue
            discounted = _round_half_up(full * discount.percent_payable, 100)
            if discounted < amount:  # strict: on a tie the earlier row keeps the credit
                amount, discount_name = discounted, discount.name
        lines.append(QuoteLine(program, amount, full - amount, discount_name))

    return Quote(
        schedule_id=schedule.id,
        period=period,
        lines=tuple(lines),
        total_idr=sum(line.amount_idr for line in lines),
    )


def default_schedules() -> list[RateSchedule]:
    """The BPU rate schedule(s) in force, for the seed migration.

    The two PP 50/2025 rows halve JKK and JKM: for every BPU worker in 2026-04..2026-12, and for
    transport workers (ojol, sopir) over the longer 2026-01..2027-03. Neither applies when a government
    budget already pays the contribution.
    """
    jkk_jkm = frozenset({Program.JKK, Program.JKM})
    return [
        RateSchedule(
            id="bpu-2026",
            name="BPU contributions (JKK 1 %, JKM Rp6,800, JHT 2 %)",
            effective_from=Period(2026, 1),
            effective_to=None,
            min_income_idr=1_000_000,
            max_income_idr=20_700_000,
            jkk_rate_bp=100,
            jkk_min_idr=10_000,
            jkk_max_idr=207_000,
            jkm_flat_idr=6_800,
            jht_rate_bp=200,
            discounts=(
                Discount(
                    name="PP 50/2025 (all BPU workers)",
                    start=Period(2026, 4),
                    end=Period(2026, 12),
                    percent_payable=50,
                    programs=jkk_jkm,
                    occupations=None,
                    applies_to_dana_desa=False,
                    applies_to_apbd_kelurahan=False,
                ),
                Discount(
                    name="PP 50/2025 (transport workers)",
                    start=Period(2026, 1),
                    end=Period(2027, 3),
                    percent_payable=50,
                    programs=jkk_jkm,
                    occupations=TRANSPORT_OCCUPATIONS,
                    applies_to_dana_desa=False,
                    applies_to_apbd_kelurahan=False,
                ),
            ),
        )
    ]
