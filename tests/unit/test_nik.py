"""Unit tests for NIK decoding, agreement checks and masking (services.registry.nik)."""

import dataclasses
from datetime import date
from typing import Any, Literal

import pytest

from services.registry.nik import DecodedNik, NikError, check_nik_agrees, decode_nik, mask_nik

# A fixed clock: the tests must not depend on when they run.
TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("nik", "sex", "birth_date", "region_code", "serial"),
    [
        pytest.param("3326154107900001", "F", date(1990, 7, 1), "33.26.15", 1, id="brief-example-woman"),
        pytest.param("3326150107900001", "M", date(1990, 7, 1), "33.26.15", 1, id="man"),
        pytest.param("3171013112850042", "M", date(1985, 12, 31), "31.71.01", 42, id="man-day-31"),
        pytest.param("3171014101850001", "F", date(1985, 1, 1), "31.71.01", 1, id="woman-day-41"),
        pytest.param("3171017112850001", "F", date(1985, 12, 31), "31.71.01", 1, id="woman-day-71"),
        pytest.param("3326152902000001", "M", date(2000, 2, 29), "33.26.15", 1, id="leap-2000-man"),
        pytest.param("3326156902000001", "F", date(2000, 2, 29), "33.26.15", 1, id="leap-2000-woman"),
        pytest.param("3326152902960001", "M", date(1996, 2, 29), "33.26.15", 1, id="leap-1996-man"),
        pytest.param("3326156902960001", "F", date(1996, 2, 29), "33.26.15", 1, id="leap-1996-woman"),
        pytest.param("3326150107909999", "M", date(1990, 7, 1), "33.26.15", 9999, id="max-serial"),
        pytest.param("1101010101800001", "M", date(1980, 1, 1), "11.01.01", 1, id="aceh"),
        # Regions are split and renumbered, so a prefix absent from today's area table is still valid.
        pytest.param("9999990107900001", "M", date(1990, 7, 1), "99.99.99", 1, id="region-not-in-table"),
    ],
)
def test_decode_valid(
    nik: str, sex: Literal["M", "F"], birth_date: date, region_code: str, serial: int
) -> None:
    decoded = decode_nik(nik, today=TODAY)
    assert decoded == DecodedNik(
        nik=nik, region_code=region_code, birth_date=birth_date, sex=sex, serial=serial
    )
    assert type(decoded.serial) is int


@pytest.mark.parametrize(
    ("today", "ddmmyy", "expected"),
    [
        pytest.param(TODAY, "010126", date(2026, 1, 1), id="this-year-already-passed"),
        pytest.param(TODAY, "011226", date(1926, 12, 1), id="this-year-still-future"),
        pytest.param(TODAY, "251126", date(2026, 11, 25), id="born-today-age-0"),
        pytest.param(TODAY, "261126", date(1926, 11, 26), id="tomorrow-means-last-century"),
        pytest.param(TODAY, "010127", date(1927, 1, 1), id="next-year"),
        pytest.param(TODAY, "010100", date(2000, 1, 1), id="yy-00"),
        pytest.param(TODAY, "311299", date(1999, 12, 31), id="yy-99"),
        pytest.param(TODAY, "010106", date(2006, 1, 1), id="yy-06"),
        pytest.param(date(2000, 1, 1), "010100", date(2000, 1, 1), id="today-2000-born-today"),
        pytest.param(date(2000, 1, 1), "020100", date(1900, 1, 2), id="today-2000-next-day"),
        pytest.param(date(2030, 6, 15), "150630", date(2030, 6, 15), id="other-today-same-day"),
        pytest.param(date(2030, 6, 15), "160630", date(1930, 6, 16), id="other-today-next-day"),
    ],
)
def test_century_is_chosen_around_today(today: date, ddmmyy: str, expected: date) -> None:
    decoded = decode_nik(f"332615{ddmmyy}0001", today=today)
    assert decoded.birth_date == expected
    assert decoded.birth_date <= today


def test_woman_century_uses_real_day_not_encoded_day() -> None:
    # 41 -> day 1: 2026-11-01 is past on TODAY, so 20YY; 66 -> day 26: 2026-11-26 is future, so 19YY.
    assert decode_nik("3326154111260001", today=TODAY).birth_date == date(2026, 11, 1)
    assert decode_nik("3326156611260001", today=TODAY).birth_date == date(1926, 11, 26)


