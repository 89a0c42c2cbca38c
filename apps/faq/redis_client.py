"""The FAQ app's Redis connection and key names (all under ``settings.FAQ_REDIS_PREFIX``)."""

from __future__ import annotations

from functools import lru_cache

import redis
from django.conf import settings

# Redis is a cache and a version counter here, never the truth: fail fast and fall back.
_TIMEOUT_S = 0.5


def get_redis() -> redis.Redis:
    return _client(settings.REDIS_URL)


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=_TIMEOUT_S,
        socket_connect_timeout=_TIMEOUT_S,
    )


def key(*parts: object) -> str:
    return settings.FAQ_REDIS_PREFIX + ":".join(str(p) for p in parts)
