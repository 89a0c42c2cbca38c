"""The customer websocket: validates frames, calls services, relays group events."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any

from channels.consumer import get_handler_name
from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import InterfaceError, OperationalError

from apps.config import logs
from apps.config.channel_layer import RejoinsGroups
from apps.conversations import csat, notices, protocol, ratelimit, realtime, services
from apps.conversations.admission import Place, place_watcher
from apps.conversations.models import Conversation
from apps.conversations.notice_log import notice_record
from apps.ops.counters import CHAT_FRAMES, CHAT_SOCKETS

logger = logging.getLogger(__name__)

CLOSE_NO_SESSION = 4401
CLOSE_RATE_LIMITED = 4429  # too many socket opens from this address
SENT_HERE_KEPT = 32
TEXT_EVENTS = ("reply.delta", "reply.end")
# What each of these notices, relayed to the customer, says the conversation's status is.
STATUS_AFTER_NOTICE = {
    "handoff": Conversation.Status.WAITING_HUMAN,
    "agent_joined": Conversation.Status.HUMAN,
    "handed_back": Conversation.Status.AI,
    "closed": Conversation.Status.CLOSED,
}

# Database work of this process's sockets runs on pools of its own. On asgiref's default
# (thread-sensitive) it would all queue on one thread, and a flood of messages would
# delay everything behind it. A customer asking for a person gets a pool of its own, so
# no amount of customer traffic queues it behind AI work.
# (CHAT_DB_THREADS=0 keeps asgiref's one thread, to measure the difference.)
_POOLED = settings.CHAT_DB_THREADS > 0
_CUSTOMER_DB = ThreadPoolExecutor(max(settings.CHAT_DB_THREADS, 1), thread_name_prefix="chat-db")
_PRIORITY_DB = ThreadPoolExecutor(2, thread_name_prefix="chat-db-priority")
# Messages this process is storing now: ahead of any that arrives meanwhile.
_STORING: set[uuid.UUID] = set()


# The running loop's read of the line in flight (``services.line_for_arrivals``): every
# message arriving meanwhile is told its place from it, never behind the messages it is
# told ahead of. A read each queued at a surge's peak, and the notice waited in that queue.
_ARRIVAL_READS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, asyncio.Future[services.ArrivalLine | None]
] = weakref.WeakKeyDictionary()


async def _line_for_arrivals() -> services.ArrivalLine | None:
    loop = asyncio.get_running_loop()
    read = _ARRIVAL_READS.get(loop)
    if read is None or read.done():
        read = asyncio.ensure_future(services.line_for_arrivals())
        _ARRIVAL_READS[loop] = read
    return await asyncio.shield(read)  # a waiter that goes away leaves it to the others


_ACTIONS: dict[type, str] = {
    protocol.PostMessage: "message",
    protocol.Resume: "resume",
    protocol.Handoff: "handoff",
    protocol.CsatSubmit: "csat",
}


def _header(scope: dict, name: bytes) -> str | None:
    value = dict(scope.get("headers") or []).get(name)
    return value.decode("latin-1") if value is not None else None


def _on(pool: ThreadPoolExecutor, func: Callable[..., Any]) -> DatabaseSyncToAsync:
    if not _POOLED:
        return DatabaseSyncToAsync(func)
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=pool)


class ChatConsumer(realtime.RelaysEventBatches, RejoinsGroups, AsyncWebsocketConsumer):
    async def connect(self) -> None:
        session = self.scope.get("session")
        session_key = session.session_key if session is not None else None
        if not session_key:
            await self.close(code=CLOSE_NO_SESSION)
            return
        self.waiting_replies: set[int] = set()
        # Replies whose first ``queued`` notice is in the transcript (``_tell_place``).
        self.told_in_line: set[int] = set()
        # Replies answered at the edge that this socket sent itself: the layer's copies of
        # their events are not sent again. Oldest first; capped should a copy never come.
        self.sent_here: dict[int, None] = {}
        self.client_ip = ratelimit.client_ip(
            (self.scope.get("client") or [None])[0], _header(self.scope, b"x-forwarded-for")
        )
        wait_s = await ratelimit.retry_after("socket", session=session_key, ip=self.client_ip)
        if wait_s is not None:
            # Accepted first: a socket closed before it is accepted is a bare HTTP 403,
            # and the client would never learn the code or when to come back.
            await self.accept()
            await self._send_error("rate_limited", retry_after=wait_s)
            await self.close(code=CLOSE_RATE_LIMITED)
            return
        await self._bind(session_key)
        await self.accept()
        CHAT_SOCKETS.inc()
        logger.info("chat socket opened for conversation %s", self.conversation.uuid)
        # A rating asked for while this session had no socket here.
        pending = await _on(_CUSTOMER_DB, csat.csat_pending)(session_key=session_key)
        if pending is not None:
            await self._send_event(pending)

    async def dispatch(self, message: dict) -> None:
        """As channels' own, less its hop to asgiref's one thread-sensitive thread for
        ``close_old_connections`` before every message. Every event relayed to a socket
        (each delta, each notice) queued on that one thread. This consumer's database work
        runs on its own pool, whose calls close old connections themselves."""
        if not _POOLED:
            await super().dispatch(message)
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            CHAT_SOCKETS.dec()
            place_watcher().forget(self.waiting_replies)
            await self.leave_group(self.group)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self._send_error("binary_not_supported", detail="send text frames")
            return
        try:
            event = protocol.parse_client_event(text_data)
        except protocol.ProtocolError as exc:
            await self._send_error(exc.code, detail=exc.detail)
            return
        try:
            await self._handle(event)
        except (OperationalError, InterfaceError):
            # Postgres is briefly out of reach; the transaction stored nothing.
            logger.warning("database unreachable for conversation %s", self.conversation.uuid)
            await self._refuse(event, "unavailable")
        except Exception:
            # The socket outlives any one failure; the client may resend (it is idempotent).
            logger.exception("chat frame failed for conversation %s", self.conversation.uuid)
            await self._refuse(event, "server_error")

    async def _refuse(
        self, event: protocol.ClientEvent, code: str, *, retry_after: int | None = None
    ) -> None:
        """An error for a valid frame we did not handle, naming the message if it was one."""
        msg_id = str(event.client_msg_id) if isinstance(event, protocol.PostMessage) else None
        await self._send_error(code, client_msg_id=msg_id, retry_after=retry_after)

    async def _handle(self, event: protocol.ClientEvent) -> None:
        action = _ACTIONS[type(event)]
        wait_s = await ratelimit.retry_after(
            action, session=self.scope["session"].session_key, ip=self.client_ip
        )
        if wait_s is not None:
            await self._refuse(event, "rate_limited", retry_after=wait_s)
            return
        if isinstance(event, protocol.PostMessage):
            await self._post_message(event)
        elif isinstance(event, protocol.Resume):
            await self._resume(event)
        elif isinstance(event, protocol.CsatSubmit):
            await self._submit_csat(event)
        else:
            notice = await _on(_PRIORITY_DB, services.handoff_request)(
                conversation=self.conversation
            )
            self._note_status(notice)
            await self._send_event(notice)

    async def _post_message(self, event: protocol.PostMessage) -> None:
        loop = asyncio.get_running_loop()
        arrived = loop.time()
        _STORING.add(event.client_msg_id)
        try:
            arrival = await self._place_on_arrival()
            told = arrival.place if arrival is not None and arrival.now else None
            if told is not None:
                await self._send_place(told)
            storing = asyncio.create_task(self._store(event))
            if arrival is not None and told is None:
                # Others are ahead of it, and storing it waits behind them: past the wait
                # a customer is left with nothing, they are told their place meanwhile.
                silence_s = settings.QUEUE_NOTICE_WAIT_S - (loop.time() - arrived)
                done, _ = await asyncio.wait({storing}, timeout=max(silence_s, 0.0))
                if not done:
                    told = arrival.place
                    await self._send_place(told)
            received = await storing
        finally:
            _STORING.discard(event.client_msg_id)
        CHAT_FRAMES.labels("accepted").inc()
        # The status as the message left it (an escalation, say), for the next arrival.
        self.conversation.status = received.posted.customer_message.conversation.status
        message_id = received.posted.customer_message.id
        await self._send_event(realtime.message_accepted(str(event.client_msg_id), message_id))
        admitted, reply = received.admitted, received.posted.reply
        if admitted is None or reply is None:
            return
        if admitted.answer:
            await self._send_answer(reply.id, admitted.answer)
        place = admitted.place
        if place is not None and told is not None and place.place >= told.place:
            # A place told never goes back: messages that came after this one may have
            # been stored first (the web stores several at once), and got ahead of it.
            place = told
        if place is not None:
            await self._tell_place(reply.id, place, shown=place is told)
        if admitted.announced:
            self.waiting_replies.add(reply.id)
            tell = partial(self._tell_place, reply.id)
            # Told on arrival only, it is still the place to go down from.
            told = place if place is not None else told
            place_watcher().watch(reply.id, tell, told=told, waited_s=loop.time() - arrived)

    async def _store(self, event: protocol.PostMessage) -> services.Received:
        try:
            return await self._receive_message(event)
        except services.ConversationClosed:
            await self._rebind()
            return await self._receive_message(event)

    async def _place_on_arrival(self) -> services.Arrival | None:
        """Best effort: a message is stored whether or not its wait could be told first."""
        unstored = len(_STORING) - 1  # taken before this one: those after it are not ahead
        try:
            seen = await _line_for_arrivals()
        except Exception:
            logger.warning("place on arrival unknown", exc_info=True)
            return None
        return services.place_on_arrival(
            seen, conversation_status=self.conversation.status, unstored=unstored
        )

    async def _submit_csat(self, event: protocol.CsatSubmit) -> None:
        try:
            accepted = await _on(_CUSTOMER_DB, csat.csat_submit)(
                session_key=self.scope["session"].session_key,
                rating=event.rating,
                comment=event.comment,
            )
        except csat.CsatRefused as exc:
            await self._send_error(exc.code, detail=exc.detail)
            return
        await self._send_event(accepted)

    async def _receive_message(self, event: protocol.PostMessage) -> services.Received:
        return await _on(_CUSTOMER_DB, services.message_receive)(
            conversation=self.conversation, client_msg_id=event.client_msg_id, text=event.text
        )

    async def _send_answer(self, reply_id: int, events: tuple[realtime.ServerEvent, ...]) -> None:
        """The edge's whole reply, straight to the socket that asked: no trip through the
        channel layer and back, which on a surge's night is most of its wait."""
        self.sent_here[reply_id] = None
        while len(self.sent_here) > SENT_HERE_KEPT:
            del self.sent_here[next(iter(self.sent_here))]
        for event in events:
            await self._send_event(event)

    async def _tell_place(self, reply_id: int, place: Place, *, shown: bool = False) -> None:
        """Tell the customer their reply's place (unless ``shown`` already: the same one,
        told on arrival), and keep the first one told in the transcript."""
        text = self._place_text(place) if shown else await self._send_place(place)
        if reply_id in self.told_in_line:
            return
        # The transcript keeps a reply's first place told (its updates would flood it), for
        # staff only: the message it answers is stored, whatever becomes of this row.
        self.told_in_line.add(reply_id)
        try:
            await _on(_CUSTOMER_DB, notice_record)(
                conversation=self.conversation, kind="queued", text=text
            )
        except Exception:
            logger.warning("queued notice of reply %s not kept", reply_id, exc_info=True)

    async def _send_place(self, place: Place) -> str:
        text = self._place_text(place)
        await self._send_event(realtime.queued_notice(text, place=place.place, wait_s=place.wait_s))
        return text

    def _place_text(self, place: Place) -> str:
        return notices.queued(self.conversation.language, place=place.place, wait_s=place.wait_s)

    async def _rebind(self) -> None:
        """Staff closed the conversation: move this socket to the session's new one."""
        await self.leave_group(self.group)
        await self._bind(self.scope["session"].session_key)

    async def _bind(self, session_key: str) -> None:
        self.conversation = await _on(_CUSTOMER_DB, services.conversation_for_session)(
            session_key=session_key
        )
        self.group = realtime.conversation_group(self.conversation.uuid.hex)
        logs.bind(conversation_id=self.conversation.id)  # every line this socket logs
        await self.join_group(self.group)

    async def resync(self, since: float) -> None:
        """The channel layer was away: send what changed meanwhile, from Postgres."""
        events = await _on(_CUSTOMER_DB, services.replay_changed_since)(
            conversation=self.conversation, since=datetime.fromtimestamp(since, tz=UTC)
        )
        for replayed in events:
            await self._send_event(replayed)

    async def _resume(self, event: protocol.Resume) -> None:
        events = await _on(_CUSTOMER_DB, services.replay_events)(
            conversation=self.conversation, last_seq=event.last_seq, message_id=event.message_id
        )
        for replayed in events:
            await self._send_event(replayed)

    async def chat_event(self, message: dict) -> None:
        event = message["event"]
        self._note_status(event)
        reply_id = event.get("message_id") if event["type"].startswith("reply.") else None
        if event["type"] in TEXT_EVENTS and reply_id in self.waiting_replies:
            self.waiting_replies.discard(reply_id)
            self.told_in_line.discard(reply_id)
            place_watcher().forget([reply_id])  # the customer sees their reply now
        if reply_id in self.sent_here:
            if event["type"] == "reply.end":
                del self.sent_here[reply_id]
            return
        await self._send_event(event)

    def _note_status(self, event: Mapping[str, Any]) -> None:
        """A notice that the conversation moved to or from a person: a place in the AI's
        line is no longer (or again) what a new message is told on arrival."""
        status = STATUS_AFTER_NOTICE.get(event["kind"]) if event["type"] == "notice" else None
        if status is not None:
            self.conversation.status = status

    async def _send_error(
        self,
        code: str,
        *,
        detail: str = "",
        client_msg_id: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """An ``error`` event, in the customer's words where a customer may see it."""
        CHAT_FRAMES.labels(code).inc()
        language = self.conversation.language if hasattr(self, "conversation") else ""
        cap = settings.CHAT_MAX_MESSAGE_CHARS
        detail = notices.error_detail(code, language, fallback=detail, cap=cap)
        event = realtime.error(code, detail, client_msg_id=client_msg_id, retry_after=retry_after)
        await self._send_event(event)

    async def _send_event(self, event: realtime.ServerEvent) -> None:
        await self.send(text_data=json.dumps(event, ensure_ascii=False))
