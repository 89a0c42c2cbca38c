"""Each worker's engine figures, published to Redis so ops pages and tests can read them."""

from __future__ import annotations

import os
import socket

from apps.config.redis_client import shared_redis

KEY_PREFIX = "surgedesk:engine:"
TTL_S = 600


def this_process_key() -> str:
    return f"{KEY_PREFIX}{socket.gethostname()}:{os.getpid()}"


def publish(snapshot: dict[str, int]) -> None:
    key = this_process_key()
    pipe = shared_redis().pipeline()
    pipe.hset(key, mapping=snapshot)
    pipe.expire(key, TTL_S)
    pipe.execute()


def all_engines() -> dict[str, dict[str, int]]:
    """Every live engine's last published figures, by ``host:pid``."""
    client = shared_redis()
    engines = {}
    for key in client.scan_iter(f"{KEY_PREFIX}*"):
        figures = client.hgetall(key)
        name = key.decode()[len(KEY_PREFIX) :]
        engines[name] = {k.decode(): int(v) for k, v in figures.items()}
    return engines
