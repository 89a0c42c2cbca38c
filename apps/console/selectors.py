"""Reads for the agent console: the live queue, a conversation's transcript and its context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from apps.console.models import CannedResponse
from apps.conversations.models import Conversation, Message

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

OPEN_STATUSES = (
    Conversation.Status.AI,
    Conversation.Status.WAITING_HUMAN,
    Conversation.Status.HUMAN,
)
# A change in score smaller than this between two customer messages reads as "steady".
TREND_EPSILON = 0.15


class _QueueAnnotations(TypedDict):
    waited_from: datetime
    mood: float | None
    last_score: float | None
    previous_score: float | None


def queue_conversations(
    *, limit: int = 200
) -> QuerySet[WithAnnotations[Conversation, _QueueAnnotations]]:
    """Open conversations, most urgent first.

    Waiting for a human first; then the longest wait (since ``waiting_since``, else since
    the customer's last message); then the most negative last sentiment. Conversations
    still with the AI and without a single customer message (a page view) are left out.
    """
    customer_messages = Message.objects.filter(
        conversation=OuterRef("pk"), role=Message.Role.CUSTOMER
    ).order_by("-id")
    return (
        Conversation.objects.filter(status__in=OPEN_STATUSES)
        .filter(~Q(status=Conversation.Status.AI) | Exists(customer_messages))
        .select_related("assigned_agent")
        .annotate(
            last_customer_at=Subquery(customer_messages.values("created_at")[:1]),
            last_score=Subquery(customer_messages.values("sentiment_score")[:1]),
            previous_score=Subquery(customer_messages.values("sentiment_score")[1:2]),
            waited_from=Coalesce("waiting_since", "last_customer_at", "created_at"),
            mood=Coalesce("last_score", "sentiment_score"),
            waiting_rank=Case(
                When(status=Conversation.Status.WAITING_HUMAN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by(
            "waiting_rank",
            F("waited_from").asc(nulls_last=True),
            F("mood").asc(nulls_last=True),
            "id",
        )[:limit]
    )


def sentiment_trend(last: float | None, previous: float | None) -> str:
    """``worsening``, ``improving``, ``steady``, or "" when there is nothing to compare."""
    if last is None or previous is None:
        return ""
    if last - previous <= -TREND_EPSILON:
        return "worsening"
    if last - previous >= TREND_EPSILON:
        return "improving"
    return "steady"


def console_conversation(conversation_id: int) -> Conversation:
    return Conversation.objects.select_related("assigned_agent").get(id=conversation_id)


def console_transcript(conversation: Conversation) -> list[Message]:
    """Every message, staff-only ones included, oldest first."""
    return list(conversation.messages.select_related("author").order_by("id"))


def console_message(message_id: int) -> Message:
    return Message.objects.select_related("author").get(id=message_id)


@dataclass(frozen=True)
class HandoffContext:
    first_question: str
    sentiment_scores: list[float]
    trend: str
    ai_replies: int
    last_ai_reply: Message | None
    routes_tried: list[str]
    fallback_reasons: list[str]
    escalation_reason: str
    waiting_since: datetime | None


def handoff_context(conversation: Conversation, transcript: list[Message]) -> HandoffContext:
    """What an agent needs before typing: the ask, the mood, what the AI did, and why."""
    customer = [m for m in transcript if m.role == Message.Role.CUSTOMER]
    replies = [m for m in transcript if m.role == Message.Role.ASSISTANT]
    scores = [m.sentiment_score for m in customer if m.sentiment_score is not None]
    return HandoffContext(
        first_question=customer[0].text if customer else "",
        sentiment_scores=scores[-5:],
        trend=sentiment_trend(scores[-1], scores[-2]) if len(scores) >= 2 else "",
        ai_replies=len(replies),
        last_ai_reply=replies[-1] if replies else None,
        routes_tried=sorted({m.route for m in replies if m.route}),
        fallback_reasons=sorted({m.fallback_reason for m in replies if m.fallback_reason}),
        escalation_reason=conversation.get_escalation_reason_display()
        if conversation.escalation_reason
        else "",
        waiting_since=conversation.waiting_since,
    )


def canned_responses(language: str) -> list[CannedResponse]:
    """Enabled canned responses: the conversation's language first, then any-language ones."""
    responses = CannedResponse.objects.filter(enabled=True).filter(
        Q(language="") | Q(language=language)
    )
    return sorted(responses, key=lambda r: (r.language != language, r.title))


@dataclass(frozen=True)
class QueueRow:
    conversation: Conversation
    waited_from: datetime
    last_score: float | None
    trend: str


def queue_rows() -> list[QueueRow]:
    return [
        QueueRow(
            conversation=c,
            waited_from=c.waited_from,
            last_score=c.mood,
            trend=sentiment_trend(c.last_score, c.previous_score),
        )
        for c in queue_conversations()
    ]
