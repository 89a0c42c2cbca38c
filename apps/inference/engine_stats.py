"""Each worker's engine figures, published to Redis so ops pages and tests can read them."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from redis.typing import EncodableT, FieldT

from apps.config.redis_client import shared_redis

KEY_PREFIX = "surgedesk:engine:"
TTL_S = 600


def this_process_key() -> str:
    return f"{KEY_PREFIX}{socket.gethostname()}:{os.getpid()}"


def publish(snapshot: Mapping[str, int]) -> None:
    key = this_process_key()
    pipe = shared_redis().pipeline()
    fields: dict[FieldT, EncodableT] = {k: v for k, v in snapshot.items()}  # keys invariant
    pipe.hset(key, mapping=fields)
    pipe.expire(key, TTL_S)
    pipe.execute()


def all_engines() -> dict[str, dict[str, int]]:
    """Every live engine's last published figures, by ``host:pid``."""
    client = shared_redis()
    engines = {}
    for key in client.scan_iter(f"{KEY_PREFIX}*"):
        figures = client.hgetall(key)
        name = _text(key)[len(KEY_PREFIX) :]
        engines[name] = {_text(k): int(v) for k, v in figures.items()}
    return engines


def _text(raw: bytes | str) -> str:
    """This client returns bytes; redis types its replies as either."""
    return raw.decode() if isinstance(raw, bytes) else raw
