"""Fixed-window rate limits for websocket messages, shared by every web process via Redis."""

from __future__ import annotations

import logging
import time

import redis

from apps.config.redis_client import shared_async_redis

logger = logging.getLogger(__name__)


async def allow(bucket: str, *, limit: int, window_s: int = 60) -> bool:
    """Count one hit for ``bucket``; False once it passes ``limit`` in the current window.

    While Redis is unreachable the limit is not enforced: refusing every customer because
    a counter store is down would be the outage we exist to avoid.
    """
    key = f"ratelimit:{bucket}:{int(time.time()) // window_s}"
    pipe = shared_async_redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, window_s * 2)
    try:
        count, _ = await pipe.execute()
    except redis.RedisError:
        logger.warning("rate limit unchecked: Redis unreachable")
        return True
    return count <= limit
