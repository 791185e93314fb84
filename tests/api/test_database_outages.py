"""Against a live PostgreSQL: connections killed under traffic and a real deadlock answer 503 problem+json
with Retry-After (or succeed: pre-ping, one retry of reads), never 500."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Annotated

import httpx
import psycopg
import pytest
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import Column, Integer, MetaData, Table, text
from sqlalchemy.orm import Session

from services.common.app import create_service_app
from services.common.db import Database, normalise_url, session_scope
from services.registry.config import RegistrySettings
from tests.registry_support import VILLAGE, nik_for, worker_body
from tests.support import TEST_SECRET, create_component_app, live_server, village_headers

VIL = village_headers(VILLAGE)


def _terminate_others(url: str) -> int:
    with psycopg.connect(
        normalise_url(url).replace("postgresql+psycopg", "postgresql"), autocommit=True
    ) as c:
        rows = c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


def _require_postgres(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("terminating server backends needs PostgreSQL")


def test_killed_connections_under_traffic_never_answer_500(
    backend: str, database_url: Callable[[str], str]
) -> None:
    _require_postgres(backend)
    url = database_url("registry")
    app = create_component_app("registry", url)
    statuses: Counter[int] = Counter()
    bodies: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def traffic(base: str, worker: int) -> None:
        serial = worker * 1000
        with httpx.Client(base_url=base, headers=VIL, timeout=30) as client:
            while not stop.is_set():
                serial += 1
                body = worker_body(nik=nik_for(serial % 9999 + 1, yy=60 + worker), name=f"Pekerja {serial}")
                for response in (
                    client.post("/v1/workers", json=body),
                    client.get("/v1/workers", params={"limit": 20}),
                ):
                    with lock:
                        statuses[response.status_code] += 1
                        if response.status_code >= 500:
                            bodies.append(f"{response.status_code} {response.headers} {response.text}")

    with live_server(app) as base:
        threads = [threading.Thread(target=traffic, args=(base, n)) for n in range(4)]
        for thread in threads:
            thread.start()
        killed = 0
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            time.sleep(0.15)
            killed += _terminate_others(url)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        # After the storm the service recovers on its own (pool pre-ping replaces dead connections).
        with httpx.Client(base_url=base, headers=VIL, timeout=30) as client:
            assert client.get("/v1/workers").status_code == 200
    assert killed > 0
    assert statuses[500] == 0, bodies[:3]
    assert set(statuses) <= {200, 201, 409, 503}, statuses
    assert statuses[200] + statuses[201] > 0
    for body in bodies:
        assert "application/problem+json" in body and "'retry-after': '1'" in body.lower()


_metadata = MetaData()
_rows = Table("deadlock_rows", _metadata, Column("id", Integer, primary_key=True), Column("n", Integer))


def _deadlock_app(url: str, barrier: threading.Barrier) -> FastAPI:
    router = APIRouter()

    @router.post("/v1/lock/{first}/{second}")
    def lock_both(
        first: int, second: int, session: Annotated[Session, Depends(session_scope, scope="function")]
    ) -> dict[str, str]:
        session.execute(text("UPDATE deadlock_rows SET n = n + 1 WHERE id = :id"), {"id": first})
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)  # both now hold their first row
        session.execute(text("UPDATE deadlock_rows SET n = n + 1 WHERE id = :id"), {"id": second})
        return {"status": "done"}

    def create_table(app: FastAPI) -> None:
        database: Database = app.state.database
        _metadata.drop_all(database.engine)
        _metadata.create_all(database.engine)
        with database.engine.begin() as connection:
            connection.execute(_rows.insert(), [{"id": 1, "n": 0}, {"id": 2, "n": 0}])

    settings = RegistrySettings(database_url=url, internal_secret=TEST_SECRET, env="test")
    return create_service_app(
        settings=settings, title="deadlock", description="t", routers=[router], on_startup=[create_table]
    )


def test_a_real_deadlock_is_a_503_with_retry_after(backend: str, database_url: Callable[[str], str]) -> None:
    _require_postgres(backend)
    url = database_url("registry")
    barrier = threading.Barrier(2)
    results: dict[str, httpx.Response] = {}
    app = _deadlock_app(url, barrier)
    try:
        with live_server(app) as base:

            def call(path: str) -> None:
                results[path] = httpx.post(base + path, timeout=30)

            threads = [threading.Thread(target=call, args=(p,)) for p in ("/v1/lock/1/2", "/v1/lock/2/1")]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
    finally:
        engine = Database(url).engine
        _metadata.drop_all(engine)
        engine.dispose()
    codes = sorted(r.status_code for r in results.values())
    assert codes == [200, 503], [r.text for r in results.values()]
    [refused] = [r for r in results.values() if r.status_code == 503]
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["type"].endswith("/problems/database-unavailable")
