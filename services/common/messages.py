"""Message catalogue for problem titles: Bahasa Indonesia by default, English on request.

Clients choose with ``Accept-Language``; anything that does not prefer ``en`` gets ``id``.
"""

from __future__ import annotations

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
    """``en`` when the client ranks English above Indonesian, else ``id``."""
    if not accept_language:
        return "id"
    best_lang, best_q = "id", -1.0
    for index, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        lang = pieces[0].strip().lower().split("-")[0]
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        # Earlier entries win ties, as in HTTP's own ordering convention.
        q -= index * 1e-6
        if lang in ("id", "en") and q > best_q:
            best_lang, best_q = lang, q
    return best_lang


def title_for(slug: str, language: str, fallback: str | None = None) -> str:
    entry = CATALOGUE.get(slug)
    if entry is None:
        return fallback or slug.replace("-", " ").capitalize()
    return entry.get(language) or entry["id"]
