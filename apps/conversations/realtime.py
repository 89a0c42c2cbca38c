"""The one place that builds group names and event payloads (protocol v1), and publishes them.

Channel-layer delivery is best effort; Postgres is the truth, and clients resync with
``resume``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from functools import partial
from typing import Any, Literal, NotRequired, TypedDict

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

GROUP_EVENT_TYPE = "chat.event"  # the consumer's ``chat_event`` handler relays these
# Several events in one layer message, in order (``chat_events``): a reply answered whole at
# the edge is one message for the layer to carry instead of three.
GROUP_EVENTS_TYPE = "chat.events"


class MessageAccepted(TypedDict):
    type: Literal["message.accepted"]
    client_msg_id: str
    message_id: int


class ReplyStart(TypedDict):
    type: Literal["reply.start"]
    message_id: int
    reply_to: int | None


class ReplyDelta(TypedDict):
    type: Literal["reply.delta"]
    message_id: int
    seq: int
    delta: str


class ReplyRestart(TypedDict):
    type: Literal["reply.restart"]
    message_id: int
    reason: str


class ReplyEnd(TypedDict):
    type: Literal["reply.end"]
    message_id: int
    text: str
    route: str
    ttft_ms: int | None


class AgentMessage(TypedDict):
    type: Literal["agent.message"]
    message_id: int
    text: str
    agent: str


class AgentTyping(TypedDict):
    type: Literal["agent.typing"]
    agent: str


class Notice(TypedDict):
    type: Literal["notice"]
    kind: str
    text: str
    # ``queued`` only: the place in line (1: next) and the estimated seconds until a
    # worker starts the reply (None until the service rate is measured).
    place: NotRequired[int]
    wait_s: NotRequired[int | None]


class CsatRequest(TypedDict):
    """Rate the conversation: ``text`` asks, in the customer's words; answer ``csat.submit``."""

    type: Literal["csat.request"]
    text: str
    reason: str  # ``closed`` (by staff) or ``idle``
    comment_max: int


class CsatAccepted(TypedDict):
    type: Literal["csat.accepted"]
    rating: int
    text: str  # the thanks, in the customer's words


class Error(TypedDict):
    type: Literal["error"]
    code: str
    detail: str
    # The refused message's id, when the frame was a message: the client may resend it.
    client_msg_id: NotRequired[str]
    # ``rate_limited``: whole seconds until the same frame would be taken.
    retry_after: NotRequired[int]


ServerEvent = (
    MessageAccepted
    | ReplyStart
    | ReplyDelta
    | ReplyRestart
    | ReplyEnd
    | AgentMessage
    | AgentTyping
    | Notice
    | CsatRequest
    | CsatAccepted
    | Error
)


QUEUE_GROUP = "console.queue"  # staff consoles watching the list of conversations


def conversation_group(conversation_uuid_hex: str) -> str:
    return f"conversation.{conversation_uuid_hex}"


def staff_conversation_group(conversation_uuid_hex: str) -> str:
    """Staff watching one conversation: every customer event plus staff-only ones."""
    return f"console.conversation.{conversation_uuid_hex}"


class QueueChanged(TypedDict):
    type: Literal["queue.changed"]
    conversation_id: int


class StaffMessage(TypedDict):
    """A staff-only entry of the transcript (an internal note or a system event)."""

    type: Literal["staff.message"]
    message_id: int


def message_accepted(client_msg_id: str, message_id: int) -> MessageAccepted:
    return {"type": "message.accepted", "client_msg_id": client_msg_id, "message_id": message_id}


def reply_start(message_id: int, reply_to: int | None) -> ReplyStart:
    return {"type": "reply.start", "message_id": message_id, "reply_to": reply_to}


def reply_delta(message_id: int, seq: int, delta: str) -> ReplyDelta:
    """``seq`` is the reply's length in characters once this delta is appended."""
    return {"type": "reply.delta", "message_id": message_id, "seq": seq, "delta": delta}


