"""Cross-process "stop this reply" signals: set by staff actions, watched by the worker.

Postgres already records the cancellation (the reply's status); this Redis flag only lets
a worker that is waiting on a slow backend notice within a fraction of a second.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import redis

from apps.config.redis_client import shared_redis

# Keyed by conversation too: message ids alone repeat when a database is recreated (tests).
KEY = "surgedesk:cancel:{}:{}"
TTL_S = 3600
POLL_S = 0.1


def request_cancel(conversation_key: str, message_ids: list[int]) -> None:
    if not message_ids:
        return
    pipe = shared_redis().pipeline()
    for message_id in message_ids:
        pipe.set(KEY.format(conversation_key, message_id), 1, ex=TTL_S)
    pipe.execute()


def is_cancel_requested(conversation_key: str, message_id: int) -> bool:
    return bool(shared_redis().exists(KEY.format(conversation_key, message_id)))


class CancelWatcher:
    """Calls ``on_cancel`` once if the reply is cancelled while the watcher runs."""

    def __init__(
        self, conversation_key: str, message_id: int, on_cancel: Callable[[], None]
    ) -> None:
        self.conversation_key = conversation_key
        self.message_id = message_id
        self.on_cancel = on_cancel
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="cancel-watch", daemon=True)

    def __enter__(self) -> CancelWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                cancelled = is_cancel_requested(self.conversation_key, self.message_id)
            except redis.RedisError:
                continue  # the DB check at the next checkpoint still stops the reply
            if cancelled:
                self.on_cancel()
                return
