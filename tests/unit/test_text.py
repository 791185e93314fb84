"""The common text rule: NFC, stripping, control characters, length after normalisation, JSON schema."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from services.common.text import TextError, TextRule, clean_text, sanitise_label


class _Sample(BaseModel):
    name: Annotated[str, TextRule(5)]
    note: Annotated[str, TextRule(20, min_length=0, multiline=True)] | None = None
    code: Annotated[str, TextRule(4, pattern=r"^[0-9]+$", pattern_reason="digits only")] | None = None


def test_text_is_stored_in_nfc_and_stripped() -> None:
    decomposed = "Jose\u0301"  # "José" typed with a combining accent
    assert clean_text(f"  {decomposed}\u00a0", max_length=10) == "Jos\u00e9"
    assert _Sample(name=decomposed).name == "Jos\u00e9"
    # NFC, not NFKC: ligatures and full-width letters stay as typed.
    assert clean_text("\ufb01 \uff21", max_length=10) == "\ufb01 \uff21"


def test_length_is_counted_after_normalisation() -> None:
    # Ten code points, five characters once composed: fits a limit of five.
    assert clean_text("e\u0301" * 5, max_length=5) == "\u00e9" * 5
    with pytest.raises(TextError, match="at most 5 characters"):
        clean_text("e\u0301" * 6, max_length=5)
    # Surrounding spaces do not count, and a value of only spaces is empty.
    assert clean_text("   abcde   ", max_length=5) == "abcde"
    with pytest.raises(TextError, match="must not be empty"):
        clean_text("   ", max_length=5)
    with pytest.raises(TextError, match="at least 3 characters"):
        clean_text(" ab ", max_length=5, min_length=3)
    assert clean_text("ß" * 5, max_length=5) == "ß" * 5  # no case folding: stored as typed


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f", "\t", "\n", "\r", "\x0b"])
def test_control_characters_are_refused_with_their_code(char: str) -> None:
    with pytest.raises(TextError) as refused:
        clean_text(f"ab{char}c", max_length=10)
    assert str(refused.value) == f"must not contain control characters (U+{ord(char):04X} found)"


def test_multiline_text_keeps_tabs_and_line_breaks_only() -> None:
    assert clean_text("line one\r\n\tline two", max_length=30, multiline=True) == "line one\r\n\tline two"
    for char in ("\x00", "\x0b", "\x0c", "\x85"):
        with pytest.raises(TextError, match=r"control characters.*line breaks are allowed"):
            clean_text(f"a{char}b", max_length=10, multiline=True)


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(TextError, match="valid Unicode"):
        clean_text("ab\ud800", max_length=10)


def test_pattern_is_checked_on_the_stored_form_with_its_reason() -> None:
    assert _Sample(name="x", code=" 123 ").code == "123"
    with pytest.raises(ValidationError, match="digits only"):
        _Sample(name="x", code="12a")
    with pytest.raises(TextError, match=r"must match the pattern \^\[a-z\]\+\$"):
        clean_text("A", max_length=3, pattern=r"^[a-z]+$")


def test_pydantic_errors_name_the_field_and_the_reason() -> None:
    with pytest.raises(ValidationError) as refused:
        _Sample(name="a\x00b", note="ok\nfine")
    errors = refused.value.errors()
    assert [(e["loc"], e["msg"]) for e in errors] == [
        (("name",), "Value error, must not contain control characters (U+0000 found)")
    ]
    assert _Sample(name="a", note="").note == ""  # min_length=0 allows empty
    assert _Sample(name="a").note is None


def test_json_schema_shows_the_limits() -> None:
    schema = _Sample.model_json_schema()["properties"]
    assert schema["name"] == {"type": "string", "maxLength": 5, "minLength": 1, "title": "Name"}
    code = schema["code"]["anyOf"][0]
    assert code == {"type": "string", "maxLength": 4, "minLength": 1, "pattern": "^[0-9]+$"}


def test_labels_are_cleaned_not_refused() -> None:
    assert sanitise_label(" roster\x00.csv\n", 255) == "roster.csv"
    assert sanitise_label("Jose\u0301.csv", 6) == "Jos\u00e9.c"
