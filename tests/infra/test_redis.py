"""Rate limiting and JSON caching against a real valkey-server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis.asyncio import Redis

from services.kit.redis import JsonCache, RateLimiter, create_redis
from services.kit.testing.servers import ValkeyServer

pytestmark = pytest.mark.timeout(30)


async def test_allows_limit_then_refuses_with_retry_after(redis_client: Redis) -> None:
    limiter = RateLimiter(redis_client)
    decisions = [await limiter.hit("login:alice", limit=3, window_s=10) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    refused = await limiter.hit("login:alice", limit=3, window_s=10)
    assert not refused.allowed
    assert refused.remaining == 0
    assert 9.0 < refused.retry_after_s <= 10.0
    # Another key has its own budget.
    assert (await limiter.hit("login:bob", limit=3, window_s=10)).allowed


async def test_window_expiry_lets_hits_back_in(redis_client: Redis) -> None:
    limiter = RateLimiter(redis_client)
    for _ in range(2):
        assert (await limiter.hit("k", limit=2, window_s=1)).allowed
    refused = await limiter.hit("k", limit=2, window_s=1)
    assert not refused.allowed
    assert 0 < refused.retry_after_s <= 1.0
    # Refused hits are not counted, so hammering does not push the window out.
    for _ in range(5):
        assert not (await limiter.hit("k", limit=2, window_s=1)).allowed
    await asyncio.sleep(refused.retry_after_s + 0.05)
    assert (await limiter.hit("k", limit=2, window_s=1)).allowed


async def test_window_slides_instead_of_resetting_at_a_boundary(redis_client: Redis) -> None:
    limiter = RateLimiter(redis_client)
    assert (await limiter.hit("s", limit=2, window_s=1)).allowed
    await asyncio.sleep(0.6)
    assert (await limiter.hit("s", limit=2, window_s=1)).allowed
    await asyncio.sleep(0.5)
    # The first hit has left the window, the second has not: exactly one slot is free.
    assert (await limiter.hit("s", limit=2, window_s=1)).allowed
    refused = await limiter.hit("s", limit=2, window_s=1)
    assert not refused.allowed
    assert refused.retry_after_s <= 0.6


async def test_blocked_and_check_do_not_count(redis_client: Redis) -> None:
    limiter = RateLimiter(redis_client)
    for _ in range(10):
        assert not await limiter.blocked("b", limit=2, window_s=10)
    peek = await limiter.check("b", limit=2, window_s=10)
    assert peek.allowed and peek.remaining == 2
    assert (await limiter.hit("b", limit=2, window_s=10)).remaining == 1
    assert (await limiter.check("b", limit=2, window_s=10)).remaining == 1
    assert (await limiter.hit("b", limit=2, window_s=10)).allowed
    assert await limiter.blocked("b", limit=2, window_s=10)
    assert (await limiter.check("b", limit=2, window_s=10)).retry_after_s > 9.0
    await limiter.reset("b")
    assert not await limiter.blocked("b", limit=2, window_s=10)


async def test_concurrent_hits_never_exceed_the_limit(redis_client: Redis) -> None:
    limiter = RateLimiter(redis_client)
    decisions = await asyncio.gather(*(limiter.hit("c", limit=7, window_s=10) for _ in range(40)))
    assert sum(d.allowed for d in decisions) == 7


async def test_json_cache_round_trip_and_ttl(redis_client: Redis) -> None:
    cache = JsonCache(redis_client)
    value = {"name": "知识库", "ids": [1, 2], "nested": {"ok": True}}
    assert await cache.get_json("app:1") is None
    await cache.set_json("app:1", value, ttl_s=0.5)
    assert await cache.get_json("app:1") == value
    await asyncio.sleep(0.7)
    assert await cache.get_json("app:1") is None
    await cache.set_json("app:2", [1], ttl_s=30)
    await cache.delete("app:2")
    assert await cache.get_json("app:2") is None
    await redis_client.set("mesh:cache:broken", b"{not json")
    assert await cache.get_json("broken") is None


async def test_data_survives_a_restart(tmp_path: Path) -> None:
    server = await asyncio.to_thread(ValkeyServer(tmp_path / "valkey").start)
    try:
        client = create_redis(url=server.url)
        await JsonCache(client).set_json("kept", {"v": 1}, ttl_s=60)
        await client.aclose()
        await asyncio.to_thread(server.stop)
        server = await asyncio.to_thread(ValkeyServer(tmp_path / "valkey", port=server.port).start)
        client = create_redis(url=server.url)
        assert await JsonCache(client).get_json("kept") == {"v": 1}
        await client.aclose()
    finally:
        server.stop()
