"""Helpers for registry tests: valid worker bodies and NIKs."""

from __future__ import annotations

from typing import Any

VILLAGE = "33.26.15.2001"  # Wuled, Pekalongan (WIB)
OTHER_VILLAGE = "33.26.15.2002"
FAR_VILLAGE = "91.03.01.1001"  # Sentani Kota, Papua (WIT)
NIK_WOMAN = "3326154107900001"  # 1 July 1990, female (day 41)


def nik_for(serial: int, *, day: int = 12, month: int = 3, yy: int = 85, woman: bool = False) -> str:
    return f"332615{day + (40 if woman else 0):02d}{month:02d}{yy:02d}{serial:04d}"


def worker_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nik": NIK_WOMAN,
        "name": "Siti Aminah",
        "phone": "0812-3456-7890",
        "village_code": VILLAGE,
        "occupation": "petani",
        "declared_income_idr": 1_500_000,
        "programs": ["JKK", "JKM"],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def temporary_body(**overrides: Any) -> dict[str, Any]:
    body = worker_body(nik=None, temporary=True, sex="M", birth_date="1980-05-17", name="Budi Santoso")
    body.update(overrides)
    return body


IMPORT_HEADER = (
    "nik,temporary,name,birth_date,sex,phone,village_code,occupation,declared_income_idr,programs,funding"
)

# (cell overrides, field expected in the row's errors) for deliberately bad rows.
BAD_ROWS: list[tuple[dict[str, str], str]] = [
    ({"nik": "33261541079000"}, "nik"),
    ({"nik": "3326150000000001"}, "nik"),
    ({"declared_income_idr": "999"}, "declared_income_idr"),
    ({"declared_income_idr": "1.5e6"}, "declared_income_idr"),
    ({"programs": "JKK"}, "programs"),
    ({"village_code": "33.26.15.9999"}, "village_code"),
    ({"occupation": "pilot"}, "occupation"),
    ({"phone": "555"}, "phone"),
    ({"sex": "F"}, "sex"),
    ({"name": ""}, "name"),
    ({"name": "Ab\x00c"}, "name"),
]


def roster_row(index: int, village: str = "33.26.15.2001", **cells: str) -> dict[str, str]:
    """A valid row with a NIK unique to ``index`` (serials 1-9999, years spread over 1960-1999)."""
    serial = index % 9999 + 1
    yy = 60 + (index // 9999) % 40
    row = {
        "nik": f"3326151203{yy:02d}{serial:04d}",
        "temporary": "",
        "name": f"Pekerja {index}",
        "birth_date": "",
        "sex": "",
        "phone": f"08123{index:07d}",
        "village_code": village,
        "occupation": "nelayan",
        "declared_income_idr": "1500000",
        "programs": "JKK;JKM",
        "funding": "village_fund",
    }
    row.update(cells)
    return row


def roster_csv(rows: list[dict[str, str]]) -> bytes:
    lines = [IMPORT_HEADER]
    columns = IMPORT_HEADER.split(",")
    lines += [",".join(row[c] for c in columns) for row in rows]
    return ("\n".join(lines) + "\n").encode()
