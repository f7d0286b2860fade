"""The rate limiter fails closed when Redis is gone: Unavailable with a retry hint, never an internal error."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.kit.errors import Unavailable
from services.kit.redis import LIMITER_DOWN_RETRY_S, RateLimiter, create_redis
from services.kit.testing.servers import ValkeyServer

pytestmark = pytest.mark.timeout(60)


async def test_a_stopped_redis_makes_every_limiter_call_unavailable(tmp_path: Path) -> None:
    server = await asyncio.to_thread(ValkeyServer(tmp_path / "valkey").start)
    client = create_redis(url=server.url)
    limiter = RateLimiter(client)
    try:
        assert (await limiter.hit("login:ann", limit=1, window_s=60)).allowed
        await asyncio.to_thread(server.stop)
        calls = (
            limiter.hit("login:ann", limit=1, window_s=60),
            limiter.check("login:ann", limit=1, window_s=60),
            limiter.blocked("login:ann", limit=1, window_s=60),
            limiter.reset("login:ann"),
        )
        for call in calls:
            with pytest.raises(Unavailable) as caught:
                await call
            assert caught.value.reason == "rate_limiter_unavailable"
            assert caught.value.metadata == {"retry_after_s": str(LIMITER_DOWN_RETRY_S)}
    finally:
        await client.aclose()
        server.stop()
