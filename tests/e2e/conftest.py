"""End-to-end fixtures: the whole system (gateway + services as processes) per backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.system import COMPONENT_APPS, RunningSystem
from tests.support import DatabaseFactory


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def system(
    request: pytest.FixtureRequest,
    databases: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_url: str | None,
) -> Iterator[RunningSystem]:
    backend: str = request.param
    if backend == "postgres" and postgres_url is None:
        import os

        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is required in CI but not reachable")
        pytest.skip("PostgreSQL not reachable")
    urls = {component: databases.url(component, backend, fresh=True) for component in COMPONENT_APPS}
    running = RunningSystem(database_urls=urls, log_dir=tmp_path_factory.mktemp(f"e2e-{backend}"))
    running.start_all()
    try:
        yield running
    finally:
        running.stop_all()
