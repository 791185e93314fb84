"""Scratch databases for any component and a uvicorn server in a thread, for benches."""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
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


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """``app`` on a free loopback port (uvicorn in a thread); yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("bench server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
