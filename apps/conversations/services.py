"""Writes for conversations: post a customer message, queue its reply, replay on resume."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.config.languages import detect_language
from apps.conversations import notices, realtime
from apps.conversations.escalation import (
    EscalationConfig,
    conversation_escalate,
    escalation_check,
    escalation_config,
    handoff_notice_for,
    message_tag_sentiment,
)
from apps.conversations.leases import pending_lease, reply_enqueue
from apps.conversations.models import Conversation, Message
from apps.conversations.selectors import (
    messages_changed_since,
    messages_to_replay,
    open_conversation_for_session,
    replies_waiting_before,
)

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
    message_triage(conversation=conversation, message=customer_message, config=config)
    conversation.save()
    if _ai_answers(conversation, config):
        reply_queue(conversation=conversation, customer_message=customer_message)
    transaction.on_commit(lambda: _announce_customer_message(conversation, customer_message))
    return PostResult(customer_message=customer_message, created=True)


def message_triage(
    *, conversation: Conversation, message: Message, config: EscalationConfig
) -> None:
    """Tag the message's sentiment and escalate the conversation if the rule says so."""
    message_tag_sentiment(conversation=conversation, message=message)
    reason = escalation_check(conversation=conversation, message=message, config=config)
    if reason:
        _publish_on_commit(
            conversation,
            conversation_escalate(conversation=conversation, reason=reason, config=config),
        )


def reply_queue(*, conversation: Conversation, customer_message: Message) -> Message:
    """Insert the pending AI reply and queue its task once the transaction commits.

    A reply whose task cannot be queued (the broker is down) is still in Postgres, and the
    reaper queues it when it can; the customer is told their place when the line is long.
    """
    reply = Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        status=Message.Status.PENDING,
        reply_to=customer_message,
        lease_until=pending_lease(),
    )
    transaction.on_commit(partial(reply_enqueue, reply.id))
    ahead = replies_waiting_before(reply)
    if ahead >= settings.QUEUE_NOTICE_AT:
        text = notices.queued(conversation.language, ahead=ahead)
        _publish_on_commit(conversation, realtime.notice("queued", text))
    return reply


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
    messages = messages_to_replay(conversation, message_id=message_id)
    return _replay(messages, held_by_first=last_seq)


def replay_changed_since(
    *, conversation: Conversation, since: datetime
) -> list[realtime.ServerEvent]:
    """What a socket may have missed while its channel layer was away, in full.

    The client merges by ``seq``, so text it already holds is ignored.
    """
    return _replay(messages_changed_since(conversation, since), held_by_first=0)


def _replay(messages: list[Message], *, held_by_first: int) -> list[realtime.ServerEvent]:
    events: list[realtime.ServerEvent] = []
    for index, message in enumerate(messages):
        if message.role == Message.Role.AGENT:
            events.append(realtime.agent_message(message.id, message.text, "agent"))
            continue
        held = held_by_first if index == 0 else 0
        if held and message.restarts:
            # The text was written again since the client got its part: it may hold words
            # of a voided attempt, so it starts over.
            events.append(realtime.reply_restart(message.id, "resync"))
            held = 0
        if held == 0:
            events.append(realtime.reply_start(message.id, message.reply_to_id))
        if len(message.text) > held:
            events.append(realtime.reply_delta(message.id, len(message.text), message.text[held:]))
        if message.status in FINAL_STATUSES:
            events.append(
                realtime.reply_end(message.id, message.text, message.route, message.ttft_ms)
            )
    return events
