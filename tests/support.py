"""Test support importable from any test module: databases per backend, app clients, principals."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import make_url

from services.common.db import create_db_engine, normalise_url
from services.common.migrations import upgrade
from services.common.principal import PRINCIPAL_HEADER, Principal, PrincipalKind, encode_principal
from services.common.settings import DEFAULT_INTERNAL_SECRET

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TEST_SECRET = DEFAULT_INTERNAL_SECRET


def _component(package: str, name: str) -> tuple[str, str, str, str]:
    # (models module, declarative base, app module, settings class path)
    return (f"{package}.models", f"{name}Base", f"{package}.main", f"{package}.config:{name}Settings")


_COMPONENTS: dict[str, tuple[str, str, str, str]] = {
    "registry": _component("services.registry", "Registry"),
    "funding": _component("services.funding", "Funding"),
    "outreach": _component("services.outreach", "Outreach"),
    "webhooks": _component("services.webhooks", "Webhooks"),
    "gateway": _component("gateway", "Gateway"),
}


def postgres_admin_url() -> str:
    return os.environ.get("SASAR_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_reachable(url: str) -> bool:
    try:
        with psycopg.connect(
            make_url(url).set(drivername="postgresql").render_as_string(False), connect_timeout=3
        ):
            return True
    except psycopg.Error:
        return False


def component_metadata(component: str) -> MetaData:
    module, base, _, _ = _COMPONENTS[component]
    metadata: MetaData = getattr(importlib.import_module(module), base).metadata
    return metadata


def reference_tables(component: str) -> frozenset[str]:
    tables: frozenset[str] = importlib.import_module(_COMPONENTS[component][0]).REFERENCE_TABLES
    return tables


_permissive_outreach: list[str] = []
_permissive_servers: list[Any] = []
_permissive_outreach_lock = threading.Lock()


def permissive_outreach_url() -> str:
    """A stand-in outreach (one per test process) for registry tests that are not about assignments: it
    answers every officer as active and assigned. Tests about assignments point the registry at the real
    outreach service instead (``outreach_url=``)."""
    with _permissive_outreach_lock:
        if not _permissive_outreach:
            app = FastAPI()

            @app.get("/internal/officers/{officer_id}/assignments/{village_code}")
            def access(officer_id: int, village_code: str) -> dict[str, Any]:
                today = dt.date.today().isoformat()
                return {"officer_id": officer_id, "village_code": village_code, "on": today} | {
                    "active": True,
                    "assigned": True,
                }

            server = live_server(app)
            _permissive_outreach.append(server.__enter__())  # serves until the process ends (daemon)
            _permissive_servers.append(server)  # referenced, so garbage collection never stops it
        return _permissive_outreach[0]


def settings_for(component: str, database_url: str, **overrides: Any) -> Any:
    if component == "registry":
        overrides.setdefault("outreach_url", permissive_outreach_url())
    module, name = _COMPONENTS[component][3].split(":")
    cls = getattr(importlib.import_module(module), name)
    return cls(database_url=database_url, internal_secret=TEST_SECRET, env="test", log_json=True, **overrides)


def create_component_app(component: str, database_url: str, **overrides: Any) -> FastAPI:
    app_module = importlib.import_module(_COMPONENTS[component][2])
    app: FastAPI = app_module.create_app(settings_for(component, database_url, **overrides))
    return app


@dataclass
class DatabaseFactory:
    """Creates one migrated database per (component, backend) for the test session, and drops them."""

    tmp_dir: Path
    postgres_url: str | None
    created_pg: list[str] = field(default_factory=list)
    urls: dict[tuple[str, str], str] = field(default_factory=dict)
    prefix: str = field(default_factory=lambda: f"sasar_test_{os.getpid()}_{uuid.uuid4().hex[:6]}")

    def url(self, component: str, backend: str, *, fresh: bool = False, load_areas: bool = True) -> str:
        key = (component, backend)
        if not fresh and key in self.urls:
            return self.urls[key]
        suffix = f"{component}_{uuid.uuid4().hex[:6]}" if fresh else component
        if backend == "sqlite":
            url = f"sqlite:///{self.tmp_dir / f'{suffix}.db'}"
        elif backend == "postgres":
            if self.postgres_url is None:
                raise RuntimeError("PostgreSQL is not reachable")
            name = f"{self.prefix}_{suffix}"
            self._admin(f'CREATE DATABASE "{name}"')
            self.created_pg.append(name)
            url = make_url(normalise_url(self.postgres_url)).set(database=name).render_as_string(False)
        else:
            raise ValueError(backend)
        upgrade(component, url)
        if component == "registry" and load_areas:
            from services.registry.areas import load_areas as load

            engine = create_db_engine(url)
            try:
                load(engine)
            finally:
                engine.dispose()
        if not fresh:
            self.urls[key] = url
        return url

    def _admin(self, statement: str) -> None:
        assert self.postgres_url is not None
        admin = create_engine(normalise_url(self.postgres_url), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(statement))
        finally:
            admin.dispose()

    def drop_all(self) -> None:
        for name in self.created_pg:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created_pg.clear()


def truncate_component(component: str, url: str) -> None:
    """Empty every table of the component except its reference data: each test starts clean."""
    keep = reference_tables(component)
    tables = [t for t in reversed(component_metadata(component).sorted_tables) if t.name not in keep]
    if not tables:
        return
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())
    finally:
        engine.dispose()


def principal_headers(
    kind: PrincipalKind | str,
    *,
    subject: str = "test",
    villages: Iterable[str] = (),
    scopes: Iterable[str] = (),
    name: str | None = None,
) -> dict[str, str]:
    """Headers a service receives from the gateway for this caller."""
    principal = Principal(
        kind=PrincipalKind(kind),
        subject=subject,
        villages=frozenset(villages),
        scopes=frozenset(scopes),
        name=name,
    )
    # Long-lived: modules build headers once at import and suites run for minutes. Expiry itself is
    # tested explicitly (tests/unit/test_common.py).
    return {PRINCIPAL_HEADER: encode_principal(principal, TEST_SECRET, ttl=dt.timedelta(hours=3))}


def village_headers(village_code: str, subject: str = "key-test") -> dict[str, str]:
    return principal_headers(PrincipalKind.village, subject=subject, villages=[village_code])


def officer_headers(officer_id: str, villages: Iterable[str]) -> dict[str, str]:
    return principal_headers(PrincipalKind.officer, subject=officer_id, villages=villages)


ALL_SCOPES = (
    "registry:read",
    "registry:write",
    "funding:admin",
    "outreach:admin",
    "reports:read",
    "webhooks:admin",
    "keys:admin",
)


def internal_headers(scopes: Iterable[str] = ALL_SCOPES, subject: str = "client-test") -> dict[str, str]:
    return principal_headers(PrincipalKind.internal, subject=subject, scopes=scopes)


def anonymous_headers() -> dict[str, str]:
    return principal_headers(PrincipalKind.anonymous, subject="anonymous")


def client_for(app: FastAPI) -> TestClient:
    # English answers, so assertions on problem details read as the code that raises them; tests of the
    # Indonesian default send their own Accept-Language.
    return TestClient(app, raise_server_exceptions=False, headers={"Accept-Language": "en"})


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yields its base URL.

    For tests that need real concurrency (several clients at once) or a real TCP upstream.
    """
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def job_service(component: str) -> Any:
    """The component's :class:`~services.common.worker.JobService` (registry or funding)."""
    return importlib.import_module(f"services.{component}.jobs").SERVICE


def run_jobs(client: TestClient, component: str) -> int:
    """Run the component's queued jobs to the end, as ``sasar worker`` would; returns how many ran."""
    from services.common.worker import drain

    return drain(client.app.state.database, job_service(component), owner="test-worker")  # type: ignore[attr-defined]


def finished_job(
    client: TestClient, accepted: Any, headers: dict[str, str], component: str
) -> dict[str, Any]:
    """``accepted`` is a 202 naming its job in ``Location``: run the jobs, then read that job back."""
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["Location"]
    assert location.startswith("/v1/jobs/")
    run_jobs(client, component)
    response = client.get(location, headers=headers)
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


def start_worker(component: str, url: str, *, stale_after: float) -> subprocess.Popen[bytes]:
    """``sasar worker`` as its own process on ``url``, with short heartbeats (a test waits for sweeps)."""
    env = {**os.environ, f"SASAR_{component.upper()}_DATABASE_URL": url, "SASAR_LOG_LEVEL": "WARNING"}
    command = [
        sys.executable, "-m", "sasar.cli", "worker", "--component", component,
        "--poll", "0.05", "--heartbeat", "0.2", "--stale-after", str(stale_after),
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
