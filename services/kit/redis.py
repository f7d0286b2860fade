"""Redis helpers: the client factory, a sliding-window rate limiter and a small JSON cache."""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from redis.asyncio import Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from services.kit.errors import Unavailable

log = structlog.get_logger(__name__)

# Sliding-window log: one sorted-set member per counted hit, scored by the server's clock in microseconds,
# so every replica shares one clock. Refused hits are not recorded, so a client that keeps hammering is
# let back in once its oldest counted hit leaves the window.
_HIT = """
local key, limit, window = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, now .. ':' .. ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1)
  return {1, limit - count - 1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
if oldest[2] == nil then return {0, 0, window} end
return {0, 0, tonumber(oldest[2]) + window - now}
"""

# The same arithmetic without writing anything.
_CHECK = """
local key, limit, window = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local since = '(' .. (now - window)
local count = redis.call('ZCOUNT', key, since, '+inf')
if count < limit then return {1, limit - count, 0} end
local oldest = redis.call('ZRANGEBYSCORE', key, since, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if oldest[2] == nil then return {0, 0, window} end
return {0, 0, tonumber(oldest[2]) + window - now}
"""


def create_redis(*, url: str, socket_timeout_s: float = 5.0) -> Redis:
    """An asyncio client that returns bytes and retries briefly on connection errors."""
    return Redis.from_url(
        url,
        decode_responses=False,
        socket_connect_timeout=5.0,
        socket_timeout=socket_timeout_s,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Whether a hit is allowed, how many more fit in the window, and when to retry if refused."""

    allowed: bool
    remaining: int
    retry_after_s: float


# How long a client is told to wait (Retry-After) when the limiter cannot reach Redis.
LIMITER_DOWN_RETRY_S = 5


class RateLimiter:
    """At most `limit` hits per key in any sliding window of `window_s` seconds, atomic in Redis.

    It fails closed: when Redis cannot be reached, every call raises Unavailable (503 with Retry-After at the
    gateway), so a limit is never silently skipped and never surfaces as an internal error.
    """

    def __init__(self, redis: Redis, *, prefix: str = "mesh:rl:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._hit = redis.register_script(_HIT)
        self._check = redis.register_script(_CHECK)

    def _key(self, key: str) -> str:
        return self._prefix + key

    @staticmethod
    def _window_us(window_s: float) -> int:
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        return math.ceil(window_s * 1_000_000)

    @staticmethod
    def _decision(raw: list[int]) -> RateDecision:
        allowed, remaining, retry_us = (int(v) for v in raw)
        return RateDecision(allowed == 1, max(remaining, 0), max(retry_us, 0) / 1_000_000)

    @staticmethod
    async def _reach(call: Awaitable[Any]) -> Any:
        try:
            return await call
        except (RedisError, OSError) as error:
            log.warning("rate_limiter_unreachable", error=str(error) or type(error).__name__)
            raise Unavailable(
                "rate limiting is unavailable, retry later",
                reason="rate_limiter_unavailable",
                metadata={"retry_after_s": str(LIMITER_DOWN_RETRY_S)},
            ) from None

    async def hit(self, key: str, *, limit: int, window_s: float) -> RateDecision:
        """Count one hit if it fits; a refused hit is not counted."""
        args: list[int | str] = [limit, self._window_us(window_s), uuid.uuid4().hex]
        return self._decision(await self._reach(self._hit(keys=[self._key(key)], args=args)))

    async def check(self, key: str, *, limit: int, window_s: float) -> RateDecision:
        """What hit() would decide now, without counting anything."""
        args = [limit, self._window_us(window_s)]
        return self._decision(await self._reach(self._check(keys=[self._key(key)], args=args)))

    async def blocked(self, key: str, *, limit: int, window_s: float) -> bool:
        """True when the key has used up its limit (e.g. a login lockout checked before the attempt)."""
        return not (await self.check(key, limit=limit, window_s=window_s)).allowed

    async def reset(self, key: str) -> None:
        """Forget every hit on the key."""
        await self._reach(self._redis.delete(self._key(key)))


class JsonCache:
    """JSON values under a key prefix, each with a time to live."""

    def __init__(self, redis: Redis, *, prefix: str = "mesh:cache:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def get_json(self, key: str) -> Any | None:
        """The cached value, or None when missing, expired or unreadable."""
        raw = await self._redis.get(self._prefix + key)
        if raw is None:
            return None
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            log.warning("cache_entry_unreadable", key=key)
            return None

    async def set_json(self, key: str, value: Any, *, ttl_s: float) -> None:
        """Store a JSON-serialisable value for ttl_s seconds."""
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        await self._redis.set(self._prefix + key, orjson.dumps(value), px=math.ceil(ttl_s * 1000))

    async def delete(self, key: str) -> None:
        """Drop the cached value, if any."""
        await self._redis.delete(self._prefix + key)
