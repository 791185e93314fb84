"""One rule for every string a client sends: request fields, query and path parameters, import cells.

``Annotated[str, TextRule(120)]`` (or :func:`clean_text` outside pydantic) gives the stored form of a
string or a readable reason:

- Unicode **NFC** (canonical composition): ``"e" + U+0301`` and ``"é"`` become the same stored text.
  NFC, not NFKC: compatibility folding (ligatures, full-width digits, ``™``) would change what a person
  typed; comparisons that want it (the registry's duplicate key) fold on their own.
- surrounding whitespace stripped;
- control characters (Unicode category Cc: NUL, C0 and C1) refused, except tab, line feed and carriage
  return in ``multiline`` text; lone surrogates (Cs) refused too. PostgreSQL cannot store NUL at all,
  and no control character belongs in a name, reference or filter;
- length checked on the normalised form, i.e. the form that is stored, so ``max_length`` is the
  column's length. (Case folding applied by a domain to a *derived* value, such as the registry's name
  key, is sized by that domain's own column.)

The JSON schema shows ``minLength``/``maxLength`` (and ``pattern``), as ``Field(max_length=…)`` would;
``Field`` itself is not used because pydantic would count the raw, unnormalised characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Final

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from services.common.messages import Message

NORMALISATION: Final = "NFC"
# Category Cc (C0, DEL, C1) and surrogates; the multiline form lets tab, LF and CR through.
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_REFUSED_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class TextError(ValueError):
    """Why a string was refused: a :class:`Message` (``str(error)`` is its English form)."""


def _describe(char: str) -> str:
    return f"U+{ord(char):04X}"


def clean_text(
    value: str,
    *,
    max_length: int,
    min_length: int = 1,
    multiline: bool = False,
    pattern: str | None = None,
    pattern_reason: str | None = None,
) -> str:
    """The stored form of ``value`` (NFC, stripped); :class:`TextError` with the reason if refused."""
    found = (_REFUSED_MULTILINE if multiline else _REFUSED).search(value)
    if found is not None:
        char = found.group()
        if "\ud800" <= char <= "\udfff":
            raise TextError(Message("text.lone_surrogate"))
        key = "text.control_character_multiline" if multiline else "text.control_character"
        raise TextError(Message(key, char=_describe(char)))
    stored = unicodedata.normalize(NORMALISATION, value).strip()
    if len(stored) < min_length:
        raise TextError(
            Message("text.empty") if min_length == 1 else Message("text.too_short", min_length=min_length)
        )
    if len(stored) > max_length:
        raise TextError(Message("text.too_long", max_length=max_length))
    if pattern is not None and re.search(pattern, stored) is None:  # re caches the compiled pattern
        raise TextError(pattern_reason or Message("text.pattern", pattern=pattern))
    return stored


@dataclass(frozen=True, slots=True)
class TextRule:
    """Pydantic metadata applying :func:`clean_text`: ``Annotated[str, TextRule(60)]``.

    Put it on ``str`` itself; an optional value is ``Annotated[str, TextRule(60)] | None``.
    """

    max_length: int
    min_length: int = 1
    multiline: bool = False
    pattern: str | None = None
    pattern_reason: str | None = None

    def clean(self, value: str) -> str:
        return clean_text(
            value,
            max_length=self.max_length,
            min_length=self.min_length,
            multiline=self.multiline,
            pattern=self.pattern,
            pattern_reason=self.pattern_reason,
        )

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.clean, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["maxLength"] = self.max_length
        if self.min_length:
            json_schema["minLength"] = self.min_length
        if self.pattern is not None:
            json_schema["pattern"] = self.pattern
        return json_schema


def is_clean(value: str) -> bool:
    """Whether ``value`` holds no character the rule refuses (for text checked outside pydantic)."""
    return _REFUSED.search(value) is None


def sanitise_label(value: str, max_length: int) -> str:
    """A label the client does not choose deliberately (an uploaded file's name): kept, not refused,
    with control characters and surrogates removed, NFC, stripped and cut to ``max_length``."""
    return unicodedata.normalize(NORMALISATION, _REFUSED.sub("", value)).strip()[:max_length]
