"""Reading what the desk publishes, from the real places it goes: the Redis channel layer
and the Celery broker's queue."""

from __future__ import annotations

import asyncio
import base64
import json

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.sessions.backends.db import SessionStore

from apps.config.queues import INTERACTIVE_QUEUE
from apps.config.redis_client import shared_redis
from apps.conversations import realtime
from apps.conversations.models import Conversation


@database_sync_to_async
def new_session() -> SessionStore:
    """A customer's new session, as the widget's page makes one: for a socket opened here."""
    session = SessionStore()
    session.create()
    return session


class GroupListener:
    """Reads a conversation's customer group through the real Redis channel layer."""

    def __init__(self, conversation: Conversation) -> None:
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        group = realtime.conversation_group(conversation.uuid.hex)
        async_to_sync(self.layer.group_add)(group, self.channel)

    def drain(self, quiet_s: float = 1.0, first_s: float = 10.0) -> list[dict]:
        """The events published to the group so far. The first may take up to ``first_s``
        (a loaded machine may take long to make a new loop's Redis connection); after it,
        ``quiet_s`` without one ends the reading."""

        async def read() -> list[dict]:
            events: list[dict] = []
            while True:
                try:
                    message = await asyncio.wait_for(
                        self.layer.receive(self.channel), quiet_s if events else first_s
                    )
                except TimeoutError:
                    return events
                events.extend(realtime.events_in(message))

        return async_to_sync(read)()


class BrokerQueue:
    """A Celery queue of the test Redis as the broker holds it: by default the
    ``interactive`` queue of this process, which no worker consumes (the live stacks use
    queues under their own key prefix, ``LiveStack.key_prefix``).

    kombu's Redis transport keeps a queue in a list named ``<global_keyprefix><queue>``
    (tasks of priority 0; other priorities get a suffix we never use)."""

    def __init__(self, queue: str = INTERACTIVE_QUEUE, *, prefix: str = "") -> None:
        self.key = prefix + queue

    def __len__(self) -> int:
        return shared_redis().llen(self.key)

    def clear(self) -> None:
        shared_redis().delete(self.key)

    def first_args(self) -> list:
        """The first argument of each queued task (the id it takes), oldest first."""
        raw = reversed(shared_redis().lrange(self.key, 0, -1))  # LPUSHed: newest first
        return [self._first_arg(json.loads(item)) for item in raw]

    def reply_ids(self) -> list[int]:
        """The message ids of the queued ``generate_reply`` tasks, oldest first."""
        return self.first_args()

    @staticmethod
    def _first_arg(message: dict) -> int | str:
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        return args[0]
