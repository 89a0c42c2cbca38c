"""Each worker's engine figures, published to Redis so ops pages and tests can read them."""

from __future__ import annotations

import os
import socket

import redis
from django.conf import settings

KEY_PREFIX = "surgedesk:engine:"
TTL_S = 600

_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL)
    return _client


def this_process_key() -> str:
    return f"{KEY_PREFIX}{socket.gethostname()}:{os.getpid()}"


def publish(snapshot: dict[str, int]) -> None:
    key = this_process_key()
    pipe = _redis().pipeline()
    pipe.hset(key, mapping=snapshot)
    pipe.expire(key, TTL_S)
    pipe.execute()


def all_engines() -> dict[str, dict[str, int]]:
    """Every live engine's last published figures, by ``host:pid``."""
    client = _redis()
    engines = {}
    for key in client.scan_iter(f"{KEY_PREFIX}*"):
        figures = client.hgetall(key)
        name = key.decode()[len(KEY_PREFIX) :]
        engines[name] = {k.decode(): int(v) for k, v in figures.items()}
    return engines
