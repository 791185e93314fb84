"""Rate limits per credential: fixed windows, in memory (one replica) or in Redis (shared).

A fixed window (count per calendar second/minute/hour) needs one counter per caller and one round trip
to Redis (INCR + EXPIRE in a pipeline). It allows up to twice the rate across a window boundary, which
is acceptable for abuse protection; the refusal says when the window reopens (``Retry-After``).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Protocol

import structlog
from redis import asyncio as aioredis
from redis.exceptions import RedisError

log = structlog.get_logger("sasar.gateway.ratelimit")

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*$")


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"60/minute"``, ``"1000/hour"``, ``"5/10second"`` (5 per 10 seconds)."""
        match = _RATE.match(text)
        if not match:
            raise ValueError(f"rate limit {text!r}: expected '<count>/<second|minute|hour|day>'")
        multiple = int(match.group(2) or 1)
        return cls(count=int(match.group(1)), seconds=multiple * _UNITS[match.group(3)])


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: int  # seconds until the window reopens (meaningful when refused)


def _decide(count: int, rate: Rate, window: int, now: float) -> Decision:
    reopen = (window + 1) * rate.seconds - now
    return Decision(
        allowed=count <= rate.count,
        remaining=max(rate.count - count, 0),
        retry_after=max(1, math.ceil(reopen)),
    )


class Limiter(Protocol):
    async def hit(self, key: str, rate: Rate, now: float | None = None) -> Decision: ...

    async def peek(self, key: str, rate: Rate, now: float | None = None) -> Decision:
        """Whether one more hit would still be allowed, without counting one (for failure counters)."""
        ...

    async def close(self) -> None: ...


class MemoryLimiter:
    """Counters in this process: right for one replica (and for tests)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._counts: dict[str, tuple[int, int]] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, rate: Rate, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        window = int(now // rate.seconds)
        current_window, count = self._counts.get(key, (window, 0))
        count = count + 1 if current_window == window else 1
        if len(self._counts) >= self._max_keys and key not in self._counts:
            # Drop counters of past windows; bounded memory however many callers appear.
            self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
        self._counts[key] = (window, count)
        return _decide(count, rate, window, now)

    async def peek(self, key: str, rate: Rate, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        window = int(now // rate.seconds)
        current_window, count = self._counts.get(key, (window, 0))
        return _decide((count if current_window == window else 0) + 1, rate, window, now)

    async def close(self) -> None:
        self._counts.clear()


class RedisLimiter:
    """Counters shared by every gateway replica. If Redis fails, requests pass (logged): availability
    of the API matters more than exact limits for a moment."""

    def __init__(self, url: str, prefix: str) -> None:
        self.prefix = prefix
        self._redis = aioredis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    async def hit(self, key: str, rate: Rate, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        window = int(now // rate.seconds)
        name = f"{self.prefix}{key}:{rate.seconds}:{window}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, rate.seconds + 1)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("rate_limit_backend_unavailable", error=type(exc).__name__)
            return Decision(allowed=True, remaining=rate.count, retry_after=1)
        return _decide(int(count), rate, window, now)

    async def peek(self, key: str, rate: Rate, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        window = int(now // rate.seconds)
        try:
            raw = await self._redis.get(f"{self.prefix}{key}:{rate.seconds}:{window}")
        except (RedisError, OSError) as exc:
            log.warning("rate_limit_backend_unavailable", error=type(exc).__name__)
            return Decision(allowed=True, remaining=rate.count, retry_after=1)
        return _decide(int(raw or 0) + 1, rate, window, now)

    async def close(self) -> None:
        await self._redis.aclose()


def make_limiter(redis_url: str | None, prefix: str) -> Limiter:
    if redis_url:
        return RedisLimiter(redis_url, prefix)
    return MemoryLimiter()
