"""Worker rules without a database: validation, phone and name normalisation, lifecycle, import parsing."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from services.registry import imports
from services.registry.lifecycle import ALLOWED, can_transition
from services.registry.validation import (
    WorkerInput,
    WorkerStatus,
    canonical_programs,
    name_key,
    normalise_phone,
    validate_worker,
)

TODAY = dt.date(2026, 11, 25)
BASE = WorkerInput(
    name="Siti Aminah",
    village_code="33.26.15.2001",
    occupation="petani",
    declared_income_idr=1_500_000,
    programs=["JKK", "JKM"],
    nik="3326154107900001",
)


def _fields(data: WorkerInput) -> set[str]:
    valid, errors = validate_worker(data, today=TODAY)
    assert (valid is None) == bool(errors)
    return {e["field"] for e in errors}


def test_valid_worker_is_derived_from_the_nik() -> None:
    valid, errors = validate_worker(BASE, today=TODAY)
    assert errors == [] and valid is not None
    assert (valid.sex, valid.birth_date, valid.programs) == ("F", dt.date(1990, 7, 1), "JKK,JKM")
    assert valid.name_key == "siti aminah"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"nik": "3326157207900001"}, "nik"),  # day 72 - 40 = 32
        ({"nik": "3326153002900001"}, "nik"),  # 30 February
        ({"sex": "M"}, "sex"),
        ({"birth_date": dt.date(1990, 7, 2)}, "birth_date"),
        ({"declared_income_idr": 20_700_001}, "declared_income_idr"),
        ({"programs": ["JKM", "JHT"]}, "programs"),
        ({"village_code": "33.26.15.2999"}, "village_code"),
        ({"name": "1234"}, "name"),
        ({"phone": "+1 555 0100"}, "phone"),
        ({"temporary": True}, "nik"),
    ],
)
def test_each_rule_names_its_field(change: dict[str, object], field: str) -> None:
    assert field in _fields(replace(BASE, **change))  # type: ignore[arg-type]


def test_income_bounds_are_inclusive() -> None:
    assert _fields(replace(BASE, declared_income_idr=1_000_000)) == set()
    assert _fields(replace(BASE, declared_income_idr=20_700_000)) == set()
    assert _fields(replace(BASE, declared_income_idr=999_999)) == {"declared_income_idr"}


def test_temporary_registration_rules() -> None:
    temp = replace(BASE, nik=None, temporary=True, sex="F", birth_date=dt.date(1990, 1, 1))
    valid, _ = validate_worker(temp, today=TODAY)
    assert valid is not None and valid.nik is None
    assert _fields(replace(temp, birth_date=dt.date(2027, 1, 1))) == {"birth_date"}
    assert _fields(replace(temp, birth_date=dt.date(1890, 1, 1))) == {"birth_date"}


def test_century_from_declared_birth_date() -> None:
    # NIK year 21: born 2021 by default, but a declared 1921 (age 105) agrees too.
    old = replace(BASE, nik="3326150101210001", birth_date=dt.date(1921, 1, 1))
    valid, _ = validate_worker(old, today=TODAY)
    assert valid is not None and valid.birth_date == dt.date(1921, 1, 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("081234567890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("(021) 555 1234", "+62215551234"),
        ("0812", None),
        ("+6208123456789", None),
        ("+44 20 7946 0958", None),
    ],
)
def test_phone_normalisation(raw: str, expected: str | None) -> None:
    assert normalise_phone(raw) == expected


def test_name_key_ignores_case_accents_punctuation_and_spacing() -> None:
    assert name_key("  Ni   Luh  Putu-Ayu ") == name_key("ni luh putu ayu") == "ni luh putu ayu"
    assert name_key("Bambang Hériyanto") == "bambang heriyanto"


def test_programs_are_canonical() -> None:
    assert canonical_programs(["jhk", "JKK"])[0] is None
    assert canonical_programs(["JHT", "jkm", "JKK", "JKK"]) == ("JKK,JKM,JHT", None)


def test_lifecycle_table() -> None:
    s = WorkerStatus
    assert can_transition(s.registered, s.active)
    assert can_transition(s.lapsed, s.active)
    assert not can_transition(s.registered, s.lapsed)
    assert not can_transition(s.inactive, s.active)
    assert ALLOWED[s.deceased] == frozenset()
    assert all(s.deceased in ALLOWED[x] for x in (s.registered, s.active, s.lapsed, s.inactive))


def test_import_rows_parse_types_strictly() -> None:
    rows = list(
        imports.iter_rows(
            b"name,nik,occupation,declared_income_idr,programs\nA B,1,petani,1.5e6,JKK\n", "csv"
        )
    )
    assert rows[0][0] == 2
    data, errors = imports.parse_row(rows[0][1], None)
    assert data is None and {e["field"] for e in errors} == {"declared_income_idr", "village_code"}
    data, errors = imports.parse_row({**rows[0][1], "declared_income_idr": "1500000"}, "33.26.15.2001")
    assert errors == [] and data is not None and data.programs == ["JKK"]


def test_import_file_errors() -> None:
    with pytest.raises(imports.ImportFileError, match="missing column"):
        list(imports.iter_rows(b"nik,name\n", "csv"))
    with pytest.raises(imports.ImportFileError, match="empty"):
        list(imports.iter_rows(b"", "csv"))
    too_many = b"nik,name,occupation,declared_income_idr,programs\n" + b"1,a,b,c,d\n" * (imports.MAX_ROWS + 1)
    with pytest.raises(imports.ImportFileError, match="too many rows"):
        list(imports.iter_rows(too_many, "csv"))
    assert imports.detect_format("x.csv", b"PK\x03\x04...") == "xlsx"
