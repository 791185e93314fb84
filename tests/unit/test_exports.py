"""The export writer (formula safety, formats, content negotiation) and the OpenSID column mapping."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from services.common import exports
from services.common.exports import ExportFormat, NotAcceptable, choose_format, neutralise, write_table
from services.registry import opensid

WIB = ZoneInfo("Asia/Jakarta")


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        "+6281234567890",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "\uff1dHYPERLINK()",
        '=HYPERLINK("http://x","y")',
    ],
)
def test_formula_triggers_are_prefixed(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Siti Aminah", "", "'already", "a=b", "3326**********01", " =x"])
def test_other_text_is_left_alone(value: str) -> None:
    assert neutralise(value) == value


def _csv_rows(columns: list[str], rows: list[list[exports.Cell]]) -> tuple[bytes, list[list[str]]]:
    raw = write_table(columns, rows, ExportFormat.csv).read()
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_is_utf8_with_bom_and_typed_values_written_plainly() -> None:
    moment = dt.datetime(2026, 11, 29, 3, 0, tzinfo=dt.UTC).astimezone(WIB)
    raw, rows = _csv_rows(
        ["name", "income", "balance", "date", "at", "none"],
        [['Ñoño, "Jr"', 1_500_000, -5_000, dt.date(2026, 1, 2), moment, None]],
    )
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert rows == [
        ["name", "income", "balance", "date", "at", "none"],
        ['Ñoño, "Jr"', "1500000", "-5000", "2026-01-02", "2026-11-29T10:00:00+07:00", ""],
    ]


def test_xlsx_strings_are_never_formulas_and_numbers_stay_numbers() -> None:
    moment = dt.datetime(2026, 11, 29, 3, 0, tzinfo=dt.UTC).astimezone(WIB)
    spool = write_table(
        ["name", "income", "date", "at"],
        [["=1+1", 1_500_000, dt.date(2026, 1, 2), moment], ["@cmd\x01", -5, None, None]],
        ExportFormat.xlsx,
        sheet_title="workers",
    )
    workbook = load_workbook(io.BytesIO(spool.read()))
    sheet = workbook["workers"]
    assert sheet.freeze_panes == "A2"  # the header stays in view
    first, second = list(sheet.iter_rows(min_row=2))
    assert (first[0].value, first[0].data_type) == ("'=1+1", "s")
    assert first[1].value == 1_500_000 and first[1].data_type == "n"
    assert first[2].value == dt.datetime(2026, 1, 2) and first[2].number_format == "yyyy-mm-dd"
    assert first[3].value == "2026-11-29T10:00:00+07:00"
    assert second[0].value == "'@cmd"  # control character dropped (XML cannot hold it)
    assert second[1].value == -5


def test_too_many_rows_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "MAX_EXPORT_ROWS", 3)
    for export in ExportFormat:
        with pytest.raises(exports.ExportTooLarge):
            write_table(["n"], ([i] for i in range(4)), export)
        write_table(["n"], ([i] for i in range(3)), export)


@pytest.mark.parametrize(
    ("requested", "accept", "expected"),
    [
        (None, None, ExportFormat.csv),
        (None, "*/*", ExportFormat.csv),
        (None, "text/csv", ExportFormat.csv),
        (None, exports.XLSX_MEDIA_TYPE, ExportFormat.xlsx),
        (None, f"text/csv;q=0.5, {exports.XLSX_MEDIA_TYPE}", ExportFormat.xlsx),
        (None, f"{exports.XLSX_MEDIA_TYPE};q=0.2, text/*;q=0.9", ExportFormat.csv),
        (None, f"application/json, {exports.XLSX_MEDIA_TYPE};q=0.1", ExportFormat.xlsx),
        (ExportFormat.xlsx, "text/csv", ExportFormat.xlsx),
        (ExportFormat.csv, "application/json", ExportFormat.csv),
    ],
)
def test_format_from_query_then_accept(
    requested: ExportFormat | None, accept: str | None, expected: ExportFormat
) -> None:
    assert choose_format(requested, accept) is expected


@pytest.mark.parametrize("accept", ["application/json", "text/csv;q=0", "text/html, application/pdf"])
def test_unacceptable_accept_is_406(accept: str) -> None:
    with pytest.raises(NotAcceptable):
        choose_format(None, accept)


# --- OpenSID ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PETANI/PEKEBUN", "petani"),
        ("Petani / Pekebun", "petani"),
        ("9", "petani"),
        ("NELAYAN/PERIKANAN", "nelayan"),
        ("11", "nelayan"),
        ("PEDAGANG", "pedagang"),
        ("PERDAGANGAN", "pedagang"),
        ("BURUH HARIAN LEPAS", "buruh_harian"),
        ("19", "buruh_harian"),
        ("WIRASWASTA", "lainnya"),
        ("88", "lainnya"),
        ("TUKANG OJEK", "ojol"),
        ("SOPIR", "sopir"),
        ("PEMBANTU RUMAH TANGGA", "prt"),
        ("buruh_harian", "buruh_harian"),  # Sasar's own code, put in by hand
    ],
)
def test_opensid_occupations_map_to_sasar(value: str, expected: str) -> None:
    assert opensid.map_occupation(value) == expected


@pytest.mark.parametrize(
    "value", ["PELAJAR/MAHASISWA", "3", "PEGAWAI NEGERI SIPIL (PNS)", "5", "99", "petani-x"]
)
def test_opensid_occupations_without_equivalent_stay_invalid(value: str) -> None:
    mapped = opensid.map_occupation(value)
    assert mapped == "opensid:" + value
    reason = opensid.unmapped_occupation(mapped)
    assert reason is not None and repr(value) in reason and "petani" in reason
    assert opensid.unmapped_occupation("petani") is None


def test_opensid_rows_are_translated_and_extras_dropped() -> None:
    source = iter(
        [
            ["NIK", "Nama", "no_kk", "sex", "tanggallahir", "pekerjaan_id", "declared_income_idr"],
            ["'3326154107900001", "SITI", "33", "2", "01-07-1990", "9", "1500000"],
            ["", "", "", "", "", "", ""],
            ["3326151203850001", "BUDI", "33", "1", "1985-03-12", "19", "1500000", "extra"],
        ]
    )
    header, *rows = list(opensid.prepare_rows(source))
    assert header == ["nik", "name", "sex", "birth_date", "occupation", "declared_income_idr", "programs"]
    assert rows[0] == ["3326154107900001", "SITI", "F", "1990-07-01", "petani", "1500000", "JKK;JKM"]
    assert rows[1] == ["", "", "", "", "", "", ""]  # a blank row stays blank
    assert rows[2] == [
        "3326151203850001",
        "BUDI",
        "M",
        "1985-03-12",
        "buruh_harian",
        "1500000",
        "JKK;JKM",
        "extra",
    ]


def test_opensid_programs_column_is_kept_when_given() -> None:
    source = iter(
        [
            ["nik", "nama", "sex", "tanggallahir", "pekerjaan", "programs"],
            ["1", "A", "1", "x", "9", "JKK;JKM;JHT"],
        ]
    )
    header, row = list(opensid.prepare_rows(source))
    assert header[-1] == "programs" and row[-1] == "JKK;JKM;JHT"


def test_other_files_pass_through_with_neutralised_cells_restored() -> None:
    source = iter([["name", "phone"], ["'=HYPERLINK()", "'+6281234567890"], ["'Ain", "0812"]])
    assert list(opensid.prepare_rows(source)) == [
        ["name", "phone"],
        ["=HYPERLINK()", "+6281234567890"],
        ["'Ain", "0812"],
    ]


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/v1/workers/export", "registry"),
        ("/v1/workers/lookup", "registry"),
        ("/v1/worker-imports/template", "registry"),
        ("/v1/invoices/export", "funding"),
        ("/v1/payments/export", "funding"),
        ("/v1/villages/33.26.15.2001/statement/export", "funding"),
    ],
)
def test_every_export_is_routed_by_the_gateway(path: str, service: str) -> None:
    from gateway.routing import service_for_path

    assert service_for_path(path) == service
