"""Two edits of one worker made from the same read: one wins, the other answers 412 instead of
silently overwriting it (SQLite and PostgreSQL, real connections)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.concurrency_support import together, while_change_held
from tests.registry_support import VILLAGE, worker_body
from tests.support import create_component_app, live_server, village_headers

HEADERS = village_headers(VILLAGE)


def _create(base: str) -> dict[str, Any]:
    created = httpx.post(f"{base}/v1/workers", json=worker_body(), headers=HEADERS, timeout=30)
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def test_two_patches_with_the_same_etag_one_wins(database_url: Callable[[str], str]) -> None:
    with live_server(create_component_app("registry", database_url("registry"))) as base:
        worker = _create(base)
        path = f"{base}/v1/workers/{worker['id']}"
        etag = httpx.get(path, headers=HEADERS).headers["etag"]
        names = ["Siti Aminah Putri", "Siti Aminah Sari"]

        def patch() -> httpx.Response:
            name = names.pop()  # each thread its own change
            return httpx.patch(path, json={"name": name}, headers={**HEADERS, "If-Match": etag}, timeout=30)

        answers = together(2, patch)
        assert sorted(r.status_code for r in answers) == [200, 412], [r.text for r in answers]
        winner = next(r for r in answers if r.status_code == 200).json()
        assert (
            next(r for r in answers if r.status_code == 412)
            .headers["content-type"]
            .startswith("application/problem+json")
        )
        stored = httpx.get(path, headers=HEADERS)
    assert stored.json()["name"] == winner["name"]
    assert stored.json()["version"] == 2 and stored.headers["etag"] == 'W/"2"'


def test_a_change_committed_during_the_patch_makes_it_412(database_url: Callable[[str], str]) -> None:
    with live_server(create_component_app("registry", database_url("registry"))) as base:
        worker = _create(base)
        path = f"{base}/v1/workers/{worker['id']}"
        answer = while_change_held(
            database_url("registry"),
            "UPDATE workers SET phone = '0812-0000-0000', version = version + 1 WHERE id = :id",
            {"id": worker["id"]},
            lambda: httpx.patch(
                path, json={"phone": "0813-1111-2222"}, headers={**HEADERS, "If-Match": 'W/"1"'}, timeout=30
            ),
        )
        assert answer.status_code == 412, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        stored = httpx.get(path, headers=HEADERS).json()
    assert stored["phone"] == "0812-0000-0000" and stored["version"] == 2  # not overwritten
