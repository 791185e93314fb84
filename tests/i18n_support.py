"""Helpers for the language tests: a client that sends no Accept-Language, and the English check."""

from __future__ import annotations

import string
from functools import lru_cache
from typing import Any

from fastapi.testclient import TestClient

from services.common.messages import MESSAGES

ENGLISH = {"Accept-Language": "en"}
# pydantic's own English, which the Indonesian answers must not fall back to.
_PYDANTIC_ENGLISH = ("Field required", "Input should", "String should", "Value error", "Invalid JSON")


def default_language(client: TestClient) -> TestClient:
    """``client`` without the English default of ``tests.support.client_for``: the API's default applies."""
    client.headers.pop("accept-language", None)
    return client


@lru_cache(maxsize=1)
def english_fragments() -> frozenset[str]:
    """The fixed words of every English template that no Indonesian template shares."""
    indonesian = " ".join(template.id for template in MESSAGES.values())
    fragments = set(_PYDANTIC_ENGLISH)
    for template in MESSAGES.values():
        for literal, *_ in string.Formatter().parse(template.en):
            for piece in literal.split(";"):
                piece = piece.strip(" ,.:()")
                if len(piece) >= 12 and piece not in indonesian:
                    fragments.add(piece)
    return frozenset(fragments)


def client_texts(body: dict[str, Any]) -> list[str]:
    """What a person reads in a problem: detail and every field reason."""
    texts = [str(body.get("detail") or "")]
    texts += [str(e["reason"]) for e in body.get("errors") or []]
    return texts


def assert_no_english(body: dict[str, Any]) -> None:
    for text in client_texts(body):
        leaked = sorted(f for f in english_fragments() if f in text)
        assert not leaked, f"English in an Indonesian answer: {text!r} contains {leaked}"
