"""A tampered pagination cursor is a 422 problem on ``cursor`` on every list, never a 500."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.support import anonymous_headers, internal_headers


def _encoded(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


TAMPERED = [
    _encoded([{"a": 1}]),
    _encoded([True]),
    _encoded([None]),
    _encoded([10**30]),
    _encoded([1.5]),
    _encoded([[1]]),
    _encoded(["x" * 600]),
    _encoded(["a\u0000b"]),
    _encoded([1, 2]),
    _encoded({"id": 1}),
    _encoded("[" * 5000),
    "!!!not-base64!!!",
    base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
]

# (component, list path, headers); several lists of each service.
LISTS: list[tuple[str, str, dict[str, str]]] = [
    ("registry", "/v1/areas?q=Lasem", anonymous_headers()),
    ("registry", "/v1/workers", internal_headers()),
    ("registry", "/v1/duplicate-candidates", internal_headers()),
    ("outreach", "/v1/officers", internal_headers()),
    ("outreach", "/v1/outreach-sessions", internal_headers()),
    ("outreach", "/v1/leads", internal_headers()),
]


@pytest.mark.parametrize(("component", "path", "headers"), LISTS, ids=[p for _, p, _ in LISTS])
def test_tampered_cursor_is_a_422_problem_on_every_list(
    service_client: Callable[..., TestClient], component: str, path: str, headers: dict[str, str]
) -> None:
    overrides = {"registry_url": "http://127.0.0.1:9"} if component == "outreach" else {}
    client = service_client(component, **overrides)
    assert client.get(path, headers=headers).status_code == 200
    separator = "&" if "?" in path else "?"
    for cursor in TAMPERED:
        response = client.get(f"{path}{separator}cursor={cursor}", headers=headers)
        assert response.status_code == 422, (cursor, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["field"] for error in response.json()["errors"]] == ["cursor"]
