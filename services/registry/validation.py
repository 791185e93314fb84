"""Rules for a worker's data, shared by the JSON API and bulk imports (pure functions, no database).

Terms: *BPU* (bukan penerima upah) are non-wage workers who insure themselves or are insured by a
sponsor; *JKK* (jaminan kecelakaan kerja) is work-accident cover, *JKM* (jaminan kematian) death cover,
both mandatory; *JHT* (jaminan hari tua) old-age savings, optional.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from services.common.errors import FieldError
from services.common.messages import Message
from services.common.wilayah import check_village_code
from services.registry.nik import DecodedNik, NikError, check_nik_agrees, decode_nik

MIN_INCOME_IDR = 1_000_000
MAX_INCOME_IDR = 20_700_000
TEMPORARY_VALIDITY = dt.timedelta(days=90)
MAX_AGE_YEARS = 120
NAME_LENGTH = 120
# Case folding can triple a name ("ß" → "ss", "ΐ" → three characters): the duplicate key is sized for
# that, and cut there (compatibility ligatures can expand further; a prefix this long still tells
# people apart).
NAME_KEY_LENGTH = 3 * NAME_LENGTH


class WorkerOccupation(StrEnum):
    """Occupation codes of DESIGN §7 (transport: ``ojol``, ``sopir``)."""

    petani = "petani"  # farmer
    nelayan = "nelayan"  # fisher
    pedagang = "pedagang"  # trader
    buruh_harian = "buruh_harian"  # day labourer
    ojol = "ojol"  # ojek and online motorbike taxi
    sopir = "sopir"  # driver
    prt = "prt"  # domestic worker (pekerja rumah tangga)
    pemulung = "pemulung"  # waste picker
    perajin = "perajin"  # craftsperson
    marbot = "marbot"  # mosque caretaker
    lainnya = "lainnya"  # other


Occupation = WorkerOccupation  # short name inside the registry


class WorkerFunding(StrEnum):
    village_fund = "village_fund"  # dana desa (APBDes)
    self_pay = "self_pay"
    other_sponsor = "other_sponsor"


class WorkerStatus(StrEnum):
    registered = "registered"
    active = "active"
    lapsed = "lapsed"
    inactive = "inactive"
    deceased = "deceased"


PROGRAM_ORDER = ("JKK", "JKM", "JHT")
REQUIRED_PROGRAMS = frozenset({"JKK", "JKM"})
_OCCUPATIONS = frozenset(o.value for o in Occupation)
_FUNDINGS = frozenset(f.value for f in WorkerFunding)
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_PHONE = re.compile(r"^\+62[1-9]\d{7,11}$")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LETTER = re.compile(r"[^\W\d_]")
_NAME_KEY_DROP = re.compile(r"[^\w ]")


@dataclass(slots=True)
class WorkerInput:
    """A worker as submitted (JSON body or import row), before the rules are applied."""

    name: str
    village_code: str
    occupation: str
    declared_income_idr: int
    programs: list[str]
    nik: str | None = None
    temporary: bool = False
    birth_date: dt.date | None = None
    sex: str | None = None
    phone: str | None = None
    funding: str = WorkerFunding.village_fund.value
    officer_id: str | None = None
    outreach_session_id: str | None = None
    lead_id: str | None = None


@dataclass(frozen=True, slots=True)
class ValidWorker:
    """A worker that passed every rule, in its stored (canonical) form."""

    nik: str | None
    name: str
    name_key: str
    sex: str
    birth_date: dt.date
    phone: str | None
    village_code: str
    occupation: str
    declared_income_idr: int
    programs: str
    funding: str
    officer_id: str | None
    outreach_session_id: str | None
    lead_id: str | None


def normalise_name(name: str) -> str:
    return _SPACES.sub(" ", name).strip()


def name_key(name: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name, for duplicate detection."""
    folded = name.casefold()
    if not folded.isascii():  # only then can there be accents to strip
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _SPACES.sub(" ", _NAME_KEY_DROP.sub(" ", folded)).strip()[:NAME_KEY_LENGTH]


def normalise_phone(phone: str) -> str | None:
    """E.164 ``+62…`` form of an Indonesian number (``0812…``, ``62812…``, ``+62 812-…``), or None."""
    compact = _PHONE_SEPARATORS.sub("", phone)
    if compact.startswith("0"):
        compact = "+62" + compact[1:]
    elif compact.startswith("62"):
        compact = "+" + compact
    return compact if _PHONE.match(compact) else None


