"""Cross-process "stop this reply" signals: set by staff actions, watched by the worker
writing the reply (``replies.ReplyWatch``).

Postgres already records the cancellation (the reply's status); this Redis flag only lets
a worker that is waiting on a slow backend notice within a fraction of a second.
"""

from __future__ import annotations

import redis

from apps.config.redis_client import shared_redis

# Keyed by conversation too: message ids alone repeat when a database is recreated (tests).
KEY = "surgedesk:cancel:{}:{}"
TTL_S = 3600


def request_cancel(conversation_key: str, message_ids: list[int]) -> None:
    if not message_ids:
        return
    pipe = shared_redis().pipeline()
    for message_id in message_ids:
        pipe.set(KEY.format(conversation_key, message_id), 1, ex=TTL_S)
    pipe.execute()


def is_cancel_requested(conversation_key: str, message_id: int) -> bool:
    """False while Redis is unreachable: the next checkpoint's database check still stops
    a cancelled reply, only later."""
    try:
        return bool(shared_redis().exists(KEY.format(conversation_key, message_id)))
    except redis.RedisError:
        return False
