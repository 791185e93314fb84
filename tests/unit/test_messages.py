"""The message catalogue: both languages for every key, exceptions with keys, Accept-Language."""

from __future__ import annotations

import importlib
import inspect
import pickle

import pytest
from pydantic import BaseModel, Field, ValidationError

from services.common.errors import ProblemError, fields_summary, problem_body
from services.common.messages import (
    CATALOGUE,
    MESSAGES,
    PATTERN_REASONS,
    Message,
    Phrase,
    dump_field_errors,
    load_field_errors,
    placeholders,
    preferred_language,
    validation_reason,
)
from services.common.text import TextError, clean_text

EXCEPTION_MODULES = (
    "services.common.errors",
    "services.registry.exceptions",
    "services.funding.exceptions",
    "services.outreach.exceptions",
    "services.webhooks.exceptions",
    "gateway.exceptions",
)


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_key_has_both_languages_with_the_same_placeholders(key: str) -> None:
    template = MESSAGES[key]
    assert template.id.strip() and template.en.strip()
    assert placeholders(template.id) == placeholders(template.en), key
    # Both render with any value of each parameter.
    params = {name: 1234 for name in placeholders(template.en)}
    assert Message(key, **params).render("id") and Message(key, **params).render("en")


def test_indonesian_is_not_a_copy_of_the_english() -> None:
    same = [key for key, t in MESSAGES.items() if t.id == t.en and placeholders(t.id) != {t.id.strip("{}")}]
    assert same == []


def test_every_problem_title_has_both_languages() -> None:
    for slug, entry in CATALOGUE.items():
        assert entry["id"] and entry["en"] and entry["id"] != entry["en"], slug


def _exception_classes() -> list[type[ProblemError]]:
    found: list[type[ProblemError]] = []
    for name in EXCEPTION_MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, ProblemError) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def test_every_exception_class_resolves_to_a_message_key() -> None:
    classes = _exception_classes()
    assert len(classes) > 20
    for cls in classes:
        assert cls.message_key in MESSAGES, f"{cls.__module__}.{cls.__name__}: {cls.message_key}"


def test_an_exception_raised_without_detail_answers_its_key() -> None:
    from services.funding.exceptions import InvoiceNotFound

    body = problem_body(
        status=404, slug="not-found", detail=InvoiceNotFound().detail, instance="/x", accept_language=None
    )
    assert body["detail"] == "Tagihan tidak ditemukan"
    english = problem_body(
        status=404, slug="not-found", detail=InvoiceNotFound().detail, instance="/x", accept_language="en"
    )
    assert english["detail"] == "Invoice not found"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "id"),
        ("", "id"),
        ("en", "en"),
        ("en-US", "en"),
        ("EN-gb", "en"),
        ("id", "id"),
        ("id-ID,id;q=0.9,en;q=0.8", "id"),
        ("en-US,en;q=0.9,id;q=0.5", "en"),
        ("en;q=0.2, id;q=0.9", "id"),
        ("id;q=0.3, en;q=0.7", "en"),
        ("fr", "id"),
        ("fr, en;q=0.5", "en"),
        ("*", "id"),
        ("en;q=0", "id"),
        ("en;q=0, id;q=0", "id"),
        ("en;q=abc", "id"),
        ("de-DE, en-US;q=0.8", "en"),
        ("in", "id"),
        ("en, id", "en"),
        ("id, en", "id"),
    ],
)
def test_accept_language(header: str | None, language: str) -> None:
    assert preferred_language(header) == language


def test_a_message_is_its_english_text_and_renders_indonesian() -> None:
    message = Message("nik.length", length=5)
    assert message == "NIK must be exactly 16 digits, got 5"
    assert message.render("id") == "NIK harus 16 digit, bukan 5"
    assert message.render("en") == str(message)
    assert pickle.loads(pickle.dumps(message)).render("id") == "NIK harus 16 digit, bukan 5"
    with pytest.raises(KeyError):
        Message("no.such.key")


def test_amounts_group_thousands_by_language() -> None:
    message = Message("funding.over_payment", due=1_234_567)
    assert message.render("en") == "over-payment: the invoices have Rp1,234,567 outstanding"
    assert message.render("id") == "kelebihan bayar: sisa tagihan Rp1.234.567"


