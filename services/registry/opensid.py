"""Reading an OpenSID population export (``nik, nama, sex, tanggallahir, pekerjaan, …``) as an import.

OpenSID is the village information system most desa run; its population export has one row per resident
with its own column names and codes. :func:`prepare_rows` sits at the start of import parsing: it reads
the header row, and when it is OpenSID's (``nik``, ``nama``, ``sex``, ``tanggallahir`` and ``pekerjaan``
or ``pekerjaan_id``) it rewrites the header and every row to the import's own columns, so the rest of
the import (validation, the set-based bulk path) is unchanged:

- ``nama`` → ``name``; ``tanggallahir`` → ``birth_date`` (``YYYY-MM-DD``; ``DD-MM-YYYY`` is turned
  around); ``sex`` 1 → ``M``, 2 → ``F`` (``L``/``P`` and the words too); ``telepon`` → ``phone``;
- ``pekerjaan`` (a name of OpenSID's occupation list, e.g. ``PETANI/PEKEBUN``) or ``pekerjaan_id`` (its
  code, e.g. ``9``) → ``occupation`` through :data:`OCCUPATION_BY_CODE`; an occupation with no Sasar
  equivalent (no work, pupils, pensioners, wage employees and officials are not informal workers) is a
  per-row error on ``occupation``;
- OpenSID has no declared income and no programme choice: ``declared_income_idr`` is a required extra
  column (the village adds it; an income is a decision, not a default), ``programs`` an optional one that
  defaults to ``JKK;JKM`` (the mandatory pair); ``village_code`` and the import's other columns may be
  added too, and default as for any import;
- every other OpenSID column (``no_kk``, ``alamat``, ``agama_id``, …) is ignored.

Independently of OpenSID, a cell that a Sasar export neutralised against formula injection (``'=…``,
``'+62…``) has its ``'`` removed, so an export can be edited and imported back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from services.common.exports import FORMULA_TRIGGERS
from services.common.messages import Message
from services.registry.validation import WorkerOccupation

DEFAULT_PROGRAMS = "JKK;JKM"
_OPENSID_REQUIRED = frozenset({"nik", "nama", "sex", "tanggallahir"})
_RENAMED = {"nama": "name", "tanggallahir": "birth_date", "sex": "sex", "telepon": "phone", "nik": "nik"}
# The import's own columns that may be added to an OpenSID file (kept under their names).
_SASAR_EXTRAS = (
    "declared_income_idr",
    "programs",
    "village_code",
    "funding",
    "phone",
    "temporary",
    "officer_id",
    "outreach_session_id",
    "lead_id",
)
_OCCUPATION = "occupation"
# OpenSID's occupation list (the Dukcapil list: code, name) mapped to Sasar's occupations. Codes and
# names not listed have no informal-worker equivalent and are refused per row.
OCCUPATION_BY_CODE: dict[int, tuple[str, str]] = {
    8: ("PERDAGANGAN", "pedagang"),
    9: ("PETANI/PEKEBUN", "petani"),
    10: ("PETERNAK", "petani"),
    11: ("NELAYAN/PERIKANAN", "nelayan"),
    12: ("INDUSTRI", "perajin"),
    13: ("KONSTRUKSI", "buruh_harian"),
    14: ("TRANSPORTASI", "sopir"),
    19: ("BURUH HARIAN LEPAS", "buruh_harian"),
    20: ("BURUH TANI/PERKEBUNAN", "petani"),
    21: ("BURUH NELAYAN/PERIKANAN", "nelayan"),
    22: ("BURUH PETERNAKAN", "petani"),
    23: ("PEMBANTU RUMAH TANGGA", "prt"),
    24: ("TUKANG CUKUR", "lainnya"),
    25: ("TUKANG LISTRIK", "lainnya"),
    26: ("TUKANG BATU", "buruh_harian"),
    27: ("TUKANG KAYU", "perajin"),
    28: ("TUKANG SOL SEPATU", "perajin"),
    29: ("TUKANG LAS/PANDAI BESI", "perajin"),
    30: ("TUKANG JAHIT", "perajin"),
    32: ("PENATA RIAS", "lainnya"),
    33: ("PENATA BUSANA", "perajin"),
    34: ("PENATA RAMBUT", "lainnya"),
    35: ("MEKANIK", "lainnya"),
    36: ("SENIMAN", "perajin"),
    38: ("PARAJI", "lainnya"),
    41: ("IMAM MASJID", "marbot"),
    46: ("JURU MASAK", "lainnya"),
    81: ("SOPIR", "sopir"),
    88: ("WIRASWASTA", "lainnya"),
    89: ("LAINNYA", "lainnya"),
}
# Names seen in OpenSID installations that are not on the standard list (villages extend it).
_EXTRA_NAMES = {
    "PEDAGANG": "pedagang",
    "PETANI": "petani",
    "NELAYAN": "nelayan",
    "TUKANG OJEK": "ojol",
    "OJEK": "ojol",
    "OJEK ONLINE": "ojol",
    "MARBOT": "marbot",
    "PEMULUNG": "pemulung",
    "PERAJIN": "perajin",
    "PENGRAJIN": "perajin",
    "IMAM MESJID": "marbot",
    "PETANI/PERKEBUNAN": "petani",
}
OCCUPATION_BY_NAME: dict[str, str] = {name: sasar for name, sasar in OCCUPATION_BY_CODE.values()}
OCCUPATION_BY_NAME.update(_EXTRA_NAMES)
_SASAR_OCCUPATIONS = frozenset(o.value for o in WorkerOccupation)
_SEX = {"1": "M", "2": "F", "L": "M", "P": "F", "LAKI-LAKI": "M", "PEREMPUAN": "F", "M": "M", "F": "F"}
_DAY_FIRST = re.compile(r"^(\d{2})[-/.](\d{2})[-/.](\d{4})$")
_SPACES = re.compile(r"\s+")
# Marks an occupation with no Sasar equivalent: the import reports it as the row's error.
UNMAPPED_PREFIX = "opensid:"


def is_opensid_header(names: Iterable[str]) -> bool:
    present = set(names)
    return present >= _OPENSID_REQUIRED and bool({"pekerjaan", "pekerjaan_id"} & present)


def map_occupation(value: str) -> str:
    """Sasar's occupation for an OpenSID code or name; ``opensid:<value>`` when there is none."""
    if value.strip().lower() in _SASAR_OCCUPATIONS:  # Sasar's own code, e.g. after a fix by hand
        return value.strip().lower()
    text = _SPACES.sub(" ", value.strip().upper())
    text = re.sub(r"\s*/\s*", "/", text)
    if text.isdigit():
        entry = OCCUPATION_BY_CODE.get(int(text))
        if entry is not None:
            return entry[1]
    elif text in OCCUPATION_BY_NAME:
        return OCCUPATION_BY_NAME[text]
    return UNMAPPED_PREFIX + value.strip()


