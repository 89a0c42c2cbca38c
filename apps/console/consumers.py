"""Staff websockets: the live queue and one watched conversation. Relays only.

Both need a signed-in user with the agent role; a customer's session has neither.
"""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from apps.config.channel_layer import RejoinsGroups
from apps.console import rendering, selectors
from apps.conversations import realtime
from apps.conversations.models import Conversation
from apps.ops.permissions import AGENT, has_role

logger = logging.getLogger(__name__)

CLOSE_BAD_VIEW = 4400  # a queue filter or page that does not exist
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
# Queue changes arriving within this window cost one re-render, not one each.
QUEUE_COALESCE_S = 0.25


@database_sync_to_async
def _is_agent(user) -> bool:
    return user is not None and has_role(user, AGENT)


class QueueConsumer(RejoinsGroups, AsyncWebsocketConsumer):
    """Tells the agent's page to reload its page of the queue when it may have changed.

    The socket's query string names the page (``?filter=…&page=…``, as the page's own URL),
    so a reload keeps the agent's filter and page. The push is a small htmx out-of-band
    element that loads the list over HTTP: a rendered page of the queue is larger than a
    websocket frame may be, and no database work runs on the socket's side.
    """

    pending: asyncio.Task | None = None

    async def connect(self) -> None:
        if not await _is_agent(self.scope.get("user")):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:
            self.view = selectors.queue_view({key: values[-1] for key, values in query.items()})
        except selectors.InvalidQueueView:
            await self.close(code=CLOSE_BAD_VIEW)
            return
        await self.join_group(realtime.QUEUE_GROUP)
        await self.accept()
        await self._push()  # a reconnecting page catches up on what it missed

    async def disconnect(self, code: int) -> None:
        if self.pending is not None:
            self.pending.cancel()
        await self.leave_group(realtime.QUEUE_GROUP)

    async def resync(self, since: float) -> None:
        await self._push()

    async def chat_event(self, message: dict) -> None:
        if self.pending is None or self.pending.done():
            self.pending = asyncio.create_task(self._push_soon())

    async def _push_soon(self) -> None:
        await asyncio.sleep(QUEUE_COALESCE_S)
        try:
            await self._push()
        except Exception:  # the next change, or a reconnect, pushes again
            logger.exception("queue push failed")

    async def _push(self) -> None:
        await self.send(text_data=rendering.queue_refresh_html(self.view))


class ConversationWatchConsumer(realtime.RelaysEventBatches, RejoinsGroups, AsyncWebsocketConsumer):
    """Relays one conversation to a staff page: rendered rows, and raw deltas while streaming."""

    group: str | None = None

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        if not await _is_agent(self.user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        try:
            conversation = await database_sync_to_async(selectors.console_conversation)(
                self.conversation_id
            )
        except Conversation.DoesNotExist:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = realtime.staff_conversation_group(conversation.uuid.hex)
        await self.join_group(self.group)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.leave_group(self.group)

    async def resync(self, since: float) -> None:
        await self.send(text_data=json.dumps(rendering.RESYNC))

    async def chat_event(self, message: dict) -> None:
        event = message["event"]
        frame = rendering.stream_frame(event)
        frames = [frame] if frame is not None else await self._rendered(event)
        for each in frames:
            await self.send(text_data=json.dumps(each, ensure_ascii=False))

    async def _rendered(self, event: dict) -> list[rendering.WatchFrame]:
        try:
            return await database_sync_to_async(rendering.watch_frames)(
                event, conversation_id=self.conversation_id, user=self.user
            )
        except Exception:
            # A message deleted meanwhile, say: the page resyncs on its next reconnect.
            logger.exception("console frame failed for conversation %s", self.conversation_id)
            return []
