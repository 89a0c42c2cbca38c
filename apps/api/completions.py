"""One customer turn through the desk, for an HTTP client: post it as the widget's socket
does, then follow its reply on the same channel-layer group events the widget receives.

Live events are best effort, as for the widget: deltas are merged by ``seq``, and a gap, a
silence or a Redis outage makes the turn read the reply from Postgres (the resume path),
which is the truth. The reply always ends (its lease sees to it); the wait is bounded
all the same (``API_REPLY_TIMEOUT_S``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from channels.db import DatabaseSyncToAsync
from channels.layers import get_channel_layer
from django.conf import settings

from apps.api import selectors, services
from apps.api.errors import ApiError
from apps.api.models import ApiKey
from apps.api.parsing import ChatRequest
from apps.config.channel_layer import RECONNECTED, REDIS_DOWN
from apps.conversations import realtime
from apps.conversations import services as conversations
from apps.conversations.models import Conversation
from apps.inference.prompts import Turn as PromptTurn

T = TypeVar("T")
# With no event for this long, the turn reads its reply from Postgres.
SILENCE_S = 2.0


def on_db(func: Callable[..., T]) -> Callable[..., Any]:
    """Database work off the event loop, on any thread (not asgiref's single one)."""
    return DatabaseSyncToAsync(func, thread_sensitive=False)


@dataclass(frozen=True)
class Piece:
    """What a streaming client is sent: more text, or ``restart`` (the text sent so far
    is void; the reply is written again from its start)."""

    text: str = ""
    restart: str | None = None


class ReplyMerge:
    """The protocol's merge rules (PROTOCOL.md, "Merging deltas") for one reply."""

    def __init__(self, reply_id: int) -> None:
        self.reply_id = reply_id
        self.held = ""
        self.ended = False
        self.gap = False

    def take(self, event: dict[str, Any]) -> list[Piece]:
        if event.get("message_id") != self.reply_id:
            return []
        kind = event["type"]
        if kind == "reply.delta":
            return self._delta(event["seq"], event["delta"])
        if kind == "reply.restart" and self.held:
            self.held = ""
            return [Piece(restart=event["reason"])]
        if kind == "reply.end":
            self.ended = True
            return self._settle(event["text"])
        return []

    def _delta(self, seq: int, delta: str) -> list[Piece]:
        start = seq - len(delta)
        if seq <= len(self.held):
            return []
        if start > len(self.held):
            self.gap = True
            return []
        new = delta[len(self.held) - start :]
        self.held += new
        return [Piece(text=new)]

    def _settle(self, text: str) -> list[Piece]:
        """``reply.end``'s text is authoritative: send what the deltas missed of it."""
        if text.startswith(self.held):
            new, self.held = text[len(self.held) :], text
            return [Piece(text=new)] if new else []
        self.held = text
        return [Piece(restart="resync"), Piece(text=text)]


class Listener:
    """A channel of the layer in the conversation's group, as a widget socket is."""

    def __init__(self, conversation: Conversation) -> None:
        self.group = realtime.conversation_group(conversation.uuid.hex)
        self.layer = get_channel_layer()
        self.channel = ""
        self.unread: collections.deque[dict[str, Any]] = collections.deque()  # of a batch

    async def join(self) -> None:
        self.channel = await self.layer.new_channel("api.")
        await self.layer.group_add(self.group, self.channel)

    async def leave(self) -> None:
        with contextlib.suppress(*REDIS_DOWN):  # the membership expires by itself
            await self.layer.group_discard(self.group, self.channel)
        forget = getattr(self.layer, "forget", None)
        if forget is not None:
            forget(self.channel)

    async def next_event(self, timeout: float) -> dict[str, Any] | None:
        """The next event of the conversation; None after ``timeout`` s of silence or
        after a Redis outage (events may be lost: read Postgres)."""
        if self.unread:
            return self.unread.popleft()
        try:
            message = await asyncio.wait_for(self.layer.receive(self.channel), timeout)
        except TimeoutError:
            return None
        if message["type"] == RECONNECTED:
            await self.layer.group_add(self.group, self.channel)
            return None
        self.unread.extend(realtime.events_in(message))
        return self.unread.popleft()


class CustomerTurn:
    """A customer turn: ``start`` posts it (errors are the client's, before any byte is
    sent), ``pieces`` follows the reply, ``answer`` says what it was answered."""

    def __init__(self, key: ApiKey, request: ChatRequest, idempotency_key: str) -> None:
        self.key = key
        self.request = request
        self.idempotency_key = idempotency_key
        self.listener: Listener | None = None
        self.received: conversations.Received | None = None
        self.reply_id: int | None = None

    async def start(self) -> None:
        # Joined before posting, so no event of the reply can come before we listen. A
        # conversation staff closed meanwhile is replaced by a new one, as for the widget.
        for attempt in range(2):
            conversation = await on_db(services.customer_conversation)(
                key=self.key, customer=self.request.customer
            )
            self.listener = Listener(conversation)
            await self.listener.join()
            try:
                self.received = await on_db(self._post)(conversation)
                break
            except conversations.ConversationClosed:
                await self.listener.leave()
                if attempt:
                    raise

    def _post(self, conversation: Conversation) -> conversations.Received:
        history = self.request.history
        conversations.history_seed(conversation=conversation, turns=history)
        turn = [*history, PromptTurn(role="user", text=self.request.text)]
        msg_id = services.client_msg_id(self.key, self.request.customer, turn, self.idempotency_key)
        received = conversations.message_receive(
            conversation=conversation, client_msg_id=msg_id, text=self.request.text
        )
        posted = received.posted
        reply = posted.reply if posted.created else services.reply_to(posted.customer_message)
        self.reply_id = reply.id if reply is not None else None
        return received

    async def pieces(self) -> AsyncIterator[Piece]:
        assert self.listener is not None and self.received is not None
        try:
            if self.reply_id is not None:
                async for piece in self._follow(self.reply_id):
                    yield piece
        finally:
            await self.listener.leave()

    async def _follow(self, reply_id: int) -> AsyncIterator[Piece]:
        assert self.listener is not None and self.received is not None
        merge = ReplyMerge(reply_id)
        admitted = self.received.admitted
        for answered in admitted.answer if admitted is not None else ():
            for piece in merge.take(dict(answered)):
                yield piece
        # A resent turn's reply may have streamed (or ended) before we listened.
        must_read = not self.received.posted.created
        deadline = time.monotonic() + settings.API_REPLY_TIMEOUT_S
        while not merge.ended:
            if time.monotonic() > deadline:
                raise ApiError(504, "the reply did not end in time", type="timeout", code="timeout")
            event = None if must_read or merge.gap else await self.listener.next_event(SILENCE_S)
            events = [event] if event is not None else await self._stored(reply_id)
            must_read = merge.gap = False
            for each in events:
                for piece in merge.take(each):
                    yield piece

    async def _stored(self, reply_id: int) -> list[dict[str, Any]]:
        """The reply as Postgres has it (the resume path), whole: the merge keeps only
        what the client lacks, and a text rewritten meanwhile shows at its end."""
        assert self.received is not None
        conversation = self.received.posted.customer_message.conversation
        events = await on_db(conversations.replay_events)(
            conversation=conversation, last_seq=0, message_id=reply_id
        )
        return [dict(event) for event in events]

    async def answer(self) -> selectors.Answer:
        assert self.received is not None
        return await on_db(selectors.turn_answer)(
            message_id=self.received.posted.customer_message.id, reply_id=self.reply_id
        )
