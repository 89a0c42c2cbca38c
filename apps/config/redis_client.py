"""One shared Redis client per process for counters, flags and signals (not the channel layer
or the Celery broker, which manage their own connections)."""

from __future__ import annotations

from functools import lru_cache

import redis
from django.conf import settings


def shared_redis(timeout_s: float = 1.0) -> redis.Redis:
    """Replies stay bytes: pybreaker's Redis storage decodes them itself."""
    return _client(settings.REDIS_URL, timeout_s)


@lru_cache(maxsize=8)
def _client(url: str, timeout_s: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
