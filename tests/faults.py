"""Real faults for drills: a private redis-server we restart, processes we kill, a client
that drops its socket mid-reply and resumes the way the protocol says.

Only processes this module started are ever signalled, by their pid.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import redis

from apps.conversations.models import Message
from tests.stack import ChatClient, LiveStack, free_port, start_process, wait_for_port


class PrivateRedis:
    """A redis-server of our own on a spare loopback port, without persistence: a restart
    loses everything, as the worst real restart would."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.starts += 1
        self.proc = start_process(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            self.workdir / f"redis-{self.starts}.log",
            dict(os.environ),
        )  # fmt: skip
        wait_for_port(self.port, timeout=10)
        client = redis.Redis(port=self.port, socket_timeout=2)
        while not client.ping():
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self, down_s: float) -> float:
        """Kill it, keep it down for ``down_s``, bring it back; when it answered again."""
        self.stop()
        time.sleep(down_s)
        self.start()
        return time.monotonic()


def reply_writer(stack: LiveStack, message_id: int) -> str:
    """The name of the stack worker whose lease the reply carries."""
    pid = int(Message.objects.get(id=message_id).lease_owner.rsplit(":", 1)[1])
    return next(name for name, proc in stack.processes.items() if proc.pid == pid)


def kill_reply_writer(stack: LiveStack, message_id: int) -> str:
    """SIGKILL the stack worker writing the reply; that worker's name."""
    name = reply_writer(stack, message_id)
    os.kill(stack.processes[name].pid, signal.SIGKILL)
    stack.processes[name].wait()
    return name


def wait_for_streaming_text(message_id: int, timeout: float = 30.0) -> Message:
    """The reply once a worker has written some of it to Postgres."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = Message.objects.filter(id=message_id).first()
        if reply is not None and reply.status == Message.Status.STREAMING and reply.text:
            return reply
        time.sleep(0.02)
    raise TimeoutError(f"reply {message_id} never streamed")


@dataclass
class Merged:
    """One reply as a protocol-v1 client holds it, merged by the documented rules."""

    text: str = ""
    gaps: int = 0  # deltas that started past what was held (each answered by a resume)
    final: str | None = None
    events: list[dict] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # the merged text after each event

    def compare(self, stored: str) -> tuple[int, int]:
        """What the customer saw against the stored reply, as the widget shows it (merged
        deltas, then ``reply.end``'s text): (characters never shown, characters shown that
        are not the reply's: repeated, out of place or invented, at the worst moment)."""
        shown = self.final if self.final is not None else self.text
        never_shown = len(stored) - _common_prefix(shown, stored)
        wrong = max((len(s) - _common_prefix(s, stored) for s in self.shown), default=0)
        return never_shown, wrong

    def apply(self, event: dict) -> None:
        self.events.append(event)
        if event["type"] == "reply.restart":
            self.text = ""
        elif event["type"] == "reply.delta":
            held, seq, delta = len(self.text), event["seq"], event["delta"]
            start = seq - len(delta)
            if start > held:
                self.gaps += 1
            elif seq > held:  # else: held already (a replay overlapping live deltas)
                self.text += delta[held - start :]
        elif event["type"] == "reply.end":
            self.final = event["text"]
        self.shown.append(self.final if self.final is not None else self.text)


def _common_prefix(a: str, b: str) -> int:
    differs = (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y)
    return next(differs, min(len(a), len(b)))


class ResumingClient:
    """Asks one question and, at chosen deltas, drops its socket, reconnects with the same
    session and resumes from what it holds: what a widget on a flaky phone does.

    It connects to the stack's Daphnes ``webs`` in turn: first to ``webs[0]``, the n-th
    reconnect to ``webs[n % len(webs)]``, as a load balancer without sticky sessions may.
    """

    def __init__(self, stack: LiveStack, *, webs: tuple[str, ...] = ("web",)) -> None:
        self.stack = stack
        self.webs = webs
        self.session = stack.new_session()
        self.client: ChatClient = stack.chat_client(session=self.session, web=webs[0])
        self.reply = Merged()
        self.reply_id: int | None = None
        self.drops = 0
        self.reconnects = 0
        self.resumes = 0
        self.held_at_drops: list[int] = []  # characters of the reply held at each drop

    def ask(self, text: str, *, drop_after_deltas: list[int], timeout: float = 90.0) -> Merged:
        self.client.send_json({"type": "message", "client_msg_id": str(uuid.uuid4()), "text": text})
        deltas = 0
        deadline = time.monotonic() + timeout
        while self.reply.final is None:
            event = self.client.recv(timeout=max(deadline - time.monotonic(), 0.1))
            self._note(event)
            if event["type"] == "reply.delta" and event["message_id"] == self.reply_id:
                deltas += 1
                if deltas in drop_after_deltas:
                    self._drop_and_resume()
        return self.reply

    def close(self) -> None:
        self.client.close()

    def _note(self, event: dict) -> None:
        if event["type"] == "reply.start":
            self.reply_id = event["message_id"]
        if event.get("message_id") == self.reply_id and event["type"].startswith("reply."):
            before = self.reply.gaps
            self.reply.apply(event)
            if self.reply.gaps > before:
                self._resume()

    def _drop_and_resume(self) -> None:
        self.drops += 1
        self.held_at_drops.append(len(self.reply.text))
        self.client.ws.socket.close()  # abrupt: no close frame, like a lost connection
        self.client.close()
        self.reconnects += 1
        web = self.webs[self.reconnects % len(self.webs)]
        self.client = self.stack.chat_client(session=self.session, web=web)
        self._resume()

    def _resume(self) -> None:
        self.resumes += 1
        self.client.send_json(
            {"type": "resume", "last_seq": len(self.reply.text), "message_id": self.reply_id}
        )


@dataclass
class Conversation:
    """What one customer saw while asking questions one after another."""

    questions: int = 0
    finals: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    socket_closed: bool = False  # or nothing came for ``timeout``
    heard: list[str] = field(default_factory=list)  # each event's type, to explain a failure


def converse(client: ChatClient, questions: list[str], *, timeout: float = 60.0) -> Conversation:
    """Ask each question once the previous one is answered, on one socket, resending only
    what the server says it did not store (``unavailable``).

    A question's answer is the ``reply.end`` of the reply that started for it: after the
    channel layer was away, a socket is sent again what changed meanwhile, the previous
    reply's end included (clients merge by ``message_id``)."""
    seen = Conversation()
    for text in questions:
        seen.questions += 1
        client_msg_id = client.send_message(text)
        message_id = reply_id = None
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = client.recv(timeout=max(deadline - time.monotonic(), 0.1))
            except (TimeoutError, OSError):
                seen.socket_closed = True
                return seen
            kind = event["type"]
            seen.heard.append(kind)
            if kind == "error":
                seen.errors.append(event)
                if event["code"] == "unavailable":
                    time.sleep(0.5)
                    client.send_message(text, client_msg_id)
            elif kind == "message.accepted" and event["client_msg_id"] == client_msg_id:
                message_id = event["message_id"]
            elif kind == "reply.start" and message_id is not None:
                if event["reply_to"] == message_id:
                    reply_id = event["message_id"]
            elif kind == "reply.end" and event["message_id"] == reply_id:
                seen.finals.append(event["text"])
                break
    return seen
