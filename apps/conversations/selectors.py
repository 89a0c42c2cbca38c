"""Reads of conversations and messages."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from django.db.models import Avg, Count, Exists, Max, OuterRef, Q, QuerySet

from apps.conversations.models import Conversation, Csat, Message
from apps.conversations.protocol import CSAT_MAX, CSAT_MIN
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
    # Two columns, not whole rows: at the edge of a surge this runs for every message, and
    # building model instances (their JSON fields decoded) was most of its cost.
    rows = (
        Message.objects.filter(
            conversation_id=reply.conversation_id, id__lt=reply.id, role__in=list(_PROMPT_ROLES)
        )
        .order_by("id")
        .values_list("role", "text")
    )
    return turns_of(rows)


class Earlier(NamedTuple):
    """A customer or AI message before a new customer message, as ``message_post`` needs it."""

    id: int
    role: str
    text: str
    client_msg_id: uuid.UUID | None
    sentiment: str
    sentiment_score: float | None


def earlier_messages(conversation: Conversation) -> list[Earlier]:
    """The conversation's customer and AI messages, oldest first, in one read: what a new
    customer message is checked against (a resend, the escalation rule) and what its reply's
    prompt holds (``turns_of``). Reads the lock holder's view when called under its lock."""
    rows = (
        Message.objects.filter(conversation_id=conversation.id, role__in=list(_PROMPT_ROLES))
        .order_by("id")
        .values_list(*Earlier._fields)
    )
    return [Earlier(*row) for row in rows]


def turns_of(messages: Iterable[tuple[str, str]]) -> list[Turn]:
    """The prompt's turns among customer and AI ``(role, text)`` pairs: those with text."""
    return [Turn(role=_PROMPT_ROLES[role], text=text) for role, text in messages if text]


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


def idle_unasked_conversations(cutoff: datetime) -> QuerySet[Conversation]:
    """AI conversations never asked for a rating, where the customer wrote, no reply is in
    flight, and nothing was written since ``cutoff``."""
    in_flight = Message.objects.filter(
        conversation=OuterRef("pk"),
        status__in=[Message.Status.PENDING, Message.Status.STREAMING],
    )
    return (
        Conversation.objects.filter(status=Conversation.Status.AI, csat__isnull=True)
        .exclude(Exists(in_flight))
        .annotate(
            last_write=Max("messages__updated_at"),
            customer_messages=Count("messages", filter=Q(messages__role=Message.Role.CUSTOMER)),
        )
        .filter(last_write__lt=cutoff, customer_messages__gt=0)
        .order_by("last_write")
    )


def latest_csat_for_session(session_key: str) -> Csat | None:
    """The latest rating request of the session's conversations (the one a rating answers)."""
    return (
        Csat.objects.filter(conversation__session_key=session_key)
        .select_related("conversation")
        .order_by("-requested_at", "-id")
        .first()
    )


def customer_wrote_since(session_key: str, since: datetime) -> bool:
    return Message.objects.filter(
        conversation__session_key=session_key,
        role=Message.Role.CUSTOMER,
        created_at__gt=since,
    ).exists()


@dataclass(frozen=True)
class CsatSummary:
    average: float | None  # None when nobody rated
    count: int
    distribution: dict[int, int]  # rating -> how many, every rating of the scale listed


def csat_summary(start: datetime, end: datetime) -> CsatSummary:
    """Ratings given in ``[start, end)``: their average, count and distribution."""
    rated = Csat.objects.filter(rated_at__gte=start, rated_at__lt=end, rating__isnull=False)
    totals = rated.aggregate(average=Avg("rating"), count=Count("id"))
    counts = dict(rated.values_list("rating").annotate(n=Count("id")).order_by())
    return CsatSummary(
        average=totals["average"],
        count=totals["count"],
        distribution={rating: counts.get(rating, 0) for rating in range(CSAT_MIN, CSAT_MAX + 1)},
    )
