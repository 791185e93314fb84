"""Scratch databases for any component, for benches (a server in a thread: ``tests.support.live_server``)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.common.db import normalise_url
from services.common.migrations import upgrade

DEFAULT_POSTGRES = os.environ.get("SASAR_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def scratch_database(component: str, backend: str, postgres_url: str = DEFAULT_POSTGRES) -> Iterator[str]:
    """A migrated database of ``component`` on ``backend`` ("sqlite" or "postgres"), dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{Path(directory) / f'{component}_bench.db'}"
            upgrade(component, url)
            yield url
        return
    name = f"sasar_bench_{component}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(postgres_url)).set(database=name).render_as_string(False)
    try:
        upgrade(component, url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
