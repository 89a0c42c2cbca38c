"""One customer's chat widget for `make bench-surge`: protocol v1 only, asyncio, one question.

It does what ``static/widget/chat.js`` does and nothing it could not: merges deltas by
``seq`` (``tests.faults.Merged``), asks for a replay on a gap or after ``STALL_S`` of
silence on an unfinished reply, reconnects and resumes when its socket drops, and sends
again a message the server could not store (``unavailable``). It notes when each thing
became visible, on ``time.perf_counter()``.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
import zlib
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from tests.faults import Merged
from tests.stack import LiveStack

STALL_S = 8.0  # the widget's STALL_MS
MAX_RECONNECTS = 3
POLL_S = 1.0  # how often a quiet socket checks for a stall and for the end of its arm


@dataclass(frozen=True)
class Notice:
    kind: str
    at: float
    place: int | None  # 1 = next; present once the queued notice carries it
    wait_s: float | None


@dataclass
class Customer:
    stack: LiveStack
    session: str
    ws: ClientConnection
    client_msg_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    text: str = ""
    scheduled_at: float | None = None
    sent_at: float | None = None
    accepted: bool = False
    accepted_at: float | None = None  # when ``message.accepted`` came: the message is stored
    first_visible_at: float | None = None  # first delta, queued notice or end
    first_visible_by: str = ""  # which: ``queued`` or ``text``
    first_text_at: float | None = None  # first delta or end
    ended_at: float | None = None
    route: str | None = None
    reply_id: int | None = None
    reply: Merged = field(default_factory=Merged)
    text_at_end: str = ""  # the merged deltas when the first reply.end came
    end_texts: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    resumes: int = 0
    reconnects: int = 0
    heard_at: float = 0.0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def ask(self, text: str, stop: asyncio.Event, *, scheduled_at: float) -> None:
        """Send ``text``, then listen until ``stop``, so a late duplicate is seen too."""
        self.text, self.scheduled_at = text, scheduled_at
        self.sent_at = self.heard_at = time.perf_counter()
        await self._send_message()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(self.ws.recv(), POLL_S)
            except TimeoutError:
                await self._resume_if_stalled()
            except ConnectionClosed:
                if stop.is_set() or not await self._reconnect():
                    return
            else:
                await self.on_event(json.loads(raw), time.perf_counter())

    async def close(self) -> None:
        await self.ws.close()

    async def on_event(self, event: dict[str, Any], now: float) -> None:
        self.heard_at = now
        kind = event.get("type", "")
        if kind == "message.accepted":
            self.accepted = True
            self.accepted_at = self.accepted_at or now
        elif kind == "notice":
            self._on_notice(event, now)
        elif kind == "error":
            await self._on_error(event)
        elif kind.startswith("reply."):
            await self._on_reply(event, now)

    def ms_after_send(self, at: float | None) -> float | None:
        return None if at is None or self.sent_at is None else (at - self.sent_at) * 1000

    def first_notice(self, kind: str) -> Notice | None:
        return next((n for n in self.notices if n.kind == kind), None)

    @property
    def duplicated(self) -> bool:
        """A second final reply, or shown text that is not the reply's. An identical
        ``reply.end`` replayed for a ``resume`` this client sent is not a second one."""
        if not self.end_texts:
            return False
        final = self.end_texts[0]
        another = any(t != final for t in self.end_texts)
        unasked = len(self.end_texts) - 1 > self.resumes
        return another or unasked or not final.startswith(self.text_at_end)

    @property
    def short_deltas(self) -> bool:
        """Live deltas went missing and ``reply.end`` alone showed the rest."""
        return bool(self.end_texts) and len(self.text_at_end) < len(self.end_texts[0])

    def _on_notice(self, event: dict[str, Any], now: float) -> None:
        notice = Notice(event.get("kind", ""), now, event.get("place"), event.get("wait_s"))
        self.notices.append(notice)
        if notice.kind == "queued":
            self._seen(now, text=False)

    async def _on_error(self, event: dict[str, Any]) -> None:
        self.errors[event.get("code", "")] += 1
        if event.get("code") == "unavailable" and event.get("client_msg_id") == self.client_msg_id:
            await asyncio.sleep(random.uniform(1.0, 2.0))  # nothing was stored: send it again
            await self._send_message()

    async def _on_reply(self, event: dict[str, Any], now: float) -> None:
        if event["type"] == "reply.start":
            self.reply_id = event["message_id"]
            return
        if event["type"] in ("reply.delta", "reply.end"):
            self._seen(now, text=True)
        if event["type"] == "reply.end":
            self._on_end(event, now)
        gaps = self.reply.gaps
        self.reply.apply(event)
        if self.reply.gaps > gaps:
            await self._resume()

    def _on_end(self, event: dict[str, Any], now: float) -> None:
        if self.ended_at is None:
            self.ended_at, self.route = now, event.get("route")
            self.text_at_end = self.reply.text
            self.done.set()
        self.end_texts.append(event.get("text", ""))

    def _seen(self, now: float, *, text: bool) -> None:
        if self.first_visible_at is None:
            self.first_visible_at = now
            self.first_visible_by = "text" if text else "queued"
        if text and self.first_text_at is None:
            self.first_text_at = now

    async def _resume_if_stalled(self) -> None:
        now = time.perf_counter()
        if self.reply_id is None or self.ended_at is not None or now - self.heard_at < STALL_S:
            return
        self.heard_at = now
        await self._resume()

    async def _resume(self) -> None:
        self.resumes += 1
        event: dict[str, Any] = {"type": "resume", "last_seq": len(self.reply.text)}
        if self.reply_id is not None:
            event["message_id"] = self.reply_id
        await self._send(event)

    async def _reconnect(self) -> bool:
        """A new socket on the same session, then what the widget sends on open."""
        if self.reconnects >= MAX_RECONNECTS:
            return False
        self.reconnects += 1
        await asyncio.sleep(random.uniform(0.25, 0.5))
        try:
            self.ws = await open_socket(self.stack, self.session)
        except (OSError, TimeoutError, WebSocketException):
            return True  # the next recv fails on the closed socket and tries again
        await self._resume()
        if not self.accepted:
            await self._send_message()
        return True

    async def _send_message(self) -> None:
        message = {"type": "message", "client_msg_id": self.client_msg_id, "text": self.text}
        await self._send(message)

    async def _send(self, event: dict[str, Any]) -> None:
        # On a closed socket the listening loop reconnects, and sends what is unanswered.
        with suppress(ConnectionClosed):
            await self.ws.send(json.dumps(event, ensure_ascii=False))


async def open_socket(stack: LiveStack, session: str) -> ClientConnection:
    # Spread over the stack's web processes as a load balancer would, one per session.
    ports = sorted(stack.web_ports.values())
    port = ports[zlib.crc32(session.encode()) % len(ports)]
    return await connect(
        f"ws://127.0.0.1:{port}/ws/chat/",
        origin=stack.base_url,  # type: ignore[arg-type]
        additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
        open_timeout=10,
        ping_interval=None,  # a browser sends no pings, and a busy server must not cost a socket
    )


async def open_customer(stack: LiveStack) -> Customer:
    """A customer with the widget open: the page loaded (a session) and its socket up."""
    session = await asyncio.to_thread(stack.new_session)
    return Customer(stack, session, await open_socket(stack, session))