def reply_restart(message_id: int, reason: str) -> ReplyRestart:
    """The reply's text so far is void (its route failed); deltas start again from seq 0."""
    return {"type": "reply.restart", "message_id": message_id, "reason": reason}


def reply_end(message_id: int, text: str, route: str, ttft_ms: int | None) -> ReplyEnd:
    return {
        "type": "reply.end",
        "message_id": message_id,
        "text": text,
        "route": route,
        "ttft_ms": ttft_ms,
    }


def agent_message(message_id: int, text: str, agent: str) -> AgentMessage:
    return {"type": "agent.message", "message_id": message_id, "text": text, "agent": agent}


def agent_typing(agent: str) -> AgentTyping:
    return {"type": "agent.typing", "agent": agent}


def notice(kind: str, text: str) -> Notice:
    return {"type": "notice", "kind": kind, "text": text}


def queued_notice(text: str, *, place: int, wait_s: int | None) -> Notice:
    return {"type": "notice", "kind": "queued", "text": text, "place": place, "wait_s": wait_s}


def csat_request(text: str, *, reason: str, comment_max: int) -> CsatRequest:
    return {"type": "csat.request", "text": text, "reason": reason, "comment_max": comment_max}


def csat_accepted(rating: int, text: str) -> CsatAccepted:
    return {"type": "csat.accepted", "rating": rating, "text": text}


def error(
    code: str, detail: str, *, client_msg_id: str | None = None, retry_after: int | None = None
) -> Error:
    event: Error = {"type": "error", "code": code, "detail": detail}
    if client_msg_id is not None:
        event["client_msg_id"] = client_msg_id
    if retry_after is not None:
        event["retry_after"] = retry_after
    return event


class _Publisher:
    """Publishes from sync code (Celery task threads) through one long-lived event loop.

    ``async_to_sync`` would build a loop, and a Redis connection pool, per call.

    Publishing is best effort: Postgres already holds what an event says, and a socket
    that lost events replays them (see ``apps.config.channel_layer``). A failed publish is
    logged and dropped, and for a moment after one, deltas are not even tried, so a
    reply keeps streaming into Postgres at full speed while Redis is away. Every other
    event is always tried: it may be the last a client hears of its reply.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._quiet_until = 0.0
        self._sending: asyncio.Semaphore | None = None  # made on the loop it guards

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or not self._loop.is_running():
                loop = asyncio.new_event_loop()
                started = threading.Event()
                threading.Thread(
                    target=self._serve, args=(loop, started), name="realtime-publisher", daemon=True
                ).start()
                started.wait()
                self._loop, self._sending = loop, None
            return self._loop

    @staticmethod
    def _serve(loop: asyncio.AbstractEventLoop, started: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(started.set)
        loop.run_forever()

    def send(
        self, deliveries: Mapping[str, Sequence[Mapping[str, Any]]], *, wait: bool = True
    ) -> bool:
        """True once the layer took, for each group of ``deliveries``, its events in order.
        Without ``wait`` it only hands them over (True), for events no caller need hold on
        for."""
        if time.monotonic() < self._quiet_until:
            deliveries = {
                group: [event for event in events if event["type"] != "reply.delta"]
                for group, events in deliveries.items()
            }
        messages = {group: layer_message(events) for group, events in deliveries.items() if events}
        if not messages:
            return False
        layer = get_channel_layer()

        async def send_to_groups() -> None:
            await asyncio.gather(*(layer.group_send(group, m) for group, m in messages.items()))

        async def send_unwaited() -> None:
            # Sends not waited for pile up on this loop in a burst, and each one in flight
            # holds a Redis connection of the pool: unbounded, every send of a surge
            # opened a connection of its own (most of a web process's publishing cost).
            # Bounded in number and in time, so a Redis that is away cannot hold their
            # turns; waited sends keep their own timeout and never queue behind them.
            if self._sending is None:
                self._sending = asyncio.Semaphore(PUBLISHES_AT_ONCE)
            async with self._sending, asyncio.timeout(PUBLISH_TIMEOUT_S):
                await send_all()

        async def send_all() -> None:
            try:
                await send_to_groups()
            except Exception:
                # After a Redis restart the pool's connections lead to the old server: try
                # once more on new ones (this loop only publishes; clients merge by seq).
                drop = getattr(layer, "drop_loop_connections", None)
                if drop is None:  # the in-memory layer of some tests
                    raise
                await drop()
                await send_to_groups()

        kinds = ",".join(sorted({e["type"] for events in deliveries.values() for e in events}))
        sending = send_all() if wait else send_unwaited()
        future = asyncio.run_coroutine_threadsafe(sending, self._ensure_loop())
        if not wait:
            future.add_done_callback(partial(self._log_failure, kinds))
            return True
        try:
            future.result(timeout=PUBLISH_TIMEOUT_S)
        except Exception as exc:
            future.cancel()
            self._quiet_until = time.monotonic() + QUIET_AFTER_FAILURE_S
            logger.warning("could not publish %s: %r", kinds, exc)
            return False
        return True

    @staticmethod
    def _log_failure(event_type: str, future: Future[None]) -> None:
        if not future.cancelled() and (exc := future.exception()) is not None:
            logger.warning("could not publish %s: %r", event_type, exc)


def layer_message(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The layer message that carries ``events``, in order: each costs the layer a round
    trip or four per group, so several go as one."""
    if len(events) == 1:
        return {"type": GROUP_EVENT_TYPE, "event": events[0]}
    return {"type": GROUP_EVENTS_TYPE, "events": list(events)}


