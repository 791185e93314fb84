"""Helpers for tests of optimistic concurrency: a request racing a change another transaction holds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import text

from services.common.db import create_db_engine, is_sqlite


def together(count: int, call: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """``count`` threads released at once, each making ``call``; their answers."""
    barrier = threading.Barrier(count)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        response = call()
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def while_change_held(
    database_url: str, statement: str, params: dict[str, Any], call: Callable[[], httpx.Response]
) -> httpx.Response:
    """Run ``call`` (a request against a live server) while another transaction has executed
    ``statement`` but not committed it; commit it once the request waits on it, then return the answer.

    On PostgreSQL the request reads the row as it was (MVCC), passes its If-Match check, and then waits
    for the row lock at its UPDATE, which must fail once the held change commits. On SQLite the
    held transaction keeps the write lock, so the request starts only after the commit and sees the
    new version at its If-Match check.
    """
    engine = create_db_engine(database_url)
    answer: list[httpx.Response] = []
    try:
        with engine.connect() as connection:
            connection.execute(text(statement), params)
            thread = threading.Thread(target=lambda: answer.append(call()))
            thread.start()
            if is_sqlite(database_url):
                time.sleep(0.5)  # the request is blocked on the write lock: nothing to observe
            else:
                _wait_for_lock_waiter(connection)
            connection.commit()
        thread.join(timeout=60)
    finally:
        engine.dispose()
    assert answer, "the request did not finish"
    return answer[0]


def _wait_for_lock_waiter(connection: Any) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        # pg_stat_activity is read once per transaction unless its snapshot is cleared.
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        waiting = connection.execute(
            text(
                "SELECT COUNT(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the request never waited for the held row lock")
