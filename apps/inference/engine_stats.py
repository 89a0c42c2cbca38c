"""Each worker's engine figures, published to Redis so ops pages and tests can read them.

The engines that published lately are kept in one sorted set (name → time of its last
report), so a reader fetches the live engines by name and never scans the keyspace: a
scrape costs two round trips, however big the Redis.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from typing import cast

from redis.typing import EncodableT, FieldT

from apps.config.redis_client import shared_redis

KEY_PREFIX = "surgedesk:engine:"
INDEX_KEY = "surgedesk:engines"
TTL_S = 600
MODELS_SUFFIX = ":models"


def this_process_key() -> str:
    return f"{KEY_PREFIX}{this_process_name()}"


def this_process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def publish(snapshot: Mapping[str, int], models: Mapping[str, int]) -> None:
    """One engine's figures, and the models it holds in memory (model -> bytes)."""
    now = time.time()
    key = this_process_key()
    pipe = shared_redis().pipeline()
    fields: dict[FieldT, EncodableT] = {k: v for k, v in snapshot.items()}  # keys invariant
    pipe.hset(key, mapping=fields)
    pipe.expire(key, TTL_S)
    pipe.delete(key + MODELS_SUFFIX)  # a model unloaded since the last report is gone
    if models:
        loaded: dict[FieldT, EncodableT] = {k: v for k, v in models.items()}
        pipe.hset(key + MODELS_SUFFIX, mapping=loaded)
        pipe.expire(key + MODELS_SUFFIX, TTL_S)
    pipe.zadd(INDEX_KEY, {this_process_name(): now})
    # Engines that stopped reporting leave the index as their figures expire.
    pipe.zremrangebyscore(INDEX_KEY, "-inf", now - TTL_S)
    pipe.execute()


def all_engines() -> dict[str, dict[str, int]]:
    """Every live engine's last published figures, by ``host:pid``."""
    return {name: figures for name, (figures, _) in _live_engines().items()}


def loaded_models() -> dict[str, dict[str, int]]:
    """The models every live engine holds in memory (model -> bytes), by ``host:pid``."""
    return {name: models for name, (_, models) in _live_engines().items()}


def _live_engines() -> dict[str, tuple[dict[str, int], dict[str, int]]]:
    client = shared_redis()
    # Without scores, redis-py returns the members alone.
    live = cast("list[bytes]", client.zrangebyscore(INDEX_KEY, time.time() - TTL_S, "+inf"))
    names = [_text(name) for name in live]
    pipe = client.pipeline()
    for name in names:
        pipe.hgetall(f"{KEY_PREFIX}{name}")
        pipe.hgetall(f"{KEY_PREFIX}{name}{MODELS_SUFFIX}")
    replies = pipe.execute()
    return {
        name: (_ints(figures), _ints(models))
        for name, figures, models in zip(names, replies[::2], replies[1::2], strict=True)
        if figures  # expired between the two reads
    }


def _ints(raw: Mapping[bytes | str, bytes | str]) -> dict[str, int]:
    return {_text(k): int(v) for k, v in raw.items()}


def _text(raw: bytes | str) -> str:
    """This client returns bytes; redis types its replies as either."""
    return raw.decode() if isinstance(raw, bytes) else raw