def events_in(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The events a layer message carries (``layer_message``), in order."""
    if message["type"] == GROUP_EVENTS_TYPE:
        return list(message["events"])
    return [message["event"]]


class RelaysEventBatches:
    """For a consumer with a ``chat_event`` handler: a batch is its events, one by one."""

    async def chat_event(self, message: dict) -> None:
        raise NotImplementedError

    async def chat_events(self, message: dict) -> None:
        for event in events_in(message):
            await self.chat_event({"type": GROUP_EVENT_TYPE, "event": event})


PUBLISH_TIMEOUT_S = 2.0
PUBLISHES_AT_ONCE = 8
QUIET_AFTER_FAILURE_S = 0.25
_publisher = _Publisher()


def publish(conversation_uuid_hex: str, *events: ServerEvent, wait: bool = True) -> None:
    """Send events, in order, to the customer's sockets and to staff watching (best
    effort). Not waited for (``wait=False``) when the socket that waits has them already."""
    groups = (
        conversation_group(conversation_uuid_hex),
        staff_conversation_group(conversation_uuid_hex),
    )
    _publisher.send(dict.fromkeys(groups, events), wait=wait)


def publish_to_staff(conversation_uuid_hex: str, message_id: int) -> None:
    """Staff consoles re-read the row: nothing the customer waits on, so not waited for."""
    _publisher.send(
        {staff_conversation_group(conversation_uuid_hex): [_staff_message(message_id)]}, wait=False
    )


def publish_queue_change(conversation_id: int) -> None:
    _publisher.send({QUEUE_GROUP: [_queue_changed(conversation_id)]}, wait=False)


def publish_customer_message(
    conversation_uuid_hex: str, conversation_id: int, message_id: int
) -> None:
    """A customer wrote: staff watching the conversation re-read the row, and the queue
    lists refresh. One hand-over to the publisher, not waited for."""
    deliveries = {
        staff_conversation_group(conversation_uuid_hex): [_staff_message(message_id)],
        QUEUE_GROUP: [_queue_changed(conversation_id)],
    }
    _publisher.send(deliveries, wait=False)


def _staff_message(message_id: int) -> StaffMessage:
    return {"type": "staff.message", "message_id": message_id}


def _queue_changed(conversation_id: int) -> QueueChanged:
    return {"type": "queue.changed", "conversation_id": conversation_id}
