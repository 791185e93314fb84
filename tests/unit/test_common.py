"""Unit tests of the shared plumbing: settings, area codes, time zones, money, messages, principals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Column, Integer, String, text

from services.common.concurrency import check_if_match, etag
from services.common.db import UTCDateTime, create_db_engine
from services.common.errors import PreconditionFailed, Unauthorized, ValidationProblem
from services.common.logging import mask_niks_in_text
from services.common.messages import preferred_language
from services.common.money import format_idr, round_half_up_div
from services.common.pagination import decode_cursor, encode_cursor
from services.common.principal import Principal, PrincipalKind, decode_principal, encode_principal
from services.common.timeutil import to_area_time, today_in_area
from services.common.wilayah import (
    AreaLevel,
    InvalidAreaCode,
    VillageKind,
    check_village_code,
    parent_code,
    reference_village_codes,
    timezone_name,
    validate_area_code,
    village_kind,
    zone_abbreviation,
)
from services.registry.config import RegistrySettings

STRONG_SECRET = "s" * 40


class TestProductionProfile:
    def test_refuses_default_secret_and_sqlite(self) -> None:
        with pytest.raises(ValidationError) as error:
            RegistrySettings(env="production")
        message = str(error.value)
        assert "SASAR_INTERNAL_SECRET" in message
        assert "SQLite" in message

    def test_refuses_a_short_secret(self) -> None:
        with pytest.raises(ValidationError, match="at least 32"):
            RegistrySettings(
                env="production", internal_secret="short", database_url="postgresql://db/registry"
            )

    def test_accepts_real_settings(self) -> None:
        settings = RegistrySettings(
            env="production", internal_secret=STRONG_SECRET, database_url="postgresql://db/registry"
        )
        assert settings.production_problems() == []

    def test_refuses_a_pinned_business_date(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SASAR_TODAY", "2026-01-05")
        with pytest.raises(ValidationError, match="SASAR_TODAY"):
            RegistrySettings(
                env="production", internal_secret=STRONG_SECRET, database_url="postgresql://db/registry"
            )

    def test_reads_the_component_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SASAR_REGISTRY_DATABASE_URL", "sqlite:////srv/sasar/elsewhere.db")
        monkeypatch.setenv("SASAR_INTERNAL_SECRET", STRONG_SECRET)
        settings = RegistrySettings()
        assert settings.database_url == "sqlite:////srv/sasar/elsewhere.db"
        assert settings.internal_secret.get_secret_value() == STRONG_SECRET


class TestAreaCodes:
    @pytest.mark.parametrize(
        ("code", "level", "parent"),
        [
            ("33", AreaLevel.province, None),
            ("33.26", AreaLevel.regency, "33"),
            ("33.26.15", AreaLevel.district, "33.26"),
            ("33.26.15.2001", AreaLevel.village, "33.26.15"),
        ],
    )
    def test_levels_and_parents(self, code: str, level: AreaLevel, parent: str | None) -> None:
        assert validate_area_code(code) is level
        assert parent_code(code) == parent

    @pytest.mark.parametrize(
        "code", ["3", "33.2", "33.26.1", "33.26.15.201", "33-26", "33.26.15.2001.1", "ab", ""]
    )
    def test_malformed_codes(self, code: str) -> None:
        with pytest.raises(InvalidAreaCode):
            validate_area_code(code)

    def test_village_kinds(self) -> None:
        assert village_kind("33.75.01.1002") is VillageKind.kelurahan
        assert village_kind("33.26.15.2001") is VillageKind.desa
        assert village_kind("91.03.01.3007") is VillageKind.desa_adat
        assert village_kind("33.26.15") is None

    @pytest.mark.parametrize(
        ("code", "zone", "abbreviation"),
        [
            ("11", "Asia/Jakarta", "WIB"),
            ("21.71", "Asia/Jakarta", "WIB"),
            ("62.01", "Asia/Jakarta", "WIB"),
            ("51.01.01.1006", "Asia/Makassar", "WITA"),
            ("64", "Asia/Makassar", "WITA"),
            ("76", "Asia/Makassar", "WITA"),
            ("81", "Asia/Jayapura", "WIT"),
            ("91.03.01.2004", "Asia/Jayapura", "WIT"),
            ("96", "Asia/Jayapura", "WIT"),
        ],
    )
    def test_time_zone_by_province(self, code: str, zone: str, abbreviation: str) -> None:
        assert timezone_name(code) == zone
        assert zone_abbreviation(code) == abbreviation

    def test_every_reference_province_has_a_zone(self) -> None:
        provinces = {code[:2] for code in reference_village_codes()}
        assert len(provinces) == 38
        assert all(timezone_name(p) for p in provinces)
        with pytest.raises(InvalidAreaCode):
            timezone_name("99")

    def test_check_village_code(self) -> None:
        assert len(reference_village_codes()) == 83_762
        assert check_village_code("33.26.15.2001") is None
        assert check_village_code("33.26.15.2999") == "unknown village code"
        assert check_village_code("33.26.15") == "village code must look like PP.RR.DD.VVVV"


class TestTime:
    def test_village_offsets(self) -> None:
        moment = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
        assert to_area_time(moment, "33.26.15.2001").utcoffset() == dt.timedelta(hours=7)
        assert to_area_time(moment, "51.01.01.1006").utcoffset() == dt.timedelta(hours=8)
        assert to_area_time(moment, "91.03.01.2004").utcoffset() == dt.timedelta(hours=9)

    def test_local_date_differs_from_utc_date(self) -> None:
        late_utc = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)
        assert today_in_area("33.26.15.2001", now=late_utc) == dt.date(2026, 12, 31)
        assert today_in_area("91.03.01.2004", now=late_utc) == dt.date(2027, 1, 1)

    def test_naive_times_are_refused(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            to_area_time(dt.datetime(2026, 1, 1), "33")


class TestMoney:
    @pytest.mark.parametrize(
        ("numerator", "denominator", "expected"),
        [(10_000_500, 1000, 10_001), (10_000_499, 1000, 10_000), (5, 10, 1), (4, 10, 0), (0, 7, 0)],
    )
    def test_round_half_up(self, numerator: int, denominator: int, expected: int) -> None:
        assert round_half_up_div(numerator, denominator) == expected

    def test_format(self) -> None:
        assert format_idr(16_800) == "Rp16.800"
        assert format_idr(1_000_000) == "Rp1.000.000"


def test_accept_language() -> None:
    assert preferred_language(None) == "id"
    assert preferred_language("en") == "en"
    assert preferred_language("id-ID,id;q=0.9,en;q=0.8") == "id"
    assert preferred_language("fr, en;q=0.5") == "en"
    assert preferred_language("en;q=0.2, id;q=0.9") == "id"


def test_niks_are_masked_in_log_text() -> None:
    assert mask_niks_in_text("nik=3326154107900001 ok") == "nik=3326**********01 ok"
    assert mask_niks_in_text("amount 12345678901234567") == "amount 12345678901234567"  # 17 digits


class TestPrincipal:
    def test_round_trip(self) -> None:
        principal = Principal(PrincipalKind.village, "key-1", villages=frozenset({"33.26.15.2001"}))
        decoded = decode_principal(encode_principal(principal, STRONG_SECRET), STRONG_SECRET)
        assert decoded == principal
        assert decoded.can_access_village("33.26.15.2001")
        assert not decoded.can_access_village("33.26.15.2002")
        assert decoded.village_filter() == frozenset({"33.26.15.2001"})

    def test_wrong_secret_and_expired_tokens_are_refused(self) -> None:
        principal = Principal(PrincipalKind.internal, "client", scopes=frozenset({"registry:read"}))
        with pytest.raises(Unauthorized):
            decode_principal(encode_principal(principal, STRONG_SECRET), "x" * 40)
        old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        with pytest.raises(Unauthorized):
            decode_principal(encode_principal(principal, STRONG_SECRET, now=old), STRONG_SECRET)

    def test_scopes_only_for_internal_callers(self) -> None:
        internal = Principal(PrincipalKind.internal, "c", scopes=frozenset({"funding:admin"}))
        assert internal.has_scope("funding:admin")
        assert internal.village_filter() is None
        officer = Principal(PrincipalKind.officer, "7", scopes=frozenset({"funding:admin"}))
        assert not officer.has_scope("funding:admin")


def test_cursor_round_trip_and_tampering() -> None:
    code, number = Column("code", String(13)), Column("number", Integer)
    assert decode_cursor(encode_cursor(["33.75.01", 5]), [code, number]) == ["33.75.01", 5]
    with pytest.raises(ValidationProblem):
        decode_cursor("!!!not-base64", [code])
    with pytest.raises(ValidationProblem):
        decode_cursor(encode_cursor(["a"]), [code, number])
    for wrong in ([5, "33"], ["33.75.01", True], ["33.75.01", 2**31], ["x" * 14, 1], ["a\x00", 1]):
        with pytest.raises(ValidationProblem):
            decode_cursor(encode_cursor(wrong), [code, number])


def test_if_match() -> None:
    assert etag(3) == 'W/"3"'
    check_if_match(None, 3)
    check_if_match('W/"3"', 3)
    check_if_match('"3"', 3)
    check_if_match("*", 3)
    with pytest.raises(PreconditionFailed):
        check_if_match('W/"2"', 3)


def test_sqlite_runs_with_wal_foreign_keys_and_utc(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'nested' / 'x.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    finally:
        engine.dispose()
    column = UTCDateTime()
    jakarta = dt.timezone(dt.timedelta(hours=7))
    stored = column.process_bind_param(dt.datetime(2026, 12, 1, 9, 0, tzinfo=jakarta), None)
    assert stored == dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    assert column.process_result_value(dt.datetime(2026, 12, 1, 2, 0), None) == stored
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(dt.datetime(2026, 12, 1, 9, 0), None)
