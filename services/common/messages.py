"""Message catalogue: problem titles, details and field reasons in Bahasa Indonesia (default) and English.

Clients choose with ``Accept-Language``; anything that does not prefer ``en`` gets ``id``.

A client-facing text is a :class:`Message`: a ``str`` holding its English rendering (so logs, f-strings and
code that only needs text keep working) that also remembers its catalogue key and parameters, so the
problem renderer can render it again in the caller's language. Raise sites pass ``Message(key, **params)``
(or an exception class's own key); anything else that reaches a client stays as it is.
"""

from __future__ import annotations

import contextlib
import json
import string
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple, overload

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

CATALOGUE: dict[str, dict[str, str]] = {
    "validation-error": {"id": "Data tidak valid", "en": "Invalid data"},
    "bad-request": {"id": "Permintaan tidak valid", "en": "Bad request"},
    "unauthorized": {"id": "Autentikasi diperlukan", "en": "Authentication required"},
    "forbidden": {"id": "Akses ditolak", "en": "Forbidden"},
    "not-found": {"id": "Tidak ditemukan", "en": "Not found"},
    "method-not-allowed": {"id": "Metode tidak diizinkan", "en": "Method not allowed"},
    "conflict": {"id": "Konflik dengan data yang ada", "en": "Conflict with existing data"},
    "precondition-failed": {"id": "Versi data sudah berubah", "en": "Precondition failed"},
    "payload-too-large": {"id": "Data terlalu besar", "en": "Payload too large"},
    "unsupported-media-type": {"id": "Jenis konten tidak didukung", "en": "Unsupported media type"},
    "rate-limited": {"id": "Terlalu banyak permintaan", "en": "Too many requests"},
    "internal-error": {"id": "Terjadi kesalahan internal", "en": "Internal server error"},
    "service-unavailable": {"id": "Layanan tidak tersedia", "en": "Service unavailable"},
    "database-unavailable": {
        "id": "Basis data sementara tidak tersedia",
        "en": "Database briefly unavailable",
    },
    "gateway-timeout": {"id": "Layanan tidak menjawab tepat waktu", "en": "Upstream timed out"},
    "bad-gateway": {"id": "Jawaban layanan tidak valid", "en": "Bad gateway"},
    "unknown-area": {"id": "Kode wilayah tidak dikenal", "en": "Unknown area code"},
    "invalid-area-code": {"id": "Format kode wilayah salah", "en": "Malformed area code"},
}


def preferred_language(accept_language: str | None) -> str:
    """``en`` when the client ranks English above Indonesian (q-values honoured), else ``id``.

    ``en``, ``en-US`` … count as English, ``id``, ``id-ID`` (and the old code ``in``) as Indonesian;
    other languages and ``*`` are ignored, and ``q=0`` means "not this one".
    """
    if not accept_language:
        return DEFAULT_LANGUAGE
    best_lang, best_q = DEFAULT_LANGUAGE, 0.0
    for index, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        lang = pieces[0].strip().lower().split("-")[0]
        lang = "id" if lang == "in" else lang
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        if q <= 0.0 or lang not in LANGUAGES:
            continue
        # Earlier entries win ties, as in HTTP's own ordering convention.
        q -= index * 1e-6
        if q > best_q:
            best_lang, best_q = lang, q
    return best_lang


# The language of the request being served (set by the request-id middleware from Accept-Language), for
# texts rendered outside a problem answer, such as the stored reasons of an import's rejected rows.
_request_language: ContextVar[str] = ContextVar("sasar_request_language", default=DEFAULT_LANGUAGE)


def current_language() -> str:
    return _request_language.get()


def set_request_language(accept_language: str | None) -> Any:
    """Bind the request's language; returns the token to reset it with."""
    return _request_language.set(preferred_language(accept_language))


def reset_request_language(token: Any) -> None:
    _request_language.reset(token)


def title_for(slug: str, language: str, fallback: str | None = None) -> str:
    entry = CATALOGUE.get(slug)
    if entry is None:
        return fallback or slug.replace("-", " ").capitalize()
    return entry.get(language) or entry["id"]


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    en: str

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.id


class Phrase(NamedTuple):
    """A parameter value that itself differs by language (``'a' or 'b'`` / ``'a' atau 'b'``)."""

    id: str
    en: str


class _Formatter(string.Formatter):
    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Message | FieldList):
            value = value.render(self.language)
        elif isinstance(value, Phrase):
            value = value.en if self.language == "en" else value.id
        text: str = super().format_field(value, format_spec)
        if self.language == "id" and "," in format_spec:
            # Indonesian groups thousands with a dot: 1.000.000.
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text


def render_template(template: str, params: Mapping[str, Any], language: str) -> str:
    return _Formatter(language).vformat(template, (), params)


def placeholders(template: str) -> frozenset[str]:
    """The parameter names a template uses (format specs aside)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


class Message(str):
    """Client-facing text by key: ``str(message)`` is English; :meth:`render` gives either language."""

    key: str
    params: dict[str, Any]

    def __new__(cls, key: str, /, **params: Any) -> Message:
        # An unknown key fails where it is raised (and in the tests), not when a client is answered.
        template = MESSAGES[key]
        return cls._make(key, params, render_template(template.en, params, "en"))

    @classmethod
    def with_english(cls, key: str, english: str, /, **params: Any) -> Message:
        """A message whose English text comes from elsewhere (pydantic's own wording), kept exactly."""
        MESSAGES[key]
        return cls._make(key, params, english)

    @classmethod
    def _make(cls, key: str, params: dict[str, Any], english: str) -> Message:
        message = str.__new__(cls, english)
        message.key, message.params = key, params
        return message

    def render(self, language: str) -> str:
        if language == "en":
            return str.__str__(self)
        return render_template(MESSAGES[self.key].text(language), self.params, language)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Message._make, (self.key, self.params, str.__str__(self)))


@overload
def localise(text: str, language: str) -> str: ...


@overload
def localise(text: None, language: str) -> None: ...


def localise(text: str | None, language: str) -> str | None:
    """``text`` in ``language`` when it is a :class:`Message`; other text as it is."""
    return text.render(language) if isinstance(text, Message) else text


def dump_field_errors(errors: Sequence[Mapping[str, object]]) -> str:
    """Field errors as JSON for storage; a :class:`Message` reason keeps its key and parameters so it
    can be shown later in the reader's language (:func:`load_field_errors`)."""
    stored: list[dict[str, Any]] = []
    for error in errors:
        item: dict[str, Any] = {"field": error["field"], "reason": str(error["reason"])}
        reason = error["reason"]
        if isinstance(reason, Message):
            item["key"], item["params"] = reason.key, reason.params
        stored.append(item)
    return json.dumps(stored, default=str)


def _restored(value: Any) -> Any:
    # A Phrase is stored as a two-string JSON array.
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return Phrase(value[0], value[1])
    return value


def load_field_errors(stored: str | None, language: str | None = None) -> list[dict[str, str]]:
    """Stored field errors with each reason in ``language`` (default: the current request's)."""
    if not stored:
        return []
    language = language or current_language()
    result: list[dict[str, str]] = []
    for item in json.loads(stored):
        reason = str(item["reason"])
        key = item.get("key")
        if isinstance(key, str) and key in MESSAGES:
            params = {name: _restored(value) for name, value in dict(item.get("params") or {}).items()}
            # A template changed since the row was stored: its English text still holds.
            with contextlib.suppress(KeyError, IndexError, ValueError):
                reason = Message._make(key, params, reason).render(language)
        result.append({"field": str(item["field"]), "reason": reason})
    return result


