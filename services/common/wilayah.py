"""Kode wilayah: Indonesia's official area codes (Kemendagri), ``PP.RR.DD.VVVV``.

Levels: province (``PP``), regency or city (kabupaten/kota, ``PP.RR``), district (kecamatan,
``PP.RR.DD``) and village (``PP.RR.DD.VVVV``). A village's last four digits tell its kind: ``1`` kelurahan
(urban ward, no dana desa), ``2`` desa, ``3`` desa adat (customary village, Papua).

The reference table ships with the package (``data/wilayah``, ODbL, see README), so every service can
validate village codes and pick time zones without calling the registry.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from services.common.messages import Message

AREA_CODE_PATTERN = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"
VILLAGE_CODE_PATTERN = r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"
_AREA_CODE = re.compile(AREA_CODE_PATTERN)
_VILLAGE_CODE = re.compile(VILLAGE_CODE_PATTERN)

DATA_DIR = Path(__file__).resolve().parent / "data" / "wilayah"


class InvalidAreaCode(ValueError):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class AreaLevel(StrEnum):
    province = "province"
    regency = "regency"
    district = "district"
    village = "village"


class VillageKind(StrEnum):
    kelurahan = "kelurahan"
    desa = "desa"
    desa_adat = "desa_adat"


_LEVEL_BY_LENGTH = {2: AreaLevel.province, 5: AreaLevel.regency, 8: AreaLevel.district, 13: AreaLevel.village}

# Keppres 41/1987: the three time zones, by province code.
_WIB = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "18",
    "19",
    "21",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "61",
    "62",
}
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}
_ZONES: dict[str, tuple[str, str]] = {
    **{p: ("Asia/Jakarta", "WIB") for p in _WIB},
    **{p: ("Asia/Makassar", "WITA") for p in _WITA},
    **{p: ("Asia/Jayapura", "WIT") for p in _WIT},
}


def provinces_by_zone() -> dict[str, frozenset[str]]:
    """Province codes per IANA zone, so SQL can compare a date with each village's own local date."""
    zones: dict[str, set[str]] = {}
    for province, (zone, _abbreviation) in _ZONES.items():
        zones.setdefault(zone, set()).add(province)
    return {zone: frozenset(provinces) for zone, provinces in zones.items()}


def validate_area_code(code: str) -> AreaLevel:
    """The level of a well-formed code; :class:`InvalidAreaCode` for anything else."""
    if not _AREA_CODE.match(code):
        raise InvalidAreaCode(code, Message("area.malformed"))
    return _LEVEL_BY_LENGTH[len(code)]


def is_village_code(code: str) -> bool:
    return bool(_VILLAGE_CODE.match(code))


def parent_code(code: str) -> str | None:
    level = validate_area_code(code)
    if level is AreaLevel.province:
        return None
    return code.rsplit(".", 1)[0]


def village_kind(code: str) -> VillageKind | None:
    """Kind of a village by its code; ``None`` for a code that is not a village or has another prefix."""
    if not is_village_code(code):
        return None
    return {"1": VillageKind.kelurahan, "2": VillageKind.desa, "3": VillageKind.desa_adat}.get(code[9])


def timezone_name(code: str) -> str:
    """IANA zone of any area, from its province (WIB ``Asia/Jakarta``, WITA ``Asia/Makassar``,
    WIT ``Asia/Jayapura``)."""
    try:
        return _ZONES[code[:2]][0]
    except KeyError:
        raise InvalidAreaCode(code, Message("area.no_time_zone", province=code[:2])) from None


def zone_abbreviation(code: str) -> str:
    try:
        return _ZONES[code[:2]][1]
    except KeyError:
        raise InvalidAreaCode(code, Message("area.no_time_zone", province=code[:2])) from None


@dataclass(frozen=True, slots=True)
class AreaRecord:
    code: str
    name: str
    level: AreaLevel
    parent_code: str | None


_FILES = (
    ("provinces.csv", AreaLevel.province, None),
    ("regencies.csv", AreaLevel.regency, "province_code"),
    ("districts.csv", AreaLevel.district, "regency_code"),
    ("villages.csv", AreaLevel.village, "district_code"),
)


def iter_reference_areas(data_dir: Path = DATA_DIR) -> Iterator[AreaRecord]:
    """Every area of the shipped reference table, parents before children."""
    for filename, level, parent_column in _FILES:
        with (data_dir / filename).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                yield AreaRecord(
                    code=row["code"],
                    name=row["name"].strip(),
                    level=level,
                    parent_code=row[parent_column] if parent_column else None,
                )


@lru_cache(maxsize=1)
def reference_village_codes() -> frozenset[str]:
    with (DATA_DIR / "villages.csv").open(encoding="utf-8", newline="") as handle:
        return frozenset(row["code"] for row in csv.DictReader(handle))


def is_known_village(code: str) -> bool:
    return code in reference_village_codes()


def check_village_code(code: str) -> str | None:
    """Reason why ``code`` is not a usable village code, or ``None`` when it is one."""
    if not is_village_code(code):
        return Message("area.village_malformed")
    if not is_known_village(code):
        return Message("area.unknown_village")
    return None
