"""The plumbing every service shares: problems, request ids, readiness, idempotency, ETags."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from sqlalchemy import MetaData, func, select
from sqlalchemy.orm import Session

from services.common.app import create_service_app
from services.common.db import Database, session_scope
from services.common.errors import Conflict
from services.common.idempotency import IdempotencyKeyHeader, idempotent_json, make_idempotency_table
from services.common.money import Rupiah
from services.common.principal import authenticated_principal
from services.common.timeutil import utcnow
from services.registry.config import RegistrySettings
from tests.support import TEST_SECRET, client_for, live_server, village_headers

_metadata = MetaData()
_claims = make_idempotency_table(_metadata)


class Payment(BaseModel):
    amount_idr: Rupiah
    reference: str = Field(min_length=3)


def _plumbing_app(database_url: str) -> FastAPI:
    """A registry-shaped app with test routes exercising the shared plumbing."""
    router = APIRouter()
    calls = {"count": 0}
    lock = threading.Lock()

    @router.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internals 3326154107900001")

    @router.get("/v1/conflict")
    def conflict() -> None:
        raise Conflict("already there", extra={"existing_id": "w-1"})

    @router.post("/v1/half-written")
    def half_written(
        request: Request, session: Annotated[Session, Depends(session_scope, scope="function")]
    ) -> None:
        session.execute(
            _claims.insert().values(scope="half", key="written", fingerprint="x", created_at=utcnow())
        )
        session.flush()
        raise Conflict("refused after a flush")

    @router.post("/v1/payments-test", status_code=201)
    def pay(
        body: Payment,
        request: Request,
        session: Annotated[Session, Depends(session_scope, scope="function")],
        key: IdempotencyKeyHeader = None,
    ) -> object:
        principal = authenticated_principal(request)

        def produce() -> dict[str, object]:
            with lock:
                calls["count"] += 1
                number = calls["count"]
            return {"payment_no": number, "amount_idr": body.amount_idr}

        return idempotent_json(
            session,
            _claims,
            scope=principal.actor,
            key=key,
            method="POST",
            path=request.url.path,
            payload=body,
            status_code=201,
            produce=produce,
        )

    settings = RegistrySettings(database_url=database_url, internal_secret=TEST_SECRET, env="test")

    def create_claims_table(app: FastAPI) -> None:
        database: Database = app.state.database
        _metadata.create_all(database.engine)  # test-only table

    app = create_service_app(
        settings=settings,
        title="plumbing",
        description="test",
        routers=[router],
        on_startup=[create_claims_table],
    )
    app.state.calls = calls
    return app


@pytest.fixture
def plumbing(database_url: Callable[[str], str]) -> FastAPI:
    return _plumbing_app(database_url("registry"))


def test_unexpected_error_is_a_500_problem_with_request_id_and_no_internals(plumbing: FastAPI) -> None:
    with client_for(plumbing) as client:
        response = client.get("/v1/boom", headers={"X-Request-Id": "req-abc-123"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "req-abc-123"
    body = response.json()
    assert body["request_id"] == "req-abc-123"
    assert "req-abc-123" in body["detail"]
    assert "secret internals" not in response.text


def test_problem_titles_follow_accept_language_and_carry_extras(plumbing: FastAPI) -> None:
    with client_for(plumbing) as client:
        indonesian = client.get("/v1/conflict", headers={"Accept-Language": "id"}).json()
        english = client.get("/v1/conflict", headers={"Accept-Language": "en-US,en;q=0.9,id;q=0.5"}).json()
    assert indonesian["title"] == "Konflik dengan data yang ada"
    assert english["title"] == "Conflict with existing data"
    assert english["status"] == 409
    assert english["existing_id"] == "w-1"
    assert english["type"].endswith("/problems/conflict")


def test_validation_errors_name_each_field(plumbing: FastAPI) -> None:
    with client_for(plumbing) as client:
        response = client.post(
            "/v1/payments-test",
            json={"amount_idr": 1.5, "reference": "x"},
            headers=village_headers("33.26.15.2001"),
        )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"amount_idr", "reference"}


def test_unsafe_request_ids_are_replaced(plumbing: FastAPI) -> None:
    with client_for(plumbing) as client:
        response = client.get("/healthz", headers={"X-Request-Id": "bad id\nwith newline"})
        generated = client.get("/healthz")
    assert response.headers["x-request-id"] != "bad id\nwith newline"
    assert len(generated.headers["x-request-id"]) == 32


def test_readiness_reports_an_unmigrated_database(tmp_path_factory: pytest.TempPathFactory) -> None:
    url = f"sqlite:///{tmp_path_factory.mktemp('empty') / 'registry.db'}"
    app = create_service_app(
        settings=RegistrySettings(database_url=url, internal_secret=TEST_SECRET, env="test"),
        title="t",
        description="t",
        routers=[],
    )
    with client_for(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["status"] == "pending"


def test_readiness_of_a_migrated_database(service_client: Callable[..., TestClient]) -> None:
    response = service_client("registry").get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["migrations"]["status"] == "ok"


def test_idempotency_replays_and_refuses_a_different_body(plumbing: FastAPI) -> None:
    headers = {**village_headers("33.26.15.2001"), "Idempotency-Key": "key-000001"}
    with client_for(plumbing) as client:
        first = client.post(
            "/v1/payments-test", json={"amount_idr": 50_400, "reference": "SP2D-1"}, headers=headers
        )
        again = client.post(
            "/v1/payments-test", json={"amount_idr": 50_400, "reference": "SP2D-1"}, headers=headers
        )
        other = client.post(
            "/v1/payments-test", json={"amount_idr": 99, "reference": "SP2D-1"}, headers=headers
        )
        other_village = client.post(
            "/v1/payments-test",
            json={"amount_idr": 50_400, "reference": "SP2D-1"},
            headers={
                **village_headers("33.26.15.2002", subject="key-other"),
                "Idempotency-Key": "key-000001",
            },
        )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() == {"payment_no": 1, "amount_idr": 50_400}
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    # Keys are scoped per caller: another village's identical key is its own request.
    assert other_village.json()["payment_no"] == 2


def test_concurrent_duplicates_have_exactly_one_effect(plumbing: FastAPI) -> None:
    headers = {**village_headers("33.26.15.2001"), "Idempotency-Key": "key-concurrent-1"}
    results: list[httpx.Response] = []
    with live_server(plumbing) as base:

        def send() -> None:
            results.append(
                httpx.post(
                    f"{base}/v1/payments-test",
                    json={"amount_idr": 16_800, "reference": "SP2D-9"},
                    headers=headers,
                    timeout=30,
                )
            )

        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert plumbing.state.calls["count"] == 1
    assert all(r.status_code in (201, 409) for r in results), [r.text for r in results]
    bodies = [r.json() for r in results if r.status_code == 201]
    assert bodies and all(body == {"payment_no": 1, "amount_idr": 16_800} for body in bodies)
    database = Database(str(plumbing.state.settings.database_url))
    try:
        with database.sessions() as session:
            claims = select(func.count()).select_from(_claims).where(_claims.c.key == "key-concurrent-1")
            assert session.execute(claims).scalar_one() == 1
    finally:
        database.dispose()


def test_a_refused_request_leaves_nothing_half_written(plumbing: FastAPI) -> None:
    with client_for(plumbing) as client:
        response = client.post("/v1/half-written")
    assert response.status_code == 409
    database = Database(str(plumbing.state.settings.database_url))
    try:
        with database.sessions() as session:
            written = select(func.count()).select_from(_claims).where(_claims.c.scope == "half")
            assert session.execute(written).scalar_one() == 0
    finally:
        database.dispose()