@pytest.mark.parametrize(
    ("value", "reason_part"),
    [
        pytest.param("3326157207900001", "birth day", id="day-72"),
        pytest.param("3326154007900001", "birth day", id="day-40-woman-zero"),
        pytest.param("3326150007900001", "birth day", id="day-00"),
        pytest.param("3326153207900001", "birth day", id="day-32-man"),
        pytest.param("3326159907900001", "birth day", id="day-99"),
        pytest.param("3326150100900001", "birth month", id="month-00"),
        pytest.param("3326150113900001", "birth month", id="month-13"),
        pytest.param("3326154199900001", "birth month", id="month-99-woman"),
        pytest.param("3326152902010001", "calendar date", id="29-feb-non-leap-man"),
        pytest.param("3326156902010001", "calendar date", id="29-feb-non-leap-woman"),
        pytest.param("3326152902250001", "calendar date", id="29-feb-2025"),
        pytest.param("3326153002960001", "calendar date", id="30-feb"),
        pytest.param("3326153104900001", "calendar date", id="31-apr-man"),
        pytest.param("3326157104900001", "calendar date", id="31-apr-woman"),
        pytest.param("3326154107900000", "serial", id="serial-0000"),
        pytest.param("0000000000000000", "NIK", id="all-zero"),
        pytest.param("0026154107900001", "province 00", id="province-00"),
        pytest.param("332615410790000", "16 digits", id="15-digits"),
        pytest.param("33261541079000011", "16 digits", id="17-digits"),
        pytest.param("", "16 digits", id="empty"),
        pytest.param("33261541079000A1", "16 digits", id="letter"),
        pytest.param("abcdefghijklmnop", "16 digits", id="all-letters"),
        pytest.param(" 3326154107900001", "16 digits", id="leading-space"),
        pytest.param("3326154107900001 ", "16 digits", id="trailing-space"),
        pytest.param("3326154107900001\n", "16 digits", id="trailing-newline"),
        pytest.param("332615 107900001", "16 digits", id="inner-space-16-chars"),
        pytest.param("33.26.15.410790.0001", "16 digits", id="dotted"),
        pytest.param("-326154107900001", "16 digits", id="minus-sign"),
        pytest.param("\uff13326154107900001", "16 digits", id="full-width-digit"),
        pytest.param("\uff13" * 16, "16 digits", id="all-full-width"),
        pytest.param("\u0663\u0663\u0662\u0666154107900001", "16 digits", id="arabic-indic-digits"),
        pytest.param("\u00b2326154107900001", "16 digits", id="superscript-two"),
    ],
)
def test_decode_invalid(value: str, reason_part: str) -> None:
    with pytest.raises(NikError) as caught:
        decode_nik(value, today=TODAY)
    assert reason_part in caught.value.reason
    assert str(caught.value) == caught.value.reason


def test_29_february_1900_is_rejected() -> None:
    # On 2000-01-15, "290200" cannot be 2000 (future), and 1900 was not a leap year.
    with pytest.raises(NikError, match="calendar date"):
        decode_nik("3326152902000001", today=date(2000, 1, 15))


@pytest.mark.parametrize("value", [3326154107900001, None, b"3326154107900001"])
def test_decode_rejects_non_strings(value: Any) -> None:
    with pytest.raises(NikError, match="16 digits"):
        decode_nik(value, today=TODAY)


def test_nik_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        decode_nik("1", today=TODAY)


def test_decoded_nik_is_frozen() -> None:
    decoded = decode_nik("3326154107900001", today=TODAY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decoded.sex = "M"  # type: ignore[misc]


WOMAN_1990 = decode_nik("3326154107900001", today=TODAY)  # F, 1990-07-01


@pytest.mark.parametrize(
    ("sex", "birth_date", "fields"),
    [
        pytest.param(None, None, [], id="nothing-given"),
        pytest.param("F", None, [], id="sex-agrees"),
        pytest.param(None, date(1990, 7, 1), [], id="birth-date-agrees"),
        pytest.param("F", date(1990, 7, 1), [], id="both-agree"),
        pytest.param("M", None, ["sex"], id="sex-disagrees"),
        pytest.param("f", None, ["sex"], id="sex-lowercase-not-accepted"),
        pytest.param("X", None, ["sex"], id="sex-unknown-value"),
        pytest.param(None, date(1990, 7, 2), ["birth_date"], id="day-disagrees"),
        pytest.param(None, date(1990, 8, 1), ["birth_date"], id="month-disagrees"),
        pytest.param(None, date(1991, 7, 1), ["birth_date"], id="year-disagrees"),
        pytest.param("M", date(1990, 7, 2), ["sex", "birth_date"], id="both-disagree"),
    ],
)
def test_check_nik_agrees(sex: str | None, birth_date: date | None, fields: list[str]) -> None:
    problems = check_nik_agrees(WOMAN_1990, sex=sex, birth_date=birth_date)
    assert [field for field, _ in problems] == fields
    assert all(reason for _, reason in problems)


def test_check_nik_agrees_man() -> None:
    man = decode_nik("3326150107900001", today=TODAY)
    assert check_nik_agrees(man, sex="M", birth_date=date(1990, 7, 1)) == []
    [(field, reason)] = check_nik_agrees(man, sex="F", birth_date=None)
    assert field == "sex"
    assert "male" in reason


def test_check_nik_agrees_ignores_century() -> None:
    # The NIK only holds YY: decoded as 2021, but a 105-year-old born in 1921 has the same digits.
    decoded = decode_nik("3326150107210001", today=TODAY)
    assert decoded.birth_date == date(2021, 7, 1)
    assert check_nik_agrees(decoded, sex="M", birth_date=date(1921, 7, 1)) == []


@pytest.mark.parametrize(
    ("nik", "masked"),
    [
        pytest.param("3326154107900001", "3326**********01", id="brief-example"),
        pytest.param("1101010101800042", "1101**********42", id="other"),
        pytest.param("33261541079000", "*" * 16, id="too-short-fully-masked"),
        pytest.param("33261541079000011", "*" * 16, id="too-long-fully-masked"),
        pytest.param("3326 54107900001", "*" * 16, id="non-digit-fully-masked"),
        pytest.param("", "*" * 16, id="empty"),
    ],
)
def test_mask_nik(nik: str, masked: str) -> None:
    assert mask_nik(nik) == masked
    assert len(mask_nik(nik)) == 16
