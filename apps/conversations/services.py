"""Writes for conversations: post a customer message, generate its reply, replay on resume."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.conversations import realtime
from apps.conversations.cancellation import CancelWatcher
from apps.conversations.escalation import (
    EscalationConfig,
    conversation_escalate,
    escalation_check,
    escalation_config,
    handoff_notice_for,
    message_tag_sentiment,
)
from apps.conversations.models import Conversation, Message
from apps.conversations.selectors import (
    history_for_reply,
    messages_to_replay,
    open_conversation_for_session,
    replies_waiting,
    replies_waiting_before,
)
from apps.inference.language import detect_language, localized
from apps.inference.service import Restart, stream_reply
from apps.ops.metrics import observe_reply

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


class ConversationClosed(Exception):
    """The conversation was closed by staff; the session starts a new one."""


@transaction.atomic
def message_post(*, conversation: Conversation, client_msg_id: uuid.UUID, text: str) -> PostResult:
    """Store a customer message and queue its reply; a resent ``client_msg_id`` is a no-op.

    While a human has the conversation, no AI reply is queued.
    """
    conversation = Conversation.objects.select_for_update().get(id=conversation.id)
    if conversation.status == Conversation.Status.CLOSED:
        raise ConversationClosed
    customer_message, created = Message.objects.get_or_create(
        conversation=conversation,
        client_msg_id=client_msg_id,
        defaults={"role": Message.Role.CUSTOMER, "text": text, "status": Message.Status.DONE},
    )
    if not created:
        return PostResult(customer_message=customer_message, created=False)
    if not conversation.language:
        conversation.language = detect_language(text)
    config = escalation_config()
    message_tag_sentiment(conversation=conversation, message=customer_message)
    reason = escalation_check(conversation=conversation, message=customer_message, config=config)
    if reason:
        _publish_on_commit(
            conversation,
            conversation_escalate(conversation=conversation, reason=reason, config=config),
        )
    conversation.save()
    if _ai_answers(conversation, config):
        reply = Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            status=Message.Status.PENDING,
            reply_to=customer_message,
        )
        transaction.on_commit(lambda: _enqueue_reply(reply.id))
        ahead = replies_waiting_before(reply)
        if ahead >= settings.QUEUE_NOTICE_AT:
            text = localized(QUEUED, conversation.language, ahead=ahead)
            _publish_on_commit(conversation, realtime.notice("queued", text))
    transaction.on_commit(lambda: _announce_customer_message(conversation, customer_message))
    return PostResult(customer_message=customer_message, created=True)


QUEUED = {
    "en": "We're busier than usual: {ahead} replies are ahead of yours. You'll get an answer "
    "here as soon as it's your turn.",
    "zh": "当前咨询较多,您前面还有 {ahead} 位顾客在等待回复,轮到您时会立即在这里回复。",
}


def _publish_on_commit(conversation: Conversation, event: realtime.ServerEvent) -> None:
    # Bound now: a lambda would see whatever the caller's variable holds at commit time.
    transaction.on_commit(partial(realtime.publish, conversation.uuid.hex, event))


def _ai_answers(conversation: Conversation, config: EscalationConfig) -> bool:
    if conversation.status == Conversation.Status.WAITING_HUMAN:
        return config.ai_helps_while_waiting
    return conversation.status == Conversation.Status.AI


def _announce_customer_message(conversation: Conversation, message: Message) -> None:
    realtime.publish_to_staff(conversation.uuid.hex, message.id)
    realtime.publish_queue_change(conversation.id)


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

    Each checkpoint writes the text to Postgres and publishes it inside one transaction
    that holds the reply's row lock. A client that resumes from the database therefore
    never misses what it would have seen live, and a takeover (which locks the row to
    cancel it) is ordered after every delta published before it and before none after.
    A checkpoint that finds the reply no longer streaming stops generation.
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
        stream = stream_reply(
            history_for_reply(self.reply),
            cache_key=self.group,
            conversation_status=self.reply.conversation.status,
            queue_depth=replies_waiting(),
        )
        with CancelWatcher(self.group, self.reply.id, stream.cancel):
            try:
                completed = self._relay(stream)
            except Exception:
                logger.exception("reply %s failed", self.reply.id)
                self._finish(Message.Status.FAILED, stream)
                raise
        if completed:
            self._finish(Message.Status.DONE, stream)

    def _relay(self, stream) -> bool:
        """Forward the stream; False once the reply turns out to be cancelled."""
        for delta in stream:
            if isinstance(delta, Restart):
                self.text = self.pending = ""
                event = realtime.reply_restart(self.reply.id, delta.reason)
                if not self._checkpoint(event):
                    stream.cancel()
                    return False
                continue
            self.pending += delta
            due = not self.text or time.monotonic() - self.last_flush >= self.flush_s
            if due and not self._flush():
                stream.cancel()
                return False
        return not self.pending or self._flush()

    def _flush(self) -> bool:
        text = self.text + self.pending
        if not self._checkpoint(realtime.reply_delta(self.reply.id, len(text), self.pending)):
            return False
        self.text, self.pending = text, ""
        self.last_flush = time.monotonic()
        return True

    def _checkpoint(self, event: realtime.ServerEvent, *, final: bool = False, **fields) -> bool:
        with transaction.atomic():
            updated = Message.objects.filter(
                id=self.reply.id, status=Message.Status.STREAMING
            ).update(text=self.text + self.pending, **fields)
            if updated == 1 and not final:
                realtime.publish(self.group, event)
        if updated == 1 and final:  # once committed, so the row already says what it says
            realtime.publish(self.group, event)
        return updated == 1

    def _finish(self, status: str, stream) -> None:
        outcome = stream.outcome
        text = self.text + self.pending
        observe_reply(
            route=outcome.route,
            fallback_reason=outcome.fallback_reason,
            status=status,
            ttft_ms=outcome.ttft_ms,
        )
        self._checkpoint(
            realtime.reply_end(self.reply.id, text, outcome.route, outcome.ttft_ms),
            final=True,
            status=status,
            route=outcome.route,
            model_name=outcome.model_name,
            fallback_reason=outcome.fallback_reason,
            ttft_ms=outcome.ttft_ms,
            total_ms=outcome.total_ms,
            tokens_in=outcome.tokens_in,
            tokens_out=outcome.tokens_out,
        )


@transaction.atomic
def handoff_request(*, conversation: Conversation) -> realtime.Notice:
    """The customer pressed "talk to a person": queue the conversation for staff."""
    conversation = Conversation.objects.select_for_update().get(id=conversation.id)
    config = escalation_config()
    if conversation.status != Conversation.Status.AI:
        return handoff_notice_for(conversation, config, timezone.now())
    notice = conversation_escalate(
        conversation=conversation,
        reason=Conversation.EscalationReason.ASKED_FOR_HUMAN,
        config=config,
    )
    conversation.save()
    transaction.on_commit(lambda: realtime.publish_queue_change(conversation.id))
    return notice


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
