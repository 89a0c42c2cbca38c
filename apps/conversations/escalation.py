"""Tag each customer message's sentiment and move the conversation to a human when due."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.conversations import realtime
from apps.conversations.models import Conversation, Message
from apps.conversations.notice_log import notice_sent
from apps.conversations.notices import handoff_notice
from apps.conversations.selectors import Earlier
from apps.ops import rollups
from apps.ops.flags import Flags, current_flags
from apps.ops.hours import BusinessHours
from apps.sentiment.escalation import EscalationPolicy, escalation_reason
from apps.sentiment.tagger import tag


@dataclass(frozen=True)
class EscalationConfig:
    policy: EscalationPolicy
    hours: BusinessHours
    ai_helps_while_waiting: bool


def escalation_config(flags: Flags | None = None) -> EscalationConfig:
    """The escalation rule and business hours ops set: in ``flags``, or the live ones."""
    flags = flags or current_flags()
    return EscalationConfig(
        policy=EscalationPolicy(
            negative_streak=flags.escalation_negative_streak,
            strong_negative_score=flags.escalation_strong_negative,
        ),
        hours=flags.business_hours,
        ai_helps_while_waiting=flags.ai_helps_while_waiting,
    )


def customer_message_tagged(
    *, conversation: Conversation, client_msg_id: uuid.UUID, text: str
) -> Message:
    """Insert the customer's message with its sentiment tag, and make the tag the
    conversation's current one (saved with the conversation by the caller)."""
    result = tag(text)
    conversation.sentiment, conversation.sentiment_score = result.label, result.score
    return Message.objects.create(
        conversation=conversation,
        client_msg_id=client_msg_id,
        role=Message.Role.CUSTOMER,
        text=text,
        status=Message.Status.DONE,
        sentiment=result.label,
        sentiment_score=result.score,
    )


def escalation_check(
    *,
    conversation: Conversation,
    message: Message,
    earlier: Sequence[Earlier],
    config: EscalationConfig,
) -> str | None:
    """The reason to hand the conversation to a human now, if any (AI conversations only).

    ``earlier``: the conversation's messages before ``message`` (``earlier_messages``); the
    rule reads the sentiment of the customer's tagged ones.
    """
    if conversation.status != Conversation.Status.AI:
        return None
    window = config.policy.negative_streak  # the policy keeps it >= 1
    tagged = [
        (m.sentiment, m.sentiment_score)
        for m in earlier
        if m.role == Message.Role.CUSTOMER and m.sentiment
    ]
    scored = [*tagged, (message.sentiment, message.sentiment_score)][-window:]
    return escalation_reason(text=message.text, recent_labels_scores=scored, policy=config.policy)


def conversation_escalate(
    *, conversation: Conversation, reason: str, config: EscalationConfig
) -> realtime.Notice:
    """Queue the conversation for staff (the caller holds its row lock) and word the notice."""
    now = timezone.now()
    conversation.status = Conversation.Status.WAITING_HUMAN
    conversation.escalation_reason = reason
    conversation.waiting_since = now
    event = Message.objects.create(
        conversation=conversation,
        role=Message.Role.SYSTEM,
        event=Message.Event.ESCALATED,
        text=f"Escalated: {reason}",
    )
    group = conversation.uuid.hex
    transaction.on_commit(lambda: realtime.publish_to_staff(group, event.id))
    transaction.on_commit(lambda: handoff_recorded(reason))
    notice = handoff_notice_for(conversation, config, now)
    return notice_sent(conversation=conversation, notice=notice)


def handoff_recorded(reason: str) -> None:
    rollups.handoff(reason=reason)
    waiting_for_person_recorded()


def waiting_for_person_recorded() -> None:
    """Sample, for the dashboard, how many conversations wait for a person: called after
    each change to that number (an escalation, a takeover, a close)."""
    waiting = Conversation.objects.filter(status=Conversation.Status.WAITING_HUMAN).count()
    rollups.waiting_for_person(conversations=waiting)


def handoff_notice_for(
    conversation: Conversation, config: EscalationConfig, now: datetime
) -> realtime.Notice:
    """What the customer is told: a person is coming, or the team's hours if it is offline."""
    text = handoff_notice(now, config.hours, conversation.language or "en")
    return realtime.notice("handoff", text)
