"""Reads of the API: what a turn was answered, a conversation's messages for its key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from apps.api.models import ApiKey
from apps.conversations import notices
from apps.conversations.escalation import escalation_config, handoff_notice_for
from apps.conversations.models import Conversation, Message
from apps.conversations.staff import agent_name

# What an API client reads of a message's role: OpenAI's names where they exist.
ROLE_NAMES: dict[str, str] = {
    Message.Role.CUSTOMER: "user",
    Message.Role.ASSISTANT: "assistant",
    Message.Role.AGENT: "agent",
}


@dataclass(frozen=True)
class Answer:
    """What the desk answered one customer turn."""

    conversation: str  # the conversation's uuid
    message_id: int  # the customer's message
    reply_id: int | None  # the AI reply; None when a person has the conversation
    text: str
    route: str
    created: int
    sentiment: str
    sentiment_score: float | None
    handoff: dict[str, Any] | None
    prompt_tokens: int
    completion_tokens: int


def handoff_of(conversation: Conversation) -> dict[str, Any] | None:
    """None while the AI has the conversation; else its status and the customer's notice."""
    language = conversation.language
    if conversation.status == Conversation.Status.AI:
        return None
    agent = conversation.assigned_agent
    if conversation.status == Conversation.Status.HUMAN and agent is not None:
        text = notices.agent_joined(language, agent=agent_name(agent))
    elif conversation.status == Conversation.Status.CLOSED:
        text = notices.closed(language)
    else:
        text = handoff_notice_for(conversation, escalation_config(), timezone.now())["text"]
    return {
        "status": conversation.status,
        "reason": conversation.escalation_reason or None,
        "agent": agent_name(agent) if agent is not None else None,
        "text": text,
    }


def turn_answer(*, message_id: int, reply_id: int | None) -> Answer:
    message = Message.objects.select_related("conversation__assigned_agent").get(id=message_id)
    conversation = message.conversation
    reply = Message.objects.get(id=reply_id) if reply_id is not None else None
    handoff = handoff_of(conversation)
    if reply is not None:
        text, route, created = reply.text, reply.route, reply.created_at
    else:  # no AI reply: the customer is told who has the conversation
        text, route, created = (handoff or {}).get("text", ""), "", message.created_at
    return Answer(
        conversation=str(conversation.uuid),
        message_id=message.id,
        reply_id=reply_id,
        text=text,
        route=route,
        created=int(created.timestamp()),
        sentiment=message.sentiment,
        sentiment_score=message.sentiment_score,
        handoff=handoff,
        prompt_tokens=(reply.tokens_in or 0) if reply else 0,
        completion_tokens=(reply.tokens_out or 0) if reply else 0,
    )


def conversation_of_key(key: ApiKey, conversation_uuid: uuid.UUID) -> Conversation | None:
    return (
        Conversation.objects.select_related("assigned_agent")
        .filter(uuid=conversation_uuid, api_customer__key=key)
        .first()
    )


def messages_after(conversation: Conversation, after: int) -> list[dict[str, Any]]:
    """The conversation's customer-visible messages with an id above ``after``, oldest
    first: the customer's, the AI's finished replies and the agents'."""
    messages = (
        conversation.messages.filter(id__gt=after, role__in=list(ROLE_NAMES))
        .exclude(
            role=Message.Role.ASSISTANT,
            status__in=[Message.Status.PENDING, Message.Status.STREAMING],
        )
        .select_related("author")
        .order_by("id")
    )
    return [
        {
            "id": message.id,
            "role": ROLE_NAMES[message.role],
            "content": message.text,
            "created": int(message.created_at.timestamp()),
            "route": message.route or None,
            "agent": agent_name(message.author) if message.author else None,
        }
        for message in messages
    ]