def test_parameters_that_are_messages_or_phrases_follow_the_language() -> None:
    summary = fields_summary(
        [{"field": "nik", "reason": Message("nik.serial")}, {"field": "x", "reason": "as is"}]
    )
    assert summary.render("id") == (
        "nik: nomor urut NIK 0000 tidak valid (nomor urut mulai dari 0001); x: as is"
    )
    assert str(summary) == "nik: NIK serial number 0000 is invalid (serials start at 0001); x: as is"
    scoped = Message("access.needs_scopes", scopes=Phrase("a atau b", "a or b"))
    assert scoped.render("id").endswith("scope a atau b") and scoped.endswith("scope a or b")


class _Sample(BaseModel):
    name: str = Field(max_length=3)
    income: int = Field(ge=1000)
    kind: str = Field(pattern=r"^[0-9]{8}$")


def _reasons(data: dict[str, object]) -> dict[str, Message]:
    with pytest.raises(ValidationError) as caught:
        _Sample.model_validate(data)
    reasons = {}
    for error in caught.value.errors():
        reason = validation_reason(error)
        assert isinstance(reason, Message)
        reasons[str(error["loc"][0])] = reason
    return reasons


def test_pydantic_errors_become_indonesian_reasons_and_keep_pydantic_english() -> None:
    reasons = _reasons({"name": "abcd", "income": 5, "kind": "12"})
    assert reasons["name"].render("id") == "paling banyak 3 karakter"
    assert reasons["name"] == "String should have at most 3 characters"
    assert reasons["income"].render("id") == "tidak boleh kurang dari 1000"
    assert reasons["kind"].render("id") == "NRP harus 8 digit"
    missing = _reasons({})
    assert {r.render("id") for r in missing.values()} == {"wajib diisi"}
    parsing = _reasons({"name": "a", "income": "banyak", "kind": "12345678"})
    assert parsing["income"].render("id") == "harus berupa bilangan bulat"


def test_a_validator_raising_a_message_gives_that_reason() -> None:
    with pytest.raises(TextError) as caught:
        clean_text("a\x00b", max_length=10)
    reason = validation_reason(
        {"type": "value_error", "msg": "Value error, x", "ctx": {"error": caught.value}}
    )
    assert reason.render("id") == "tidak boleh berisi karakter kontrol (U+0000 ditemukan)"
    assert reason == "must not contain control characters (U+0000 found)"


def test_unknown_pydantic_error_types_fall_back_to_a_generic_indonesian_reason() -> None:
    reason = validation_reason({"type": "something_new", "msg": "Something new happened"})
    assert reason.render("id") == "nilai tidak valid"
    assert reason == "Something new happened"


def test_pattern_reasons_are_the_patterns_in_use() -> None:
    from services.common.jobs import JOB_ID_PATTERN
    from services.common.wilayah import VILLAGE_CODE_PATTERN
    from services.funding.schemas import PERIOD_PATTERN
    from services.outreach.schemas import NRP_PATTERN

    assert {NRP_PATTERN, PERIOD_PATTERN, VILLAGE_CODE_PATTERN, JOB_ID_PATTERN} == set(PATTERN_REASONS)


def test_stored_field_errors_are_read_in_either_language() -> None:
    stored = dump_field_errors(
        [
            {"field": "nik", "reason": Message("nik.birth_month", month="13")},
            {
                "field": "programs",
                "reason": Message("pricing.programs_required", names=Phrase("A dan B", "A and B")),
            },
            {"field": "row", "reason": "plain text kept as it is"},
        ]
    )
    assert load_field_errors(stored, "id") == [
        {"field": "nik", "reason": "bulan lahir pada NIK harus 01-12, bukan 13"},
        {"field": "programs", "reason": "A dan B wajib"},
        {"field": "row", "reason": "plain text kept as it is"},
    ]
    assert load_field_errors(stored, "en")[0] == {
        "field": "nik",
        "reason": "NIK birth month must be 01-12, got 13",
    }
    # Rows stored before reasons carried keys read as stored.
    legacy = '[{"field": "nik", "reason": "NIK must be 16 digits"}]'
    assert load_field_errors(legacy, "id") == [{"field": "nik", "reason": "NIK must be 16 digits"}]
    assert load_field_errors(None) == []
