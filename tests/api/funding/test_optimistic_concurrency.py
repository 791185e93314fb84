"""Two changes of one agreement made from the same read: one wins, the other answers 412 instead of
silently overwriting it (SQLite and PostgreSQL, real connections)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from tests.api.funding.conftest import VILLAGE, FakeRegistry
from tests.concurrency_support import together, while_change_held
from tests.funding_support import agreement_body
from tests.support import create_component_app, live_server, village_headers

HEADERS = village_headers(VILLAGE)


def _draft(funding: TestClient) -> dict[str, object]:
    created = funding.post("/v1/funding-agreements", json=agreement_body(VILLAGE), headers=HEADERS)
    assert created.status_code == 201, created.text
    body: dict[str, object] = created.json()
    return body


def test_two_patches_with_the_same_etag_one_wins(
    funding: TestClient, database_url: Callable[[str], str], fake_registry: tuple[FakeRegistry, str]
) -> None:
    agreement = _draft(funding)
    path = f"/v1/funding-agreements/{agreement['id']}"
    etag = funding.get(path, headers=HEADERS).headers["etag"]
    app = create_component_app("funding", database_url("funding"), registry_url=fake_registry[1])
    with live_server(app) as url:
        references = ["Perkades No. 8 Tahun 2026", "Perkades No. 9 Tahun 2026"]

        def patch() -> httpx.Response:
            reference = references.pop()  # each thread its own change
            return httpx.patch(
                f"{url}{path}",
                json={"legal_reference": reference},
                headers={**HEADERS, "If-Match": etag},
                timeout=30,
            )

        answers = together(2, patch)
    assert sorted(r.status_code for r in answers) == [200, 412], [r.text for r in answers]
    winner = next(r for r in answers if r.status_code == 200).json()
    loser = next(r for r in answers if r.status_code == 412)
    assert loser.headers["content-type"].startswith("application/problem+json")
    stored = funding.get(path, headers=HEADERS)
    assert stored.json()["legal_reference"] == winner["legal_reference"]
    assert stored.json()["version"] == 2 and stored.headers["etag"] == 'W/"2"'


def test_a_change_committed_during_the_patch_makes_it_412(
    funding: TestClient, database_url: Callable[[str], str], fake_registry: tuple[FakeRegistry, str]
) -> None:
    agreement = _draft(funding)
    path = f"/v1/funding-agreements/{agreement['id']}"
    app = create_component_app("funding", database_url("funding"), registry_url=fake_registry[1])
    with live_server(app) as url:
        answer = while_change_held(
            database_url("funding"),
            "UPDATE funding_agreements SET legal_reference = 'held', version = version + 1 WHERE id = :id",
            {"id": agreement["id"]},
            lambda: httpx.patch(
                f"{url}{path}",
                json={"legal_reference": "Perkades No. 10 Tahun 2026"},
                headers={**HEADERS, "If-Match": 'W/"1"', "Accept-Language": "en"},
                timeout=30,
            ),
        )
    assert answer.status_code == 412, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "GET it again" in answer.json()["detail"]
    stored = funding.get(path, headers=HEADERS).json()
    assert stored["legal_reference"] == "held" and stored["version"] == 2  # not overwritten
