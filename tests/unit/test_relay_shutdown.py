"""The relay's shutdown never closes a connection a worker thread is still using."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from services.common import relay


class SlowConnection:
    """Stands in for a database connection: records what happens, and when."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.writing = threading.Event()

    def begin(self) -> Any:
        return self

    def commit(self) -> None:
        self.log.append("commit")

    def close(self) -> None:
        self.log.append("close")


class SlowSource:
    sqlite = True

    def __init__(self, connection: SlowConnection) -> None:
        self.connection = connection
        self.engine = self

    def connect(self) -> SlowConnection:
        return self.connection

    def claim(self, connection: SlowConnection, limit: int) -> list[str]:
        return ["event-1"]

    def record(self, connection: SlowConnection, *args: Any) -> None:
        connection.writing.set()
        time.sleep(0.3)  # a slow write, still running when the relay is told to stop
        connection.log.append("recorded")


class InstantTransport:
    async def deliver(self, events: Any) -> dict[str, Any]:
        return {}


def test_a_cancelled_batch_waits_for_its_write_before_closing_the_connection() -> None:
    connection = SlowConnection()

    async def scenario() -> None:
        batch = asyncio.create_task(
            relay.relay_once(SlowSource(connection), InstantTransport(), batch_size=10, max_backoff=1)  # type: ignore[arg-type]
        )
        await asyncio.to_thread(connection.writing.wait, 5)
        batch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await batch

    asyncio.run(scenario())
    # With a plain to_thread the close ran while the write was in flight: ["commit", "close", "recorded"].
    assert connection.log == ["commit", "recorded", "commit", "close"]
