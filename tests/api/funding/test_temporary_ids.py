"""A worker whose temporary id is past its 90-day deadline (the village's local date) cannot be rostered:
the deadline comes with the registry's worker events (or its worker resource), and a NIK lifts it."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select

from services.common.timeutil import today_in_area
from services.funding.models import FundedWorker
from tests.api.funding.conftest import VILLAGE, FakeRegistry
from tests.api.funding.test_worker_copy import new_agreement, worker_event
from tests.support import village_headers


def _add(funding: TestClient, agreement_id: int, worker_ids: list[str]) -> list[tuple[str, str, str | None]]:
    response = funding.post(
        f"/v1/funding-agreements/{agreement_id}/members",
        json={"worker_ids": worker_ids},
        headers=village_headers(VILLAGE),
    )
    assert response.status_code == 200, response.text
    return [(r["worker_id"], r["status"], r.get("reason")) for r in response.json()["results"]]


def test_an_overdue_temporary_id_blocks_rostering_until_a_nik_replaces_it(
    funding: TestClient, registry: FakeRegistry
) -> None:
    today = today_in_area(VILLAGE)
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    worker_event(funding, "worker.registered", "w-late", temporary=True, temporary_id_expires_on=yesterday)
    worker_event(funding, "worker.registered", "w-today", temporary=True, temporary_id_expires_on=str(today))
    worker_event(funding, "worker.registered", "w-nik", temporary_id_expires_on=None)
    agreement_id = new_agreement(funding)
    results = _add(funding, agreement_id, ["w-late", "w-today", "w-nik"])
    assert [(w, s) for w, s, _ in results] == [
        ("w-late", "rejected"),
        ("w-today", "added"),
        ("w-nik", "added"),
    ]
    reason = results[0][2]
    assert reason is not None and f"temporary id expired on {yesterday}" in reason and "NIK" in reason
    with funding.app.state.database.sessions() as session:  # type: ignore[attr-defined]
        stored = session.scalar(select(FundedWorker).where(FundedWorker.worker_id == "w-late"))
        assert stored is not None and stored.temporary_id_expires_on == today - dt.timedelta(days=1)
    # The registry's event after the NIK replaced the temporary id clears the deadline.
    worker_event(
        funding, "worker.updated", "w-late", version=2, temporary=False, temporary_id_expires_on=None
    )
    assert _add(funding, agreement_id, ["w-late"]) == [("w-late", "added", None)]
    assert registry.calls == []


def test_a_worker_fetched_from_the_registry_brings_its_deadline(
    funding: TestClient, registry: FakeRegistry
) -> None:
    registry.add("w-fetched", status="registered")
    registry.workers["w-fetched"].update(
        nik=None,
        temporary_id="TMP-ABCDEF123456",
        temporary_deadline=(today_in_area(VILLAGE) - dt.timedelta(days=2)).isoformat(),
    )
    agreement_id = new_agreement(funding)
    response = funding.post(
        f"/v1/funding-agreements/{agreement_id}/members",
        json={"worker_ids": ["w-fetched"]},
        headers=village_headers(VILLAGE),
    )
    # Nobody could be added: a 422 naming the item and why.
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "worker_ids.0" and "temporary id expired" in error["reason"]
