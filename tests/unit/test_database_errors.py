"""Transient database failures answer 503 problem+json with Retry-After (reads retried once), never 500;
other database errors stay 500."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from services.common.app import create_service_app
from services.common.db import is_retryable_db_error, is_transient_db_error
from services.registry.config import RegistrySettings
from tests.support import TEST_SECRET, client_for


class FakeDriverError(Exception):
    """Stands in for a driver exception carrying a SQLSTATE (psycopg's ``sqlstate``)."""

    def __init__(self, sqlstate: str | None, message: str = "driver says no") -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _wrap(kind: type[DBAPIError], orig: Exception, *, invalidated: bool = False) -> DBAPIError:
    return kind("SELECT 1", {}, orig, connection_invalidated=invalidated)


TRANSIENT: dict[str, BaseException] = {
    "serialization": _wrap(OperationalError, FakeDriverError("40001")),
    "deadlock": _wrap(OperationalError, FakeDriverError("40P01")),
    "admin_shutdown": _wrap(OperationalError, FakeDriverError("57P01")),
    "crash_shutdown": _wrap(OperationalError, FakeDriverError("57P02")),
    "cannot_connect_now": _wrap(OperationalError, FakeDriverError("57P03")),
    "connection_failure": _wrap(OperationalError, FakeDriverError("08006")),
    "connection_invalidated": _wrap(DBAPIError, FakeDriverError(None), invalidated=True),
    "server_unreachable": _wrap(OperationalError, psycopg.OperationalError("connection refused")),
    "sqlite_locked": _wrap(OperationalError, sqlite3.OperationalError("database is locked")),
    "pool_exhausted": PoolTimeout("QueuePool limit reached"),
}
RETRYABLE = {"serialization", "deadlock", "admin_shutdown", "crash_shutdown", "cannot_connect_now"}
RETRYABLE |= {"connection_failure", "connection_invalidated"}
PERMANENT: dict[str, BaseException] = {
    "unique_violation": _wrap(IntegrityError, FakeDriverError("23505")),
    "undefined_table": _wrap(ProgrammingError, FakeDriverError("42P01")),
    "sqlite_syntax": _wrap(OperationalError, sqlite3.OperationalError('near "SELEC": syntax error')),
}


@pytest.mark.parametrize("name", sorted(TRANSIENT))
def test_transient_errors_are_recognised(name: str) -> None:
    assert is_transient_db_error(TRANSIENT[name])
    assert is_retryable_db_error(TRANSIENT[name]) is (name in RETRYABLE)


@pytest.mark.parametrize("name", sorted(PERMANENT))
def test_other_database_errors_are_not(name: str) -> None:
    assert not is_transient_db_error(PERMANENT[name])
    assert not is_retryable_db_error(PERMANENT[name])


@pytest.fixture
def raising(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, int], dict[str, list[BaseException]]]]:
    """An app whose routes raise the queued errors one per call, then succeed."""
    calls: dict[str, int] = {"get": 0, "post": 0}
    queued: dict[str, list[BaseException]] = {"get": [], "post": []}
    router = APIRouter()

    def run(method: str) -> dict[str, int]:
        calls[method] += 1
        if queued[method]:
            raise queued[method].pop(0)
        return {"calls": calls[method]}

    @router.get("/v1/thing")
    def read() -> dict[str, int]:
        return run("get")

    @router.post("/v1/thing")
    def write() -> dict[str, int]:
        return run("post")

    settings = RegistrySettings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}", internal_secret=TEST_SECRET, env="test"
    )
    app: FastAPI = create_service_app(settings=settings, title="t", description="t", routers=[router])
    with client_for(app) as client:
        yield client, calls, queued


def _assert_503(response: object) -> None:
    assert getattr(response, "status_code", None) == 503, getattr(response, "text", "")
    headers = getattr(response, "headers", {})
    assert headers["content-type"] == "application/problem+json"
    assert headers["retry-after"] == "1"
    body = response.json()  # type: ignore[attr-defined]
    assert body["type"].endswith("/problems/database-unavailable") and body["status"] == 503
    assert "SELECT" not in body["detail"] and "driver says" not in body["detail"]


@pytest.mark.parametrize("name", sorted(TRANSIENT))
def test_a_write_failing_transiently_is_503_and_never_rerun(
    raising: tuple[TestClient, dict[str, int], dict[str, list[BaseException]]], name: str
) -> None:
    client, calls, queued = raising
    queued["post"].append(TRANSIENT[name])
    _assert_503(client.post("/v1/thing"))
    assert calls["post"] == 1  # a POST may have had effects: it is never re-run inside the service


@pytest.mark.parametrize("name", sorted(RETRYABLE))
def test_a_read_is_retried_once_then_answers(
    raising: tuple[TestClient, dict[str, int], dict[str, list[BaseException]]], name: str
) -> None:
    client, calls, queued = raising
    queued["get"].append(TRANSIENT[name])
    response = client.get("/v1/thing")
    assert response.status_code == 200, response.text
    assert response.json() == {"calls": 2} and calls["get"] == 2


def test_a_read_failing_twice_is_503_after_exactly_one_retry(
    raising: tuple[TestClient, dict[str, int], dict[str, list[BaseException]]],
) -> None:
    client, calls, queued = raising
    queued["get"] += [TRANSIENT["deadlock"], TRANSIENT["serialization"]]
    _assert_503(client.get("/v1/thing"))
    assert calls["get"] == 2
    assert client.get("/v1/thing").json() == {"calls": 3}


def test_a_locked_sqlite_read_is_503_without_a_retry(
    raising: tuple[TestClient, dict[str, int], dict[str, list[BaseException]]],
) -> None:
    client, calls, queued = raising
    queued["get"].append(TRANSIENT["sqlite_locked"])
    _assert_503(client.get("/v1/thing"))
    assert calls["get"] == 1


@pytest.mark.parametrize("name", sorted(PERMANENT))
def test_other_database_errors_stay_500(
    raising: tuple[TestClient, dict[str, int], dict[str, list[BaseException]]], name: str
) -> None:
    client, calls, queued = raising
    queued["get"].append(PERMANENT[name])
    response = client.get("/v1/thing")
    assert response.status_code == 500 and "retry-after" not in response.headers
    assert response.headers["content-type"] == "application/problem+json"
    assert calls["get"] == 1
