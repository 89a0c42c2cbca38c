"""Writes for conversations: post a customer message, generate its reply, replay on resume."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from apps.conversations import realtime
from apps.conversations.models import Conversation, Message
from apps.conversations.selectors import (
    history_for_reply,
    messages_to_replay,
    open_conversation_for_session,
)
from apps.inference.language import detect_language
from apps.inference.service import stream_reply

logger = logging.getLogger(__name__)

FINAL_STATUSES = (Message.Status.DONE, Message.Status.FAILED, Message.Status.CANCELLED)


def conversation_for_session(*, session_key: str) -> Conversation:
    """The session's open conversation, created on first use."""
    conversation = open_conversation_for_session(session_key)
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(session_key=session_key)
    except IntegrityError:  # a concurrent request created it first
        return open_conversation_for_session(session_key)


@dataclass(frozen=True)
class PostResult:
    customer_message: Message
    created: bool


@transaction.atomic
def message_post(*, conversation: Conversation, client_msg_id: uuid.UUID, text: str) -> PostResult:
    """Store a customer message and queue its reply; a resent ``client_msg_id`` is a no-op."""
    customer_message, created = Message.objects.get_or_create(
        conversation=conversation,
        client_msg_id=client_msg_id,
        defaults={"role": Message.Role.CUSTOMER, "text": text, "status": Message.Status.DONE},
    )
    if not created:
        return PostResult(customer_message=customer_message, created=False)
    if not conversation.language:
        conversation.language = detect_language(text)
    conversation.save(update_fields=["language", "updated_at"])
    reply = Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        status=Message.Status.PENDING,
        reply_to=customer_message,
    )
    transaction.on_commit(lambda: _enqueue_reply(reply.id))
    return PostResult(customer_message=customer_message, created=True)


def _enqueue_reply(message_id: int) -> None:
    from apps.conversations.tasks import generate_reply

    generate_reply.delay(message_id)


def reply_generate(*, message_id: int) -> None:
    """Claim a pending reply, stream it to the conversation, and persist it."""
    claimed = Message.objects.filter(id=message_id, status=Message.Status.PENDING).update(
        status=Message.Status.STREAMING
    )
    if claimed != 1:
        logger.info("reply %s already claimed or gone; skipping", message_id)
        return
    reply = Message.objects.select_related("conversation").get(id=message_id)
    _ReplyWriter(reply).run()


class _ReplyWriter:
    """Streams one reply: coalesces deltas, checkpoints text, then publishes it.

    Each flush writes the text to Postgres before it publishes, so a client that
    resumes from the database never misses what it would have seen live. A flush
    that finds the row no longer streaming (a takeover cancelled it) stops generation.
    """

    def __init__(self, reply: Message) -> None:
        self.reply = reply
        self.group = reply.conversation.uuid.hex
        self.text = ""
        self.pending = ""
        self.last_flush = 0.0
        self.flush_s = settings.REPLY_FLUSH_MS / 1000

    def run(self) -> None:
        realtime.publish(self.group, realtime.reply_start(self.reply.id, self.reply.reply_to_id))
        stream = stream_reply(history_for_reply(self.reply), cache_key=self.group)
        try:
            for delta in stream:
                self.pending += delta
                first = not self.text
                if (first or time.monotonic() - self.last_flush >= self.flush_s) and (
                    not self._flush()
                ):
                    stream.cancel()
                    return
        except Exception:
            logger.exception("reply %s failed", self.reply.id)
            self._finish(Message.Status.FAILED, stream)
            raise
        if self.pending and not self._flush():
            return
        self._finish(Message.Status.DONE, stream)

    def _flush(self) -> bool:
        self.text += self.pending
        updated = Message.objects.filter(id=self.reply.id, status=Message.Status.STREAMING).update(
            text=self.text
        )
        if updated != 1:
            return False
        realtime.publish(
            self.group, realtime.reply_delta(self.reply.id, len(self.text), self.pending)
        )
        self.pending = ""
        self.last_flush = time.monotonic()
        return True

    def _finish(self, status: str, stream) -> None:
        outcome = stream.outcome
        updated = Message.objects.filter(id=self.reply.id, status=Message.Status.STREAMING).update(
            status=status,
            text=self.text,
            route=outcome.route,
            model_name=outcome.model_name,
            ttft_ms=outcome.ttft_ms,
            total_ms=outcome.total_ms,
            tokens_in=outcome.tokens_in,
            tokens_out=outcome.tokens_out,
        )
        if updated == 1:
            realtime.publish(
                self.group,
                realtime.reply_end(self.reply.id, self.text, outcome.route, outcome.ttft_ms),
            )


HANDOFF_NOTICE = {
    "en": "We've asked a person from our team to join. The assistant keeps helping meanwhile.",
    "zh": "已为您转接人工客服,请稍候。在此期间智能助手会继续为您解答。",
}


def handoff_request(*, conversation: Conversation) -> realtime.Notice:
    """The customer asked for a human: queue the conversation for the staff."""
    Conversation.objects.filter(id=conversation.id, status=Conversation.Status.AI).update(
        status=Conversation.Status.WAITING_HUMAN
    )
    text = HANDOFF_NOTICE.get(conversation.language or "en", HANDOFF_NOTICE["en"])
    return realtime.notice("handoff", text)


def replay_events(
    *, conversation: Conversation, last_seq: int, message_id: int | None
) -> list[realtime.ServerEvent]:
    """Events that bring a reconnecting client up to date, read from Postgres.

    ``last_seq`` is how many characters of the first replayed reply the client holds.
    """
    events: list[realtime.ServerEvent] = []
    for index, message in enumerate(messages_to_replay(conversation, message_id=message_id)):
        if message.role == Message.Role.AGENT:
            events.append(realtime.agent_message(message.id, message.text, "agent"))
            continue
        held = last_seq if index == 0 else 0
        if held == 0:
            events.append(realtime.reply_start(message.id, message.reply_to_id))
        if len(message.text) > held:
            events.append(realtime.reply_delta(message.id, len(message.text), message.text[held:]))
        if message.status in FINAL_STATUSES:
            events.append(
                realtime.reply_end(message.id, message.text, message.route, message.ttft_ms)
            )
    return events
