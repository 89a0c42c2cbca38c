"""Reads of conversations and messages."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models import QuerySet

from apps.conversations.models import Conversation, Message
from apps.inference.prompts import Turn

_PROMPT_ROLES: dict[str, Literal["user", "assistant"]] = {
    Message.Role.CUSTOMER: "user",
    Message.Role.ASSISTANT: "assistant",
}


def open_conversation_for_session(session_key: str) -> Conversation | None:
    return (
        Conversation.objects.filter(session_key=session_key)
        .exclude(status=Conversation.Status.CLOSED)
        .first()
    )


def conversation_transcript(conversation: Conversation) -> list[Message]:
    return list(conversation.messages.exclude(role=Message.Role.SYSTEM).order_by("id"))


def history_for_reply(reply: Message) -> list[Turn]:
    """The turns a model sees when writing ``reply``: everything before it with text."""
    messages = (
        reply.conversation.messages.filter(id__lt=reply.id, role__in=list(_PROMPT_ROLES))
        .exclude(text="")
        .order_by("id")
    )
    return [Turn(role=_PROMPT_ROLES[m.role], text=m.text) for m in messages]


_SERVER_ROLES = [Message.Role.ASSISTANT, Message.Role.AGENT]


def messages_to_replay(conversation: Conversation, *, message_id: int | None) -> list[Message]:
    """Server-written messages a reconnecting client may have missed, oldest first."""
    messages = conversation.messages.filter(role__in=_SERVER_ROLES)
    if message_id is not None:
        return list(messages.filter(id__gte=message_id).order_by("id"))
    latest = messages.order_by("-id").first()
    return [latest] if latest is not None else []


def messages_changed_since(conversation: Conversation, since: datetime) -> list[Message]:
    """Server-written messages created or written to at or after ``since``, oldest first."""
    messages = conversation.messages.filter(role__in=_SERVER_ROLES, updated_at__gte=since)
    return list(messages.order_by("id"))


def replies_in(status: str) -> QuerySet[Message]:
    """AI replies in ``status`` (pending: queued for a worker; streaming: being written)."""
    return Message.objects.filter(status=status, role=Message.Role.ASSISTANT)


def replies_waiting() -> int:
    """Replies no worker has started yet: the measured depth of the reply queue."""
    return replies_in(Message.Status.PENDING).count()


def replies_waiting_before(reply: Message) -> int:
    """Replies queued before ``reply`` that no worker has started yet: its place in line."""
    return replies_in(Message.Status.PENDING).filter(id__lt=reply.id).count()