def unmapped_occupation(value: str) -> str | None:
    """The row error for an OpenSID occupation :func:`map_occupation` could not map, else None."""
    if not value.startswith(UNMAPPED_PREFIX):
        return None
    choices = ", ".join(sorted(_SASAR_OCCUPATIONS))
    return Message(
        "import.opensid_occupation", occupation=repr(value[len(UNMAPPED_PREFIX) :]), choices=choices
    )


def _birth_date(value: str) -> str:
    match = _DAY_FIRST.match(value.strip())
    return f"{match[3]}-{match[2]}-{match[1]}" if match else value


def _unneutralised(value: str) -> str:
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_TRIGGERS else value


class _OpenSidLayout:
    """Positions of the columns kept from an OpenSID header, and the header the import sees."""

    def __init__(self, names: list[str]) -> None:
        occupation_column = "pekerjaan" if "pekerjaan" in names else "pekerjaan_id"
        self.kept: list[tuple[int, str]] = []
        for position, name in enumerate(names):
            if name == occupation_column:
                self.kept.append((position, _OCCUPATION))
            elif name in _RENAMED and _RENAMED[name] not in {n for _, n in self.kept}:
                self.kept.append((position, _RENAMED[name]))
            elif name in _SASAR_EXTRAS and name not in {n for _, n in self.kept}:
                self.kept.append((position, name))
        self.width = len(names)
        self.add_programs = "programs" not in {n for _, n in self.kept}
        self.header = [n for _, n in self.kept] + (["programs"] if self.add_programs else [])

    def row(self, values: list[str]) -> list[str]:
        out: list[str] = []
        for position, name in self.kept:
            value = values[position] if position < len(values) else ""
            if name == _OCCUPATION:
                value = map_occupation(value) if value else ""
            elif name == "sex":
                value = _SEX.get(value.strip().upper(), value)
            elif name == "birth_date":
                value = _birth_date(value)
            elif name == "nik" and value.startswith("'"):
                value = value[1:]  # spreadsheets' way of keeping 16 digits as text
            out.append(value)
        if self.add_programs:
            out.append(DEFAULT_PROGRAMS)
        # Cells beyond the header stay at the end, so the import still reports the overflow.
        return out + values[self.width :]


def prepare_rows(source: Iterator[list[str]]) -> Iterator[list[str]]:
    """``source`` (header first) as the import reads it: OpenSID translated, neutralised cells restored."""
    try:
        header = next(source)
    except StopIteration:
        return
    names = [h.strip().lower() for h in header]
    layout = _OpenSidLayout(names) if is_opensid_header(names) else None
    yield layout.header if layout is not None else header
    for values in source:
        if not any(values):
            yield values  # blank rows stay blank (the import skips and counts them)
            continue
        if "'" in "".join(values):  # one scan of the row finds the rare neutralised cell
            values = [_unneutralised(v) for v in values]
        yield layout.row(values) if layout is not None else values
