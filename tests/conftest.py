"""Shared fixtures: every API test runs on SQLite and on real PostgreSQL.

PostgreSQL is found at ``SASAR_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``).
Without a reachable server its cases are skipped locally, but **fail** when ``CI`` is set.
Each session creates its own databases (migrated once) and drops them at the end; each test starts
from empty tables (reference data kept).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support import (
    DatabaseFactory,
    client_for,
    create_component_app,
    postgres_admin_url,
    postgres_reachable,
    truncate_component,
)

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
CHECKOUT = Path(__file__).resolve().parents[1]
_TREE_BEFORE = pytest.StashKey[set[str]]()
CLEAN_TREE_ENV = "SASAR_TEST_CLEAN_TREE"


def _tree_status() -> set[str] | None:
    """``git status --porcelain`` of the checkout (``None`` outside a git checkout)."""
    try:
        listed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=CHECKOUT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return set(listed.stdout.splitlines())


def pytest_sessionstart(session: pytest.Session) -> None:
    # Under `make test` (SASAR_TEST_CLEAN_TREE=1) the run must leave the clone as it found it: nothing
    # written or changed that git would see. Opt-in, so targeted runs while editing are not flagged.
    # Checked once, by the controlling process (not each xdist worker).
    if os.environ.get(CLEAN_TREE_ENV) == "1" and not hasattr(session.config, "workerinput"):
        before = _tree_status()
        if before is not None:
            session.config.stash[_TREE_BEFORE] = before


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_TREE_BEFORE, None)
    if before is None:
        return
    left = sorted((_tree_status() or set()) - before)
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "the tests left the clone dirty (git status):\n  " + "\n  ".join(left)
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def postgres_url() -> str | None:
    url = postgres_admin_url()
    if postgres_reachable(url):
        return url
    return None


@pytest.fixture(scope="session")
def databases(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str | None
) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_dir=tmp_path_factory.mktemp("db"), postgres_url=postgres_url)
    yield factory
    factory.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, postgres_url: str | None) -> str:
    name: str = request.param
    if name == "postgres" and postgres_url is None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {postgres_admin_url()}")
        pytest.skip("PostgreSQL not reachable (set SASAR_TEST_POSTGRES_URL)")
    return name


ClientFactory = Callable[..., TestClient]


@pytest.fixture
def database_url(databases: DatabaseFactory, backend: str) -> Iterator[Callable[[str], str]]:
    """``database_url("funding")`` → the migrated database of that component on this backend.

    Every component a test touches is emptied (reference data kept) when the test ends.
    """
    used: dict[str, str] = {}

    def url_for(component: str) -> str:
        used[component] = databases.url(component, backend)
        return used[component]

    yield url_for
    for component, url in used.items():
        truncate_component(component, url)


@pytest.fixture
def service_client(database_url: Callable[[str], str]) -> Iterator[ClientFactory]:
    """``service_client("registry")`` → a TestClient of that component on this test's backend."""
    opened: list[TestClient] = []

    def make(component: str, **settings_overrides: object) -> TestClient:
        client = client_for(create_component_app(component, database_url(component), **settings_overrides))
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
