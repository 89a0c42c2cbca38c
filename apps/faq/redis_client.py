"""The FAQ app's Redis keys (all under ``settings.FAQ_REDIS_PREFIX``) and its client."""

from __future__ import annotations

import redis
from django.conf import settings

from apps.config.redis_client import shared_redis

# Redis is a cache and a version counter here, never the truth: fail fast and fall back.
_TIMEOUT_S = 0.5


def get_redis() -> redis.Redis:
    return shared_redis(_TIMEOUT_S, decode=True)


def key(*parts: object) -> str:
    return settings.FAQ_REDIS_PREFIX + ":".join(str(p) for p in parts)
