"""Decoding and checking of the NIK.

NIK (Nomor Induk Kependudukan) is Indonesia's 16-digit national identity number, printed on the
KTP identity card. Its layout is ``PPRRDD DDMMYY SSSS``:

* ``PPRRDD``: the region of first issue - province ``PP``, regency/city ``RR`` (kabupaten/kota) and
  district ``DD`` (kecamatan);
* ``DDMMYY``: the birth date, where women have 40 added to the day (so their day is 41-71);
* ``SSSS``: a serial number starting at ``0001``.

The region prefix is deliberately *not* checked against the current area table: regions are split and
renumbered over time, while a person keeps the NIK issued under the old code.
"""

from dataclasses import dataclass
from datetime import date
from typing import Literal

from services.common.messages import Message

__all__ = ["DecodedNik", "NikError", "check_nik_agrees", "decode_nik", "mask_nik"]

NIK_LENGTH = 16
_WOMEN_DAY_OFFSET = 40


class NikError(ValueError):
    """A value that is not a well-formed NIK; ``reason`` says why (a :class:`Message`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DecodedNik:
    """The facts a valid NIK encodes."""

    nik: str
    region_code: str  # "PP.RR.DD", e.g. "33.26.15"
    birth_date: date
    sex: Literal["M", "F"]
    serial: int


def _is_ascii_digits(value: str) -> bool:
    # str.isdigit() also accepts full-width and other Unicode digits, which no real NIK contains.
    # ASCII-only strings whose characters are all digits contain only 0-9 (fast path, no per-char loop).
    return bool(value) and value.isascii() and value.isdigit()


def _birth_year(yy: int, month: int, day: int, today: date) -> int:
    """The most recent year ending in ``yy`` whose (month, day) is not after ``today``.

    Only two digits of the year are encoded, so we take the latest century that does not put the
    birth in the future: in the 21st century that is 20YY when that date has already come, else 19YY.
    Comparing tuples (rather than building a date) keeps 29 February out of the decision: a 29 February
    that does not exist in the chosen year is then reported as an invalid date.
    """
    year = today.year - today.year % 100 + yy
    if (year, month, day) > (today.year, today.month, today.day):
        year -= 100
    return year


def decode_nik(value: str, *, today: date) -> DecodedNik:
    """Validate ``value`` as a NIK and decode it; raise :class:`NikError` if it is not one.

    ``value`` must be exactly 16 ASCII digits: nothing is stripped, since silently accepting
    " 3326..." would store a different string from the one on the identity card. ``today`` decides
    the birth century and is passed in so that callers (and tests) control the clock.
    """
    if not isinstance(value, str):
        raise NikError(Message("nik.not_string"))
    if not _is_ascii_digits(value):
        raise NikError(Message("nik.digits_only"))
    if len(value) != NIK_LENGTH:
        raise NikError(Message("nik.length", length=len(value)))

    province, regency, district = value[0:2], value[2:4], value[4:6]
    if province == "00":
        raise NikError(Message("nik.province_00"))

    encoded_day, month, yy = int(value[6:8]), int(value[8:10]), int(value[10:12])
    sex: Literal["M", "F"]
    if encoded_day > _WOMEN_DAY_OFFSET:
        sex, day = "F", encoded_day - _WOMEN_DAY_OFFSET
    else:
        sex, day = "M", encoded_day
    if not 1 <= day <= 31:
        raise NikError(Message("nik.birth_day", day=value[6:8]))
    if not 1 <= month <= 12:
        raise NikError(Message("nik.birth_month", month=value[8:10]))

    year = _birth_year(yy, month, day, today)
    try:
        birth_date = date(year, month, day)
    except ValueError:
        raise NikError(Message("nik.birth_date", date=f"{year:04d}-{month:02d}-{day:02d}")) from None

    serial = int(value[12:16])
    if serial == 0:
        raise NikError(Message("nik.serial"))

    return DecodedNik(
        nik=value,
        region_code=f"{province}.{regency}.{district}",
        birth_date=birth_date,
        sex=sex,
        serial=serial,
    )


def _day_month_yy(day: date) -> tuple[int, int, int]:
    return day.day, day.month, day.year % 100


def check_nik_agrees(
    decoded: DecodedNik, *, sex: str | None, birth_date: date | None
) -> list[tuple[str, str]]:
    """Return ``[(field, reason)]`` for each given value that contradicts the NIK; empty if all agree.

    ``None`` means "not given" and is never an error. The birth date is compared on day, month and the
    last two digits of the year only, because the NIK does not encode the century: someone born in 1921
    has the same NIK digits as someone born in 2021, and only the declared date can tell them apart.
    """
    problems: list[tuple[str, str]] = []
    if sex is not None:
        if sex not in ("M", "F"):
            problems.append(("sex", Message("nik.sex_value")))
        elif sex != decoded.sex:
            key = "nik.sex_mismatch_female" if decoded.sex == "F" else "nik.sex_mismatch_male"
            problems.append(("sex", Message(key, sex=sex)))
    if birth_date is not None:
        encoded = decoded.birth_date
        if _day_month_yy(birth_date) != _day_month_yy(encoded):
            reason = Message(
                "nik.birth_date_mismatch",
                date=birth_date.isoformat(),
                day_month=f"{encoded.day:02d}-{encoded.month:02d}",
                yy=f"{encoded.year % 100:02d}",
            )
            problems.append(("birth_date", reason))
    return problems


def mask_nik(nik: str) -> str:
    """Mask a NIK for display and logs: first 4 and last 2 digits kept, e.g. ``3326**********01``.

    Never raises, because it is used on logging and error paths; anything that is not a 16-digit NIK
    is masked completely, so a malformed value cannot leak more digits than a valid one.
    """
    if not isinstance(nik, str) or len(nik) != NIK_LENGTH or not _is_ascii_digits(nik):
        return "*" * NIK_LENGTH
    return nik[:4] + "*" * 10 + nik[-2:]
