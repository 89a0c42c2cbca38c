"""Fixed-window rate limits for websocket messages, shared by every web process via Redis."""

from __future__ import annotations

import time

import redis.asyncio as aioredis
from django.conf import settings

_client: aioredis.Redis | None = None


def _redis() -> aioredis.Redis:
    global _client
    if _client is None:
        _client = aioredis.Redis.from_url(settings.REDIS_URL)
    return _client


async def allow(bucket: str, *, limit: int, window_s: int = 60) -> bool:
    """Count one hit for ``bucket``; False once it passes ``limit`` in the current window."""
    key = f"ratelimit:{bucket}:{int(time.time()) // window_s}"
    pipe = _redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, window_s * 2)
    count, _ = await pipe.execute()
    return count <= limit