def canonical_programs(programs: list[str]) -> tuple[str | None, str | None]:
    """(``"JKK,JKM[,JHT]"``, None) or (None, reason)."""
    chosen = {p.strip().upper() for p in programs if p.strip()}
    unknown = sorted(chosen - set(PROGRAM_ORDER))
    if unknown:
        return None, Message("registry.unknown_programs", programs=", ".join(unknown))
    if not chosen >= REQUIRED_PROGRAMS:
        return None, Message("registry.jkk_jkm_required")
    return ",".join(p for p in PROGRAM_ORDER if p in chosen), None


def check_nik(nik: str, *, today: dt.date) -> tuple[DecodedNik | None, str | None]:
    try:
        return decode_nik(nik, today=today), None
    except NikError as exc:
        return None, exc.reason


def _age_ok(birth_date: dt.date, today: dt.date) -> bool:
    return birth_date <= today and birth_date.year >= today.year - MAX_AGE_YEARS


def validate_worker(data: WorkerInput, *, today: dt.date) -> tuple[ValidWorker | None, list[FieldError]]:
    """Apply every rule to ``data``; the stored form, or every problem found as ``[{field, reason}]``."""
    errors: list[FieldError] = []

    def fail(field: str, reason: str) -> None:
        errors.append({"field": field, "reason": reason})

    name = normalise_name(data.name)
    if not name:
        fail("name", Message("registry.name_required"))
    elif len(name) > NAME_LENGTH:
        fail("name", Message("registry.name_too_long", max_length=NAME_LENGTH))
    elif _LETTER.search(name) is None:
        fail("name", Message("registry.name_letters"))
    elif _CONTROL.search(name):
        fail("name", Message("registry.name_control"))

    sex, birth_date = data.sex, data.birth_date
    if sex is not None and sex not in ("M", "F"):
        fail("sex", Message("nik.sex_value"))
        sex = None
    nik: str | None = None
    if data.temporary:
        if data.nik:
            fail("nik", Message("registry.nik_or_temporary"))
        if sex is None:
            fail("sex", Message("registry.sex_without_nik"))
        if birth_date is None:
            fail("birth_date", Message("registry.birth_date_without_nik"))
    elif not data.nik:
        fail("nik", Message("registry.nik_required"))
    else:
        decoded, reason = check_nik(data.nik, today=today)
        if decoded is None:
            fail("nik", reason or Message("registry.invalid_nik"))
        else:
            nik = decoded.nik
            for field, why in check_nik_agrees(decoded, sex=sex, birth_date=birth_date):
                fail(field, why)
            sex = decoded.sex
            birth_date = birth_date or decoded.birth_date
    if birth_date is not None and not _age_ok(birth_date, today):
        fail("birth_date", Message("registry.birth_date_range", years=MAX_AGE_YEARS))

    phone: str | None = None
    if data.phone:
        phone = normalise_phone(data.phone)
        if phone is None:
            fail("phone", Message("registry.phone"))

    village_reason = check_village_code(data.village_code)
    if village_reason:
        fail("village_code", village_reason)
    if data.occupation not in _OCCUPATIONS:
        fail("occupation", Message("registry.unknown_occupation", choices=", ".join(sorted(_OCCUPATIONS))))
    income = data.declared_income_idr
    if not MIN_INCOME_IDR <= income <= MAX_INCOME_IDR:
        fail("declared_income_idr", Message("registry.income_range", low=MIN_INCOME_IDR, high=MAX_INCOME_IDR))
    programs, program_reason = canonical_programs(data.programs)
    if program_reason:
        fail("programs", program_reason)
    if data.funding not in _FUNDINGS:
        fail("funding", Message("registry.funding_values", choices=", ".join(sorted(_FUNDINGS))))

    for field in ("officer_id", "outreach_session_id", "lead_id"):
        value = getattr(data, field)
        if value is not None and (len(value) > 64 or _CONTROL.search(value)):
            fail(field, Message("registry.reference_id"))

    if errors or sex is None or birth_date is None or programs is None:
        return None, errors
    return (
        ValidWorker(
            nik=nik,
            name=name,
            name_key=name_key(name),
            sex=sex,
            birth_date=birth_date,
            phone=phone,
            village_code=data.village_code,
            occupation=data.occupation,
            declared_income_idr=income,
            programs=programs,
            funding=data.funding,
            officer_id=data.officer_id,
            outreach_session_id=data.outreach_session_id,
            lead_id=data.lead_id,
        ),
        [],
    )
