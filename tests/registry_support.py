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