class FieldList:
    """``field: reason; …`` rendered with each reason in the caller's language."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self.items = items

    def render(self, language: str) -> str:
        return "; ".join(f"{field}: {localise(reason, language)}" for field, reason in self.items)

    def __str__(self) -> str:
        return self.render("en")


# pydantic error ``type`` -> catalogue key; the key's parameters come from the error's ``ctx``.
_VALIDATION_KEYS: dict[str, str] = {
    kind: "pydantic." + kind
    for kind in (
        "missing",
        "extra_forbidden",
        "string_type",
        "string_too_short",
        "string_too_long",
        "string_pattern_mismatch",
        "string_unicode",
        "int_type",
        "int_parsing",
        "int_parsing_size",
        "int_from_float",
        "float_type",
        "float_parsing",
        "finite_number",
        "bool_type",
        "bool_parsing",
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "multiple_of",
        "enum",
        "literal_error",
        "json_invalid",
        "json_type",
        "dict_type",
        "list_type",
        "model_type",
        "model_attributes_type",
        "too_short",
        "too_long",
        "datetime_type",
        "datetime_parsing",
        "datetime_from_date_parsing",
        "datetime_object_invalid",
        "date_type",
        "date_parsing",
        "date_from_datetime_parsing",
        "date_from_datetime_inexact",
        "time_parsing",
        "time_type",
        "timezone_aware",
        "timezone_naive",
        "uuid_parsing",
        "uuid_type",
        "url_parsing",
        "url_scheme",
        "url_type",
        "url_too_long",
        "decimal_parsing",
        "decimal_type",
        "bytes_type",
        "union_tag_invalid",
        "union_tag_not_found",
        "none_required",
        "set_type",
        "tuple_type",
        "frozen_set_type",
        "value_error",
        "assertion_error",
    )
}


# Patterns whose refusal reads better in domain words than as the regular expression (Indonesian only:
# English keeps pydantic's wording). tests/unit/test_messages.py checks they are the patterns in use.
PATTERN_REASONS: dict[str, str] = {
    r"^[0-9]{8}$": "pattern.nrp",
    r"^[0-9]{4}-[0-9]{2}$": "pattern.period",
    r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$": "pattern.village_code",
    r"^[a-z]{3}_[0-9a-f-]{36}$": "pattern.job_id",
}


def _alternatives(expected: str) -> Phrase:
    # pydantic writes choices as "'a', 'b' or 'c'".
    return Phrase(expected.replace(" or ", " atau "), expected)


def validation_reason(error: Mapping[str, Any]) -> str:
    """A pydantic error as a field reason: our own message when a validator raised one, else pydantic's
    English wording kept exactly for ``en`` and the catalogue's Indonesian for ``id``."""
    english = str(error.get("msg", "invalid value"))
    if english.startswith("Value error, "):
        english = english[len("Value error, ") :]
    if english.startswith("Assertion failed, "):
        english = english[len("Assertion failed, ") :]
    ctx = dict(error.get("ctx") or {})
    raised = ctx.get("error")
    if isinstance(raised, BaseException) and raised.args and isinstance(raised.args[0], Message):
        message: Message = raised.args[0]
        return message
    kind = str(error.get("type", ""))
    key = _VALIDATION_KEYS.get(kind) or "pydantic.other"
    if kind == "string_pattern_mismatch" and str(ctx.get("pattern")) in PATTERN_REASONS:
        key = PATTERN_REASONS[str(ctx.get("pattern"))]
    params: dict[str, Any] = {}
    template = MESSAGES[key]
    for name in placeholders(template.id):
        value = ctx.get(name, "")
        if name in ("expected", "expected_schemes") and isinstance(value, str):
            value = _alternatives(value)
        params[name] = value
    return Message.with_english(key, english, **params)


# Problem titles are CATALOGUE above; everything else a client reads is here, by key. Each key has an
# Indonesian and an English template with the same named parameters (checked by tests/unit/test_messages.py).
MESSAGES: dict[str, Template] = {}


def _add(prefix: str, entries: Mapping[str, tuple[str, str]]) -> None:
    for key, (indonesian, english) in entries.items():
        if f"{prefix}.{key}" in MESSAGES:
            raise ValueError(f"message {prefix}.{key} is defined twice")
        MESSAGES[f"{prefix}.{key}"] = Template(indonesian, english)


_add(
    "problem",
    {
        "internal-error": ("Terjadi kesalahan yang tidak terduga.", "An unexpected error occurred."),
        "bad-request": ("Permintaan tidak dapat diproses.", "The request could not be understood."),
        "unauthorized": ("Autentikasi diperlukan.", "Authentication required."),
        "forbidden": ("Anda tidak berwenang melakukan tindakan ini.", "You may not do this."),
        "not-found": ("Data tidak ditemukan.", "Not found."),
        "conflict": (
            "Permintaan bertentangan dengan data yang ada.",
            "The request conflicts with existing data.",
        ),
        "precondition-failed": (
            "Data sudah berubah sejak Anda membacanya; ambil (GET) lagi lalu ulangi.",
            "The resource changed since you read it; GET it again and retry.",
        ),
        "validation-error": ("Data tidak valid.", "Invalid data."),
        "rate-limited": ("Terlalu banyak permintaan.", "Too many requests."),
        "fields": ("{fields}", "{fields}"),
        "stale-write": (
            "data sudah berubah sejak Anda membacanya; ambil (GET) lagi",
            "the resource changed since you read it; GET it again",
        ),
        "unexpected": (
            "Terjadi kesalahan yang tidak terduga; sebutkan ID permintaan {request_id} saat melaporkannya.",
            "An unexpected error occurred; quote request id {request_id} when reporting it.",
        ),
        "database-unavailable": (
            "basis data sementara tidak tersedia (koneksi terputus, deadlock atau transaksi yang "
            "bertabrakan); ulangi permintaan, dengan Idempotency-Key yang sama bila operasinya memakainya",
            "the database is briefly unavailable (connection lost, deadlock or conflicting "
            "transaction); retry the request, with the same Idempotency-Key where the operation takes one",
        ),
    },
)

# Starlette's own errors carry the HTTP reason phrase; these replace it.
_add(
    "http",
    {
        "400": ("Permintaan tidak valid", "Bad Request"),
        "401": ("Autentikasi diperlukan", "Unauthorized"),
        "403": ("Akses ditolak", "Forbidden"),
        "404": ("Tidak ditemukan", "Not Found"),
        "405": ("Metode tidak diizinkan", "Method Not Allowed"),
        "406": ("Format yang diminta tidak tersedia", "Not Acceptable"),
        "413": ("Data terlalu besar", "Request Entity Too Large"),
        "415": ("Jenis konten tidak didukung", "Unsupported Media Type"),
    },
)

