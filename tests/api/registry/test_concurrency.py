"""Real concurrent requests (uvicorn + threads): one person is never registered twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from services.common.worker import drain
from tests.concurrency_support import together
from tests.registry_support import VILLAGE, nik_for, roster_csv, roster_row, worker_body
from tests.support import create_component_app, internal_headers, job_service, live_server, village_headers

HEADERS = village_headers(VILLAGE)


def _count_workers(base: str) -> int:
    items: list[Any] = httpx.get(
        f"{base}/v1/workers", params={"limit": 500}, headers=internal_headers(["registry:read"])
    ).json()["items"]
    return len(items)


def test_same_idempotency_key_twice_at_once_creates_one_worker(database_url: Callable[[str], str]) -> None:
    with live_server(create_component_app("registry", database_url("registry"))) as base:
        headers = {**HEADERS, "Idempotency-Key": "create-siti-0001"}
        answers = together(
            2, lambda: httpx.post(f"{base}/v1/workers", json=worker_body(), headers=headers, timeout=30)
        )
        statuses = sorted(r.status_code for r in answers)
        assert statuses in ([201, 201], [201, 409]), [r.text for r in answers]
        ids = {r.json()["id"] for r in answers if r.status_code == 201}
        assert len(ids) == 1
        assert _count_workers(base) == 1
        # A later retry replays the stored answer; another body under the same key is refused.
        replay = httpx.post(f"{base}/v1/workers", json=worker_body(), headers=headers)
        assert replay.status_code == 201 and replay.json()["id"] in ids
        assert replay.headers["idempotent-replayed"] == "true"
        other = httpx.post(f"{base}/v1/workers", json=worker_body(name="Someone Else"), headers=headers)
        assert other.status_code == 422


def test_two_registrations_of_one_nik_at_once_give_one_201_and_one_409(
    database_url: Callable[[str], str],
) -> None:
    with live_server(create_component_app("registry", database_url("registry"))) as base:
        for serial in range(1, 4):  # a few rounds: the race must be decided every time
            body = worker_body(nik=nik_for(serial))
            answers = together(
                2, lambda body=body: httpx.post(f"{base}/v1/workers", json=body, headers=HEADERS, timeout=30)
            )
            statuses = sorted(r.status_code for r in answers)
            assert statuses == [201, 409], [r.text for r in answers]
            created = next(r for r in answers if r.status_code == 201).json()
            refused = next(r for r in answers if r.status_code == 409).json()
            assert refused["existing_worker_id"] == created["id"]
        assert _count_workers(base) == 3


def test_same_import_twice_at_once_with_one_key_imports_once(database_url: Callable[[str], str]) -> None:
    content = roster_csv([roster_row(i) for i in range(50)])
    headers = {**HEADERS, "Idempotency-Key": "roster-upload-0001"}
    app = create_component_app("registry", database_url("registry"))
    with live_server(app) as base:
        answers = together(
            2,
            lambda: httpx.post(
                f"{base}/v1/worker-imports", files={"file": ("r.csv", content)}, headers=headers, timeout=60
            ),
        )
        assert sorted(r.status_code for r in answers) in ([202, 202], [202, 409]), [r.text for r in answers]
        ids = {r.json()["id"] for r in answers if r.status_code == 202}
        assert len(ids) == 1
        import_id = ids.pop()
        # One import, so one job: the worker runs exactly one.
        assert drain(app.state.database, job_service("registry")) == 1
        state = httpx.get(f"{base}/v1/worker-imports/{import_id}", headers=HEADERS).json()
        assert state["status"] == "completed" and state["accepted"] == 50
        assert _count_workers(base) == 50
