"""Rate limit windows, in memory and in a real Redis (skipped only when no Redis answers)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis

from gateway.ratelimit import MemoryLimiter, Rate, RedisLimiter, make_limiter

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_parse_rates() -> None:
    assert Rate.parse("60/minute") == Rate(60, 60)
    assert Rate.parse("1000 / hour") == Rate(1000, 3600)
    assert Rate.parse("5/10seconds") == Rate(5, 10)
    assert Rate.parse("2/day") == Rate(2, 86400)
    for bad in ("60", "x/minute", "60/fortnight", ""):
        with pytest.raises(ValueError):
            Rate.parse(bad)


def test_memory_window() -> None:
    async def run() -> None:
        limiter = MemoryLimiter()
        rate = Rate(3, 60)
        start = 600.0  # the start of a window
        decisions = [await limiter.hit("k", rate, now=start + i) for i in range(4)]
        assert [d.allowed for d in decisions] == [True, True, True, False]
        assert decisions[3].retry_after == 57
        assert decisions[2].remaining == 0
        assert (await limiter.hit("other", rate, now=start + 3)).allowed
        assert (await limiter.hit("k", rate, now=start + 60)).allowed  # next window

    asyncio.run(run())


def test_memory_limiter_stays_bounded() -> None:
    async def run() -> None:
        limiter = MemoryLimiter(max_keys=10)
        for i in range(10):
            await limiter.hit(f"k{i}", Rate(1, 60), now=0)
        await limiter.hit("late", Rate(1, 60), now=120)
        assert len(limiter._counts) <= 10

    asyncio.run(run())


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_available(), reason="no Redis at 127.0.0.1:6379")
def test_redis_window_is_shared_between_limiters() -> None:
    prefix = f"sasar-test:{uuid.uuid4().hex}:"

    async def run() -> None:
        first = make_limiter(REDIS_URL, prefix)
        second = RedisLimiter(REDIS_URL, prefix)  # another gateway replica
        assert isinstance(first, RedisLimiter)
        rate = Rate(3, 60)
        try:
            start = 1_800_000_000.0
            allowed = [(await first.hit("village:k", rate, now=start)).allowed for _ in range(2)]
            allowed.append((await second.hit("village:k", rate, now=start + 1)).allowed)
            refused = await second.hit("village:k", rate, now=start + 2)
            assert allowed == [True, True, True]
            assert not refused.allowed
            assert refused.retry_after == 58
            assert (await first.hit("village:k", rate, now=start + 60)).allowed
        finally:
            await first.close()
            await second.close()

    asyncio.run(run())
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}*"))
    assert keys, "counters live in Redis"
    assert all(0 < client.ttl(key) <= 61 for key in keys)
    client.delete(*keys)


def test_redis_down_lets_requests_pass() -> None:
    async def run() -> None:
        limiter = RedisLimiter("redis://127.0.0.1:9/0", "sasar-test:")
        try:
            assert (await limiter.hit("k", Rate(1, 60))).allowed
        finally:
            await limiter.close()

    asyncio.run(run())