_add(
    "pydantic",
    {
        "missing": ("wajib diisi", "Field required"),
        "extra_forbidden": ("kolom ini tidak dikenal", "Extra inputs are not permitted"),
        "string_type": ("harus berupa teks", "Input should be a valid string"),
        "string_too_short": (
            "paling sedikit {min_length} karakter",
            "String should have at least {min_length} characters",
        ),
        "string_too_long": (
            "paling banyak {max_length} karakter",
            "String should have at most {max_length} characters",
        ),
        "string_pattern_mismatch": ("harus sesuai pola {pattern}", "String should match pattern '{pattern}'"),
        "string_unicode": ("harus berupa teks Unicode yang valid", "Input should be a valid string"),
        "int_type": ("harus berupa bilangan bulat", "Input should be a valid integer"),
        "int_parsing": (
            "harus berupa bilangan bulat",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        "int_parsing_size": ("angka terlalu besar", "Unable to parse input string as an integer"),
        "int_from_float": (
            "harus berupa bilangan bulat tanpa pecahan",
            "Input should be a valid integer, got a number with a fractional part",
        ),
        "float_type": ("harus berupa angka", "Input should be a valid number"),
        "float_parsing": ("harus berupa angka", "Input should be a valid number"),
        "finite_number": ("harus berupa angka terhingga", "Input should be a finite number"),
        "bool_type": ("harus bernilai true atau false", "Input should be a valid boolean"),
        "bool_parsing": ("harus bernilai true atau false", "Input should be a valid boolean"),
        "greater_than": ("harus lebih dari {gt}", "Input should be greater than {gt}"),
        "greater_than_equal": (
            "tidak boleh kurang dari {ge}",
            "Input should be greater than or equal to {ge}",
        ),
        "less_than": ("harus kurang dari {lt}", "Input should be less than {lt}"),
        "less_than_equal": ("tidak boleh lebih dari {le}", "Input should be less than or equal to {le}"),
        "multiple_of": ("harus kelipatan {multiple_of}", "Input should be a multiple of {multiple_of}"),
        "enum": ("harus salah satu dari {expected}", "Input should be {expected}"),
        "literal_error": ("harus salah satu dari {expected}", "Input should be {expected}"),
        "json_invalid": ("bukan JSON yang valid", "Invalid JSON"),
        "json_type": ("harus berupa teks JSON", "JSON input should be string, bytes or bytearray"),
        "dict_type": ("harus berupa objek JSON", "Input should be a valid dictionary"),
        "list_type": ("harus berupa daftar (array JSON)", "Input should be a valid list"),
        "model_type": ("harus berupa objek JSON", "Input should be a valid dictionary"),
        "model_attributes_type": ("harus berupa objek JSON", "Input should be a valid dictionary"),
        "too_short": ("paling sedikit {min_length} item", "List should have at least {min_length} items"),
        "too_long": ("paling banyak {max_length} item", "List should have at most {max_length} items"),
        "datetime_type": ("harus berupa tanggal dan waktu", "Input should be a valid datetime"),
        "datetime_parsing": (
            "harus berupa tanggal dan waktu yang valid (RFC 3339, mis. 2026-12-01T09:00:00+07:00)",
            "Input should be a valid datetime",
        ),
        "datetime_from_date_parsing": (
            "harus berupa tanggal dan waktu yang valid (RFC 3339, mis. 2026-12-01T09:00:00+07:00)",
            "Input should be a valid datetime or date",
        ),
        "datetime_object_invalid": ("tanggal dan waktu tidak valid", "Invalid datetime object"),
        "date_type": ("harus berupa tanggal", "Input should be a valid date"),
        "date_parsing": (
            "harus berupa tanggal yang valid (YYYY-MM-DD)",
            "Input should be a valid date in the format YYYY-MM-DD",
        ),
        "date_from_datetime_parsing": (
            "harus berupa tanggal yang valid (YYYY-MM-DD)",
            "Input should be a valid date or datetime",
        ),
        "date_from_datetime_inexact": (
            "harus berupa tanggal tanpa jam (YYYY-MM-DD)",
            "Datetimes provided to dates should have zero time",
        ),
        "time_parsing": ("harus berupa jam yang valid (HH:MM)", "Input should be in a valid time format"),
        "time_type": ("harus berupa jam", "Input should be a valid time"),
        "timezone_aware": (
            "harus menyertakan zona waktu (offset UTC, mis. +07:00)",
            "Input should have timezone info",
        ),
        "timezone_naive": ("tidak boleh menyertakan zona waktu", "Input should not have timezone info"),
        "uuid_parsing": ("harus berupa UUID yang valid", "Input should be a valid UUID"),
        "uuid_type": ("harus berupa UUID", "UUID input should be a string, bytes or UUID object"),
        "url_parsing": ("harus berupa URL yang valid", "Input should be a valid URL"),
        "url_scheme": ("skema URL harus {expected_schemes}", "URL scheme should be {expected_schemes}"),
        "url_type": ("harus berupa URL", "URL input should be a string or URL"),
        "url_too_long": (
            "URL paling banyak {max_length} karakter",
            "URL should have at most {max_length} characters",
        ),
        "decimal_parsing": ("harus berupa angka desimal", "Input should be a valid decimal"),
        "decimal_type": ("harus berupa angka desimal", "Decimal input should be an integer, float, string"),
        "bytes_type": ("harus berupa data biner", "Input should be a valid bytes"),
        "union_tag_invalid": (
            "jenis {tag} tidak dikenal",
            "Input tag '{tag}' does not match any of the expected tags",
        ),
        "union_tag_not_found": ("jenis data tidak disebutkan", "Unable to extract tag using discriminator"),
        "none_required": ("harus kosong (null)", "Input should be None"),
        "set_type": ("harus berupa himpunan (array JSON)", "Input should be a valid set"),
        "tuple_type": ("harus berupa daftar (array JSON)", "Input should be a valid tuple"),
        "frozen_set_type": ("harus berupa himpunan (array JSON)", "Input should be a valid frozenset"),
        "value_error": ("nilai tidak valid", "Value error"),
        "assertion_error": ("nilai tidak valid", "Assertion failed"),
        "other": ("nilai tidak valid", "Invalid value"),
    },
)

_add(
    "text",
    {
        "lone_surrogate": (
            "harus berupa teks Unicode yang valid (ada surrogate tunggal)",
            "must be valid Unicode text (a lone surrogate was sent)",
        ),
        "control_character": (
            "tidak boleh berisi karakter kontrol ({char} ditemukan)",
            "must not contain control characters ({char} found)",
        ),
        "control_character_multiline": (
            "tidak boleh berisi karakter kontrol ({char} ditemukan) (tab dan baris baru diperbolehkan)",
            "must not contain control characters ({char} found) (tab and line breaks are allowed)",
        ),
        "empty": ("tidak boleh kosong", "must not be empty"),
        "too_short": ("paling sedikit {min_length} karakter", "at least {min_length} characters"),
        "too_long": ("paling banyak {max_length} karakter", "at most {max_length} characters"),
        "pattern": ("harus sesuai pola {pattern}", "must match the pattern {pattern}"),
    },
)

_add(
    "nik",
    {
        "not_string": ("NIK harus berupa teks 16 digit", "NIK must be a string of exactly 16 digits"),
        "digits_only": (
            "NIK harus 16 digit (hanya angka 0-9, tanpa spasi atau karakter lain)",
            "NIK must be exactly 16 digits (0-9 only, no spaces or other characters)",
        ),
        "length": ("NIK harus 16 digit, bukan {length}", "NIK must be exactly 16 digits, got {length}"),
        "sixteen_digits": ("NIK harus 16 digit", "NIK must be 16 digits"),
        "province_00": (
            "kode wilayah NIK tidak valid: provinsi 00 tidak ada",
            "NIK region code is invalid: province 00 does not exist",
        ),
        "birth_day": (
            "tanggal lahir pada NIK harus 01-31 (laki-laki) atau 41-71 (perempuan), bukan {day}",
            "NIK birth day must be 01-31 (men) or 41-71 (women), got {day}",
        ),
        "birth_month": (
            "bulan lahir pada NIK harus 01-12, bukan {month}",
            "NIK birth month must be 01-12, got {month}",
        ),
        "birth_date": (
            "tanggal lahir pada NIK ({date}) bukan tanggal yang ada di kalender",
            "NIK birth date {date} is not a real calendar date",
        ),
        "serial": (
            "nomor urut NIK 0000 tidak valid (nomor urut mulai dari 0001)",
            "NIK serial number 0000 is invalid (serials start at 0001)",
        ),
        "sex_value": ("jenis kelamin harus 'M' atau 'F'", "sex must be 'M' or 'F'"),
        "sex_mismatch_female": (
            "jenis kelamin {sex} tidak sesuai dengan NIK, yang menunjukkan perempuan (tanggal lahir + 40)",
            "sex {sex} does not match the NIK, which encodes female (birth day + 40)",
        ),
        "sex_mismatch_male": (
            "jenis kelamin {sex} tidak sesuai dengan NIK, yang menunjukkan laki-laki",
            "sex {sex} does not match the NIK, which encodes male",
        ),
        "birth_date_mismatch": (
            "tanggal lahir {date} tidak sesuai dengan NIK, yang menunjukkan {day_month} pada tahun "
            "berakhiran {yy}",
            "birth date {date} does not match the NIK, which encodes {day_month} of a year ending in {yy}",
        ),
    },
)

_add(
    "area",
    {
        "malformed": (
            "kode wilayah harus berbentuk PP, PP.RR, PP.RR.DD atau PP.RR.DD.VVVV (angka)",
            "area code must look like PP, PP.RR, PP.RR.DD or PP.RR.DD.VVVV (digits)",
        ),
        "no_time_zone": (
            "zona waktu untuk provinsi {province} tidak diketahui",
            "no time zone known for province {province}",
        ),
        "village_malformed": (
            "kode desa/kelurahan harus berbentuk PP.RR.DD.VVVV",
            "village code must look like PP.RR.DD.VVVV",
        ),
        "unknown_village": ("kode desa/kelurahan tidak dikenal", "unknown village code"),
        "not_found": ("wilayah dengan kode {code} tidak ditemukan", "no area with code {code}"),
        "no_descendants": (
            "{parent_level} tidak memiliki wilayah turunan pada tingkat {level}",
            "a {parent_level} has no descendants at level {level}",
        ),
    },
)

_add(
    "gateway",
    {
        "bearer_required": (
            "gunakan Authorization: Bearer <kunci API atau token akses>",
            "use Authorization: Bearer <API key or access token>",
        ),
        "client_revoked": (
            "klien pemilik token akses ini telah dicabut",
            "the client of this access token has been revoked",
        ),
        "rate_limited": (
            "lebih dari {count} permintaan dalam {seconds} detik untuk kredensial ini",
            "more than {count} requests in {seconds} s for this credential",
        ),
        "token_rate_limited": (
            "terlalu banyak permintaan token; tunggu sebentar sebelum mencoba lagi",
            "too many token requests; wait before trying again",
        ),
        "login_locked": (
            "terlalu banyak login gagal dari alamat ini; tunggu sebentar sebelum mencoba lagi",
            "too many failed logins from this address; wait before trying again",
        ),
        "key_probe_limited": (
            "terlalu banyak kunci API tak dikenal dicoba dari alamat ini",
            "too many unknown API keys tried from this address",
        ),
        "unknown_api_key": ("kunci API tidak dikenal atau telah dicabut", "unknown or revoked API key"),
        "malformed_basic": ("kredensial Basic tidak valid", "malformed Basic credentials"),
        "outreach_answered": ("layanan outreach menjawab {status}", "the outreach service answered {status}"),
        "outreach_unavailable": ("layanan outreach tidak tersedia", "the outreach service is unavailable"),
        "password_fields": (
            "username (NRP) dan password wajib diisi",
            "username (NRP) and password are required",
        ),
        "wrong_password": ("NRP atau password salah", "wrong NRP or password"),
        "client_fields": (
            "client_id dan client_secret wajib diisi",
            "client_id and client_secret are required",
        ),
        "scope_not_granted": (
            "tidak diberikan kepada klien ini: {scopes}",
            "not granted to this client: {scopes}",
        ),
        "refresh_required": ("refresh_token wajib diisi", "refresh_token is required"),
        "refresh_reused": (
            "refresh token sudah pernah dipakai; login ini telah dicabut",
            "refresh token already used; the login was revoked",
        ),
        "grant_type": ("grant_type {grant_type} tidak didukung", "grant_type {grant_type} is not supported"),
        "api_key_not_found": ("kunci API {key_id} tidak ditemukan", "no API key {key_id}"),
        "client_not_found": ("klien internal {client_id} tidak ditemukan", "no internal client {client_id}"),
        "token_expired": (
            "token akses sudah kedaluwarsa; perbarui dengan refresh token",
            "the access token has expired; refresh it",
        ),
        "invalid_token": ("token akses tidak valid", "invalid access token"),
        "body_too_large": ("isi permintaan melebihi {limit} byte", "request body exceeds {limit} bytes"),
        "service_unavailable": ("layanan {service} tidak tersedia", "the {service} service is unavailable"),
        "service_timeout": (
            "layanan {service} tidak menjawab dalam {seconds} detik",
            "the {service} service did not answer within {seconds} s",
        ),
        "service_invalid_answer": (
            "jawaban layanan {service} tidak valid",
            "the {service} service gave an invalid answer",
        ),
        "no_problem_type": ("jenis masalah {slug} tidak ada", "no problem type {slug}"),
        "no_resource": ("tidak ada sumber daya di {path}", "no resource at {path}"),
    },
)


_add(
    "officer",
    {
        "no_active_nrp": ("tidak ada petugas aktif dengan NRP ini", "no active officer has this NRP"),
        "not_active": ("petugas ini tidak aktif", "this officer is not active"),
        "not_assigned_today": (
            "Anda tidak ditugaskan di desa {village_code} hari ini",
            "you are not assigned to village {village_code} today",
        ),
    },
)


_add(
    "access",
    {
        "needs_scope": (
            "tindakan ini memerlukan klien internal dengan scope {scope}",
            "this action needs an internal client with scope {scope}",
        ),
        "kind_refused": (
            "pemanggil jenis {kind} tidak boleh melakukan tindakan ini",
            "{kind} callers may not perform this action",
        ),
        "invalid_principal": (
            "principal tidak ada atau tidak valid: panggil Sasar melalui gateway",
            "missing or invalid principal: call Sasar through the gateway",
        ),
        "missing_principal": (
            "principal tidak ada: panggil Sasar melalui gateway",
            "missing principal: call Sasar through the gateway",
        ),
        "authentication_required": ("autentikasi diperlukan", "authentication required"),
        "needs_scopes": (
            "tindakan ini memerlukan klien internal dengan scope {scopes}",
            "this needs an internal client with scope {scopes}",
        ),
    },
)


_add(
    "idempotency",
    {
        "in_progress": (
            "permintaan dengan Idempotency-Key ini sedang diproses; coba lagi sebentar lagi",
            "a request with this Idempotency-Key is in progress; retry shortly",
        ),
        "other_body": (
            "kunci ini sudah dipakai untuk isi permintaan yang berbeda",
            "this key was already used with a different request body",
        ),
    },
)


_add(
    "concurrency",
    {
        "changed": (
            "data sudah berubah (sekarang {current}); ambil (GET) lagi lalu ulangi",
            "the resource changed (now {current}); GET it again and retry",
        ),
    },
)


_add(
    "upstream",
    {
        "failed": ("layanan {service} gagal ({status})", "the {service} service failed ({status})"),
    },
)


_add(
    "time",
    {
        "needs_offset": (
            "{field} harus menyertakan offset UTC (RFC 3339), mis. 2026-12-01T09:00:00+07:00",
            "{field} must carry a UTC offset (RFC 3339), e.g. 2026-12-01T09:00:00+07:00",
        ),
        "out_of_range": ("tanggal di luar rentang", "date out of range"),
    },
)


_add(
    "registry",
    {
        "officer_deceased": (
            "petugas hanya boleh menandai meninggal pekerja yang didaftarkannya sendiri; "
            "hubungi pemerintah desa",
            "officers may mark deceased only workers they registered; ask the village",
        ),
        "assignment_unconfirmed": (
            "penugasan petugas tidak dapat dipastikan dengan layanan outreach",
            "could not confirm the officer's assignment with outreach",
        ),
        "candidate_resolved": (
            "kandidat ini sudah diputuskan sebagai {status}",
            "this candidate was already resolved as {status}",
        ),
        "keep_status": ("pekerja yang dipertahankan berstatus {status}", "the worker to keep is {status}"),
        "worker_unchangeable": (
            "pekerja berstatus {status} tidak dapat diubah",
            "a {status} worker cannot be changed",
        ),
        "worker_is": ("pekerja berstatus {status}", "worker is {status}"),
        "living_holder": (
            "NIK ini dipegang oleh data pekerja yang masih hidup; catat kematian pada data tersebut",
            "a living record holds this NIK; record the death on that record",
        ),
        "living_holder_reason": (
            "NIK dipegang oleh data pekerja yang masih hidup",
            "the NIK is held by a living worker record",
        ),
    },
)


_add(
    "jobs",
    {
        "not_found": ("job {job_id} tidak ditemukan", "job {job_id} not found"),
    },
)


_add(
    "import",
    {
        "file_too_large": ("berkas lebih besar dari {mib} MiB", "the file is larger than {mib} MiB"),
    },
)


_add(
    "funding",
    {
        "access": (
            "data pendanaan memerlukan kunci desa atau klien internal dengan funding:admin atau reports:read",
            "funding data needs a village key or an internal client with funding:admin or reports:read",
        ),
        "own_village": (
            "kunci desa hanya boleh bertindak untuk desanya sendiri",
            "a village key may only act for its own village",
        ),
        "billing_runs_access": (
            "proses penagihan hanya terlihat oleh klien internal dengan funding:admin atau reports:read",
            "billing runs are visible to internal clients with funding:admin or reports:read",
        ),
        "village_not_found": ("desa {village_code} tidak ditemukan", "village {village_code} not found"),
        "jobs_access": (
            "job pendanaan hanya terlihat oleh klien internal dengan funding:admin atau reports:read",
            "funding jobs are visible to internal clients with funding:admin or reports:read",
        ),
        "agreement_not_found": (
            "perjanjian pendanaan {agreement_id} tidak ditemukan",
            "funding agreement {agreement_id} not found",
        ),
        "agreement_ended": (
            "perjanjian yang sudah berakhir tidak dapat diubah",
            "an ended agreement cannot be changed",
        ),
        "draft_only": (
            "{fields} hanya dapat diubah selama perjanjian masih berupa draf",
            "{fields} can only change while the agreement is a draft",
        ),
        "ended_no_members": (
            "perjanjian yang sudah berakhir tidak menerima anggota baru",
            "an ended agreement takes no new members",
        ),
        "last_month_over": (
            "bulan terakhir perjanjian sudah lewat: perjanjian tidak menerima anggota baru",
            "the agreement's last month is over: it takes no new members",
        ),
        "not_on_roster": (
            "pekerja {worker_id} tidak ada dalam daftar peserta perjanjian ini",
            "worker {worker_id} is not on this agreement's roster",
        ),
        "terms_invalid": ("ketentuan perjanjian tidak valid", "the agreement terms are invalid"),
        "only_active_billed": (
            "hanya perjanjian aktif yang ditagih (perjanjian ini berstatus {status})",
            "only an active agreement is billed (this one is {status})",
        ),
        "within_months": (
            "harus berada dalam masa berlaku perjanjian",
            "must lie within the agreement's months",
        ),
        "billing_run_not_found": (
            "proses penagihan {run_id} tidak ditemukan",
            "billing run {run_id} not found",
        ),
        "invoice_not_found": ("tagihan {invoice_id} tidak ditemukan", "invoice {invoice_id} not found"),
        "invoice_takes_no_payment": (
            "tagihan {number} berstatus {status} dan tidak dapat dibayar",
            "invoice {number} is {status} and takes no payment",
        ),
        "duplicate_sp2d": (
            "referensi SP2D {reference} sudah tercatat untuk desa {village_code}",
            "SP2D reference {reference} is already recorded for village {village_code}",
        ),
        "rate_schedule_not_found": ("jadwal tarif {code} tidak ditemukan", "rate schedule {code} not found"),
    },
)


_add(
    "outreach",
    {
        "own_sessions": (
            "petugas hanya menjadwalkan sesinya sendiri",
            "an officer schedules only their own sessions",
        ),
        "not_assigned_detail": (
            "petugas {officer_id} tidak ditugaskan di {village_code} pada {day}",
            "officer {officer_id} is not assigned to {village_code} on {day}",
        ),
        "not_assigned_reason": (
            "tidak ditugaskan di desa ini pada {day}",
            "not assigned to this village on {day}",
        ),
        "double_booked_detail": (
            "petugas sudah memiliki sesi {session_id} pada waktu itu",
            "the officer already has session {session_id} at that time",
        ),
        "no_active_officer": ("tidak ada petugas aktif {officer_id}", "no active officer {officer_id}"),
        "sessions_scope": (
            "membaca sesi memerlukan scope outreach:admin atau reports:read",
            "reading sessions needs scope outreach:admin or reports:read",
        ),
        "session_not_found_id": ("sesi {session_id} tidak ditemukan", "session {session_id} not found"),
        "village_no_sessions": (
            "pemanggil desa tidak boleh mengubah sesi",
            "village callers may not change sessions",
        ),
        "cannot_reschedule": (
            "sesi berstatus {status} tidak dapat dijadwalkan ulang",
            "a {status} session cannot be rescheduled",
        ),
        "cannot_cancel": (
            "sesi berstatus {status} tidak dapat dibatalkan",
            "a {status} session cannot be cancelled",
        ),
        "duplicate_nrp_detail": (
            "petugas dengan NRP {nrp} sudah terdaftar",
            "an officer with NRP {nrp} already exists",
        ),
        "officers_scope": (
            "membaca data petugas memerlukan scope outreach:admin atau reports:read",
            "reading officers needs scope outreach:admin or reports:read",
        ),
        "officer_not_found_id": ("petugas {officer_id} tidak ditemukan", "officer {officer_id} not found"),
        "assignment_not_found": (
            "penugasan {assignment_id} milik petugas {officer_id} tidak ditemukan",
            "assignment {assignment_id} of officer {officer_id} not found",
        ),
        "valid_to_order": ("tidak boleh sebelum valid_from", "must be on or after valid_from"),
        "leads_scope": (
            "membaca calon peserta memerlukan scope outreach:admin atau reports:read",
            "reading leads needs scope outreach:admin or reports:read",
        ),
        "lead_not_found_id": ("calon peserta {lead_id} tidak ditemukan", "lead {lead_id} not found"),
        "leads_by_officers": ("calon peserta dikonversi oleh petugas", "leads are converted by officers"),
        "sync_officers": (
            "sinkronisasi hanya untuk perangkat lapangan petugas",
            "sync is for officers' field devices",
        ),
        "progress_scope": (
            "data capaian memerlukan scope reports:read atau outreach:admin",
            "progress needs scope reports:read or outreach:admin",
        ),
        "progress_not_visible": (
            "tidak ada data capaian wilayah {area} yang dapat Anda lihat",
            "no progress for area {area} visible to you",
        ),
        "officer_progress_scope": (
            "capaian per petugas memerlukan scope reports:read atau outreach:admin",
            "per-officer progress needs scope reports:read or outreach:admin",
        ),
    },
)


_add(
    "webhooks",
    {
        "access": (
            "endpoint webhook memerlukan kunci desa atau klien internal dengan webhooks:admin",
            "webhook endpoints need a village key or an internal client with webhooks:admin",
        ),
        "own_village": (
            "kunci desa hanya boleh berlangganan peristiwa desanya sendiri",
            "a village key may only subscribe to its own village's events",
        ),
        "one_village": (
            "kunci ini tidak terikat pada tepat satu desa",
            "this key is not bound to exactly one village",
        ),
        "endpoint_not_found_id": (
            "endpoint webhook {endpoint_id} tidak ditemukan",
            "webhook endpoint {endpoint_id} not found",
        ),
        "delivery_not_found_id": (
            "pengiriman {delivery_id} tidak ditemukan",
            "delivery {delivery_id} not found",
        ),
    },
)

_add(
    "gateway",
    {
        "invalid_credential": (
            "kredensial tidak valid, kedaluwarsa atau telah dicabut",
            "invalid, expired or revoked credential",
        ),
        "authentication_required": (
            "autentikasi diperlukan: kirim Authorization: Bearer …",
            "authentication required: send Authorization: Bearer …",
        ),
        "token_error": ("permintaan token ditolak", "the token request was refused"),
        "invalid_client": ("klien tidak dikenal atau secret salah", "unknown client or wrong secret"),
    },
)

_add(
    "funding",
    {
        "agreement_not_found_generic": (
            "Perjanjian pendanaan tidak ditemukan",
            "Funding agreement not found",
        ),
        "invoice_not_found_generic": ("Tagihan tidak ditemukan", "Invoice not found"),
        "invalid_state": (
            "status data tidak memungkinkan tindakan ini",
            "the resource's status does not allow this action",
        ),
        "no_rate_schedule_generic": (
            "tidak ada jadwal tarif yang berlaku untuk bulan ini",
            "no rate schedule is in force for this month",
        ),
    },
)

_add(
    "outreach",
    {
        "officer_not_found": ("Petugas tidak ditemukan", "Officer not found"),
        "session_not_found": ("Sesi tidak ditemukan", "Session not found"),
        "lead_not_found": ("Calon peserta tidak ditemukan", "Lead not found"),
        "duplicate_nrp": ("NRP ini sudah dipakai petugas lain", "Another officer already has this NRP"),
        "double_booked": (
            "petugas sudah memiliki sesi lain pada waktu itu",
            "the officer already has a session at that time",
        ),
        "session_not_changeable": (
            "sesi yang dibatalkan atau sudah dilaksanakan tidak dapat diubah",
            "a cancelled or held session cannot be changed",
        ),
        "not_assigned": (
            "petugas tidak ditugaskan di desa itu pada tanggal tersebut",
            "the officer is not assigned to that village on that date",
        ),
    },
)

_add(
    "webhooks",
    {
        "endpoint_not_found": ("Endpoint webhook tidak ditemukan", "Webhook endpoint not found"),
        "delivery_not_found": ("Pengiriman tidak ditemukan", "Delivery not found"),
        "unsafe_target": (
            "URL tujuan harus http(s) dan tidak boleh mengarah ke alamat internal",
            "the target URL must be http(s) and must not resolve to an internal address",
        ),
    },
)

_add(
    "registry",
    {
        "worker_not_found": ("pekerja {worker_id} tidak ditemukan", "no worker {worker_id}"),
        "duplicate_nik": (
            "pekerja dengan NIK ini sudah terdaftar (satu pendaftaran aktif per NIK secara nasional)",
            "a worker with this NIK is already registered (one active registration per NIK nationally)",
        ),
        "already_registered": ("sudah terdaftar", "already registered"),
        "deceased_nik": (
            "pekerja dengan NIK ini tercatat meninggal dunia; NIK tidak dapat didaftarkan lagi",
            "a worker with this NIK is recorded as deceased; the NIK cannot be registered again",
        ),
        "deceased_nik_reason": (
            "NIK ini milik orang yang tercatat meninggal dunia",
            "this NIK belongs to a person recorded as deceased",
        ),
        "illegal_transition": (
            "pekerja berstatus {current} tidak dapat diubah menjadi {target}",
            "a {current} worker cannot become {target}",
        ),
        "illegal_transition_reason": (
            "perubahan status {current} -> {target} tidak diperbolehkan",
            "illegal transition {current} -> {target}",
        ),
        "import_not_found": ("impor pekerja {import_id} tidak ditemukan", "no worker import {import_id}"),
        "candidate_not_found": (
            "kandidat duplikat {candidate_id} tidak ditemukan",
            "no duplicate candidate {candidate_id}",
        ),
    },
)

_add(
    "export",
    {
        "not_acceptable_reason": (
            "baik text/csv maupun jenis media XLSX tidak dapat diterima",
            "neither text/csv nor the XLSX media type is acceptable",
        ),
        "not_acceptable": (
            "ekspor tersedia sebagai {csv} atau {xlsx}; pilih salah satu dengan Accept atau ?format=csv|xlsx",
            "exports are {csv} or {xlsx}; choose one with Accept or ?format=csv|xlsx",
        ),
        "too_large": (
            "ekspor berisi paling banyak {limit:,} baris; persempit dengan filternya, mis. village_code",
            "an export holds at most {limit:,} rows; narrow it with its filters, e.g. village_code",
        ),
    },
)


_add(
    "pagination",
    {
        "malformed_cursor": ("cursor tidak valid", "malformed cursor"),
        "cursor_other_sort": (
            "cursor ini milik urutan (sort) lain; mulai lagi tanpa cursor",
            "cursor belongs to another sort; start again without it",
        ),
        "instant_not_rfc3339": (
            "bukan tanggal-waktu RFC 3339, mis. 2026-12-01T09:00:00+07:00 atau 2026-12-01T02:00:00Z",
            "not an RFC 3339 date-time, e.g. 2026-12-01T09:00:00+07:00 or 2026-12-01T02:00:00Z",
        ),
        "instant_without_offset": (
            "harus memuat selisih waktu UTC (RFC 3339), mis. 2026-12-01T09:00:00+07:00",
            "must carry a UTC offset (RFC 3339), e.g. 2026-12-01T09:00:00+07:00",
        ),
        "instant_invalid": ("bukan tanggal-waktu yang valid", "not a valid date-time"),
    },
)


_add(
    "events",
    {
        "token_required": (
            "peristiwa internal memerlukan token relay",
            "internal events need the relay's token",
        ),
        "invalid_token": ("token relay tidak valid", "invalid relay token"),
    },
)


_add(
    "sync",
    {
        "repeated": ("berulang dalam kiriman ini", "repeated in this batch"),
        "in_progress": (
            "unggahan yang bertabrakan sedang diproses; coba lagi",
            "conflicting upload in progress; retry",
        ),
        "other_content": (
            "sudah dipakai untuk item dengan isi berbeda",
            "already used for an item with different content",
        ),
        "unknown_session": ("sesi tidak dikenal", "unknown session"),
        "not_assigned": ("bukan salah satu desa tugas Anda", "not one of your assigned villages"),
        "other_village": ("sesi berada di desa lain", "session is in another village"),
    },
)


_add(
    "time",
    {
        "not_future": ("tidak boleh di masa depan", "may not be in the future"),
    },
)


_add(
    "outreach",
    {
        "year_range": ("harus antara 2000 dan 2100", "must be between 2000 and 2100"),
        "no_consent": ("orang tersebut belum memberikan persetujuan", "the person has not given consent"),
        "nik_differs": (
            "berbeda dengan NIK yang dicatat pada calon peserta",
            "differs from the NIK captured on the lead",
        ),
        "occupation_required": (
            "wajib diisi (calon peserta belum memilikinya)",
            "required (the lead has none)",
        ),
        "nik_required": ("wajib diisi kecuali temporary bernilai true", "required unless temporary is true"),
        "counts_without_items": (
            "layanan registry menjawab jumlah pekerja tanpa items",
            "registry answered worker counts without items",
        ),
        "officer_required": ("wajib diisi untuk pemanggil internal", "required for internal callers"),
        "ends_after_starts": ("harus setelah starts_at", "must be after starts_at"),
        "max_24h": ("sebuah sesi berlangsung paling lama 24 jam", "a session lasts at most 24 hours"),
        "recorded_ended": (
            "sesi yang dicatat harus sudah selesai",
            "a recorded session must already have ended",
        ),
        "in_past": (
            "berada di masa lalu; kirim recorded: true untuk mencatat sesi yang sudah dilaksanakan",
            "in the past; send recorded: true to record a held session",
        ),
        "move_past": ("sesi tidak dapat dipindahkan ke masa lalu", "cannot move a session into the past"),
        "assignment_shorten": (
            "masa penugasan hanya dapat diperpendek, tidak diperpanjang",
            "an assignment can be shortened, not extended",
        ),
    },
)


_add(
    "area",
    {
        "unknown": ("kode wilayah tidak dikenal", "unknown area code"),
    },
)


_add(
    "field",
    {
        "not_null": ("tidak boleh null", "may not be null"),
        "cannot_be_null": ("tidak boleh null", "cannot be null"),
    },
)


_add(
    "registry",
    {
        "keep_one_of_two": (
            "harus salah satu dari dua pekerja pada kandidat ini",
            "must be one of the two workers of this candidate",
        ),
        "keep_same_person": (
            "hanya berlaku dengan keputusan same_person",
            "only meaningful with decision same_person",
        ),
        "outside_villages": (
            "di luar desa tempat Anda boleh mendaftarkan pekerja",
            "outside the villages you may register workers in",
        ),
        "nik_fixed": (
            "NIK pekerja yang sudah terdaftar tidak dapat diubah",
            "the NIK of a registered worker cannot be changed",
        ),
        "nik_empty": ("NIK tidak boleh kosong", "NIK cannot be empty"),
        "nik_derived": (
            "jenis kelamin dan tanggal lahir berasal dari NIK dan tidak dapat diubah",
            "sex and birth date come from the NIK and cannot be changed",
        ),
        "coverage_status": (
            "status kepesertaan harus active atau lapsed",
            "coverage status must be active or lapsed",
        ),
    },
)


_add(
    "import",
    {
        "too_large_reason": ("terlalu besar", "too large"),
        "unknown_columns": (
            "kolom tidak dikenal: {columns}; kolom yang dikenal: {expected}",
            "unknown column(s): {columns}; expected some of {expected}",
        ),
        "missing_columns": ("kolom tidak ada: {columns}", "missing column(s): {columns}"),
        "nik_column": ("kolom nik (atau temporary) wajib ada", "a nik (or temporary) column is required"),
        "not_utf8": ("berkas CSV bukan teks UTF-8", "the CSV file is not UTF-8 text"),
        "empty": ("berkas kosong", "the file is empty"),
        "csv_unreadable": ("berkas CSV tidak dapat dibaca: {error}", "the CSV file cannot be read: {error}"),
        "too_many_rows": (
            "terlalu banyak baris: paling banyak {limit:,} per impor",
            "too many rows: at most {limit:,} per import",
        ),
        "xlsx_unreadable": (
            "berkas XLSX tidak dapat dibaca: {error}",
            "the XLSX file cannot be read: {error}",
        ),
        "whole_rupiah": (
            "harus berupa bilangan bulat rupiah, mis. 1500000",
            "must be a whole number of rupiah, e.g. 1500000",
        ),
        "true_false": ("harus true atau false", "must be true or false"),
        "date": ("harus berupa tanggal YYYY-MM-DD", "must be a date YYYY-MM-DD"),
        "village_required": ("village_code wajib diisi", "village_code is required"),
        "duplicate_nik": (
            "pekerja dengan NIK ini sudah terdaftar",
            "a worker with this NIK is already registered",
        ),
        "same_nik_as_row": (
            "NIK sama dengan baris {row} pada berkas ini",
            "same NIK as row {row} of this file",
        ),
        "row_overflow": (
            "baris ini memiliki sel lebih banyak daripada header (beri tanda kutip pada nilai yang memuat "
            "pemisah)",
            "the row has more cells than the header (quote values that contain the delimiter)",
        ),
        "too_slow": (
            "membaca berkas memakan waktu lebih dari {seconds} detik",
            "reading the file took more than {seconds} s",
        ),
        "expands_to": (
            "berkas mengembang menjadi {total:,} byte; paling banyak {limit:,}",
            "the file expands to {total:,} bytes; at most {limit:,}",
        ),
        "zip_bomb": (
            "{member} mengembang lebih dari {ratio} kali (zip bomb?)",
            "{member} expands more than {ratio} times (a zip bomb?)",
        ),
        "rows_limit": (
            "berkas memiliki lebih dari {limit:,} baris (termasuk baris kosong)",
            "the file has more than {limit:,} rows (blank rows included)",
        ),
    },
)


_add(
    "funding",
    {
        "sources_for_kind": (
            "{kind} hanya boleh didanai dari {sources}",
            "a {kind} may fund from {sources} only",
        ),
        "source_values": (
            "harus dana_desa, apbd_kelurahan, csr atau other",
            "must be dana_desa, apbd_kelurahan, csr or other",
        ),
        "fiscal_year": ("harus berada dalam tahun anggaran {year}", "must lie in fiscal year {year}"),
        "end_before_start": ("tidak boleh sebelum start_period", "must not be before start_period"),
        "unknown_programmes": ("program tidak dikenal {programmes}", "unknown programmes {programmes}"),
        "jkk_jkm_required": ("JKK dan JKM wajib", "JKK and JKM are required"),
        "only_draft_activated": (
            "hanya perjanjian berstatus draf yang dapat diaktifkan (perjanjian ini berstatus {status})",
            "only a draft agreement can be activated (this one is {status})",
        ),
        "only_active_ended": (
            "hanya perjanjian aktif yang dapat diakhiri (perjanjian ini berstatus {status})",
            "only an active agreement can be ended (this one is {status})",
        ),
        "transition": (
            "{noun} berstatus {current} tidak dapat menjadi {target}",
            "a {current} {noun} cannot become {target}",
        ),
        "over_payment": (
            "kelebihan bayar: sisa tagihan Rp{due:,}",
            "over-payment: the invoices have Rp{due:,} outstanding",
        ),
        "max_outstanding": (
            "tidak boleh melebihi sisa tagihan Rp{due:,}",
            "must not exceed the outstanding Rp{due:,}",
        ),
        "one_village_sp2d": (
            "satu SP2D hanya membayar tagihan satu desa",
            "one SP2D pays invoices of one village only",
        ),
        "void_unpaid_only": (
            "tagihan {number} berstatus {status}: hanya tagihan yang belum dibayar yang dapat dibatalkan",
            "invoice {number} is {status}: only an unpaid invoice can be voided",
        ),
        "back_billing_budget": (
            "penagihan susulan bulan ini melebihi anggaran sebesar Rp{excess:,}",
            "back-billing this month exceeds the budget by Rp{excess:,}",
        ),
        "idempotency_required": (
            "wajib untuk pembayaran (gunakan UUID baru untuk setiap pembayaran)",
            "required for payments (use a fresh UUID per payment)",
        ),
        "invoice_id_or_ids": (
            "isi salah satu: invoice_id atau invoice_ids (satu SP2D, beberapa tagihan)",
            "give either invoice_id or invoice_ids (one SP2D, several invoices)",
        ),
        "unknown_occupation": ("pekerjaan tidak dikenal {value}", "unknown occupation {value}"),
    },
)


_add(
    "pricing",
    {
        "integer": ("harus berupa bilangan bulat, bukan {type}", "must be an integer, got {type}"),
        "at_least": ("paling sedikit {minimum}, bukan {value}", "must be at least {minimum}, got {value}"),
        "year": ("tahun harus {low}-{high}, bukan {year}", "year must be {low}-{high}, got {year}"),
        "month": ("bulan harus 1-12, bukan {month}", "month must be 1-12, got {month}"),
        "period_format": (
            "harus berupa bulan dengan format YYYY-MM, bukan {value}",
            "must be a month written YYYY-MM, got {value}",
        ),
        "no_schedule": (
            "tidak ada jadwal tarif yang berlaku untuk {period}",
            "no rate schedule is in force for {period}",
        ),
        "several_schedules": (
            "beberapa jadwal tarif berlaku untuk {period}: {ids}",
            "several rate schedules are in force for {period}: {ids}",
        ),
        "unknown_value": ("nilai tidak dikenal {value}", "unknown value {value}"),
        "income_range": (
            "harus antara Rp{low:,} dan Rp{high:,}, bukan Rp{income:,}",
            "must be between Rp{low:,} and Rp{high:,}, got Rp{income:,}",
        ),
        "schedule_not_in_force": (
            "jadwal tarif {schedule} tidak berlaku untuk {period}",
            "rate schedule {schedule} is not in force for {period}",
        ),
        "between": (
            "harus antara {low:,} dan {high:,} (bukan {value:,})",
            "must be between {low:,} and {high:,} (got {value:,})",
        ),
        "after_invoiced": (
            "harus setelah bulan terakhir yang sudah ditagih {period} (sudah diberi harga)",
            "must be after the latest invoiced month {period} (already priced)",
        ),
        "overlaps": (
            "bertumpang tindih dengan jadwal {schedule} yang berlaku",
            "overlaps schedule {schedule} in force",
        ),
    },
)


_add(
    "webhooks",
    {
        "invalid_url": ("bukan URL yang valid", "is not a valid URL"),
        "http_only": ("harus berupa URL http atau https", "must be an http or https URL"),
        "no_host": ("tidak memiliki host", "has no host"),
        "credentials": ("tidak boleh memuat kredensial", "must not carry credentials"),
        "no_resolve": ("host {host} tidak dapat di-resolve", "host {host} does not resolve"),
        "private_address": (
            "mengarah ke {address}, {reason}; webhook hanya dikirim ke host publik",
            "resolves to {address}, {reason}; webhooks go to public hosts",
        ),
    },
)


_add(
    "gateway",
    {
        "no_asset": ("aset dokumentasi {name} tidak ada", "no documentation asset {name}"),
        "name_empty": ("nama tidak boleh kosong", "name must not be empty"),
        "unknown_scope": (
            "scope {scope} tidak dikenal; yang dikenal: {known}",
            "unknown scope {scope}; known: {known}",
        ),
        "one_scope": ("berikan paling sedikit satu scope", "give at least one scope"),
        "nrp_digits": ("NRP harus 8 digit", "NRP must be 8 digits"),
        "refresh_unknown": ("refresh token tidak dikenal", "unknown refresh token"),
        "refresh_revoked": ("refresh token telah dicabut", "refresh token revoked"),
        "refresh_expired": ("refresh token sudah kedaluwarsa", "refresh token expired"),
    },
)

_add(
    "pricing",
    {
        "program_required": ("{names} wajib", "{names} is required"),
        "programs_required": ("{names} wajib", "{names} are required"),
    },
)

_add(
    "registry",
    {
        "unknown_programs": (
            "program tidak dikenal: {programs}; pilih dari JKK, JKM, JHT",
            "unknown program(s) {programs}; choose from JKK, JKM, JHT",
        ),
        "jkk_jkm_required": (
            "JKK dan JKM selalu wajib (JHT opsional)",
            "JKK and JKM are always required (JHT is optional)",
        ),
        "name_required": ("nama wajib diisi", "name is required"),
        "name_too_long": (
            "nama lebih dari {max_length} karakter",
            "name is longer than {max_length} characters",
        ),
        "name_letters": ("nama harus mengandung huruf", "name must contain letters"),
        "name_control": (
            "nama tidak boleh berisi karakter kontrol",
            "name must not contain control characters",
        ),
        "nik_or_temporary": (
            "isi NIK atau temporary: true, tidak keduanya",
            "give either a NIK or temporary: true, not both",
        ),
        "sex_without_nik": (
            "jenis kelamin wajib diisi bila mendaftar tanpa NIK",
            "sex is required when registering without a NIK",
        ),
        "birth_date_without_nik": (
            "birth_date wajib diisi bila mendaftar tanpa NIK",
            "birth_date is required when registering without a NIK",
        ),
        "nik_required": (
            "NIK wajib diisi (atau daftar dengan temporary: true dan ganti dalam 90 hari)",
            "NIK is required (or register with temporary: true and replace it within 90 days)",
        ),
        "invalid_nik": ("NIK tidak valid", "invalid NIK"),
        "birth_date_range": (
            "tanggal lahir harus di masa lalu dan paling lama {years} tahun yang lalu",
            "birth date must be in the past and at most {years} years ago",
        ),
        "phone": (
            "nomor telepon harus nomor Indonesia dalam format E.164, mis. +6281234567890",
            "phone must be an Indonesian number in E.164 form, e.g. +6281234567890",
        ),
        "unknown_occupation": (
            "pekerjaan tidak dikenal; pilih dari {choices}",
            "unknown occupation; choose from {choices}",
        ),
        "income_range": (
            "penghasilan yang dilaporkan harus Rp{low:,}-Rp{high:,}",
            "declared income must be Rp{low:,}-Rp{high:,}",
        ),
        "funding_values": ("funding harus salah satu dari {choices}", "funding must be one of {choices}"),
        "reference_id": (
            "paling banyak 64 karakter tanpa karakter kontrol",
            "must be at most 64 characters without control characters",
        ),
    },
)


_add(
    "import",
    {
        "opensid_occupation": (
            "pekerjaan OpenSID {occupation} tidak memiliki padanan di Sasar (bukan pekerja informal); isi "
            "pekerjaan dengan salah satu dari {choices}",
            "OpenSID occupation {occupation} has no Sasar equivalent (not an informal worker); put one of "
            "{choices} in pekerjaan",
        ),
        "foreign_village": ("di luar desa yang boleh Anda impor", "outside the villages you may import into"),
    },
)

_add(
    "pattern",
    {
        "nrp": ("NRP harus 8 digit", "NRP must be 8 digits"),
        "period": ("harus berupa bulan dengan format YYYY-MM", "must be a month written YYYY-MM"),
        "village_code": (
            "kode desa/kelurahan harus berbentuk PP.RR.DD.VVVV",
            "village code must look like PP.RR.DD.VVVV",
        ),
        "job_id": ("ID job tidak valid", "invalid job id"),
    },
)

_add(
    "path",
    {
        "not_ascii": ("path mengandung karakter non-ASCII", "the path is not ASCII"),
        "encoded_slash": (
            "path mengandung garis miring yang dikodekan atau garis miring terbalik",
            "the path contains an encoded slash or a backslash",
        ),
        "dot_segment": ("path mengandung segmen titik", "the path contains a dot segment"),
        "nul": ("path mengandung byte NUL", "the path contains a NUL byte"),
        "encoded_too_often": ("path dikodekan terlalu banyak kali", "the path is encoded too many times"),
    },
)

_add(
    "pricing",
    {
        "percent": ("harus 0-100, bukan {value}", "must be 0-100, got {value}"),
        "discount_ends_early": (
            "diskon {name} berakhir sebelum dimulai",
            "discount {name} ends before it starts",
        ),
        "discount_no_programme": (
            "diskon {name} tidak mencakup program apa pun",
            "discount {name} covers no programme",
        ),
        "discount_jht": ("diskon {name} tidak boleh mencakup JHT", "discount {name} must not cover JHT"),
        "min_over_max_income": ("tidak boleh melebihi max_income_idr", "must not exceed max_income_idr"),
        "min_over_max_jkk": ("tidak boleh melebihi jkk_max_idr", "must not exceed jkk_max_idr"),
        "max_basis_points": ("tidak boleh melebihi {limit} (100 %)", "must not exceed {limit} (100 %)"),
        "to_before_from": ("tidak boleh sebelum effective_from", "must not be before effective_from"),
        "tuple": ("harus berupa daftar", "must be a tuple"),
    },
)


_add(
    "funding",
    {
        "backdate": (
            "desa mengakhiri keanggotaan mulai hari ini; tanggal yang lebih awal memerlukan funding:admin",
            "a village ends a membership from today on; an earlier date needs funding:admin",
        ),
    },
)


_add(
    "upstream",
    {
        "refused": ("layanan {service} menolak permintaan", "{service} refused the request"),
    },
)

_add(
    "address",
    {
        "metadata": ("alamat metadata cloud", "a cloud metadata address"),
        "unspecified": ("alamat yang tidak ditentukan", "an unspecified address"),
        "loopback": ("alamat loopback", "a loopback address"),
        "link_local": ("alamat link-local", "a link-local address"),
        "multicast": ("alamat multicast", "a multicast address"),
        "cgnat": ("alamat carrier-grade NAT (bersama)", "a carrier-grade NAT (shared) address"),
        "private": ("alamat privat atau khusus", "a private or reserved address"),
    },
)

_add(
    "roster",
    {
        "funded_elsewhere": (
            "sudah didanai oleh perjanjian {agreement_id} pada tahun anggaran ini",
            "already funded by agreement {agreement_id} this fiscal year",
        ),
        "unknown_worker": ("pekerja tidak dikenal", "unknown worker"),
        "other_village": ("bukan pekerja desa ini", "not a worker of this village"),
        "temporary_expired": (
            "ID sementara sudah kedaluwarsa pada {date}: daftarkan NIK pekerja sebelum memasukkannya ke "
            "daftar peserta",
            "temporary id expired on {date}: register the worker's NIK before rostering",
        ),
        "over_budget": (
            "melebihi sisa anggaran sebesar Rp{excess:,}",
            "over the remaining budget by Rp{excess:,}",
        ),
        "months_taken": (
            "sudah didanai oleh perjanjian lain pada bulan-bulan ini",
            "already funded by another agreement in these months",
        ),
        "none_added": ("tidak ada pekerja yang dapat ditambahkan", "no worker could be added"),
    },
)

_add(
    "outreach",
    {
        "no_calendar_feed": ("petugas ini tidak memiliki feed kalender", "this officer has no calendar feed"),
        "calendar_feed_gone": (
            "tidak ada feed kalender di alamat ini (dicabut, diganti atau tidak pernah dibuat)",
            "no calendar feed at this address (revoked, replaced or never made)",
        ),
    },
)

_add(
    "outreach",
    {"calendar_feed_not_found": ("Feed kalender tidak ditemukan", "Calendar feed not found")},
)
