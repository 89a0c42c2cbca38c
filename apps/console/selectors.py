"""Reads for the agent console: the live queue, a conversation's transcript and its context."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import (
    Case,
    Count,
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
from apps.conversations.models import Conversation, Message, Sentiment

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# The queue's filters, in the order the page shows them.
QUEUE_FILTERS = {
    "waiting": "Waiting for a person",
    "negative": "Negative",
    "mine": "Mine",
    "all": "All",
}
QUEUE_PAGE_SIZE = 50
MAX_PAGE = 10_000  # far past any queue; bounds the OFFSET a client can ask for
OPEN_STATUSES = (
    Conversation.Status.AI,
    Conversation.Status.WAITING_HUMAN,
    Conversation.Status.HUMAN,
)
User = AbstractBaseUser | AnonymousUser
# A change in score smaller than this between two customer messages reads as "steady".
TREND_EPSILON = 0.15


class _QueueAnnotations(TypedDict):
    waited_from: datetime
    mood: float | None
    last_score: float | None
    previous_score: float | None


def _open_queue() -> QuerySet[Conversation]:
    """Open conversations, less the AI ones without a single customer message (page views)."""
    customer_messages = Message.objects.filter(
        conversation=OuterRef("pk"), role=Message.Role.CUSTOMER
    )
    return Conversation.objects.filter(status__in=OPEN_STATUSES).filter(
        ~Q(status=Conversation.Status.AI) | Exists(customer_messages)
    )


def _in_filter(name: str, user: User) -> Q:
    """The conversations a filter shows (``QUEUE_FILTERS``)."""
    if name == "waiting":
        return Q(status=Conversation.Status.WAITING_HUMAN)
    if name == "negative":
        return Q(sentiment=Sentiment.NEGATIVE)
    if name == "mine":
        # Nobody's "mine" is the unassigned: a user without an id has none.
        return Q(assigned_agent_id=user.pk) if user.pk is not None else Q(pk__in=[])
    return Q()


def queue_conversations(
    *, filter: str, user: User
) -> QuerySet[WithAnnotations[Conversation, _QueueAnnotations]]:
    """Open conversations in ``filter``, most urgent first.

    Waiting for a human first; then the longest wait (since ``waiting_since``, else since
    the customer's last message); then the most negative last sentiment.
    """
    customer_messages = Message.objects.filter(
        conversation=OuterRef("pk"), role=Message.Role.CUSTOMER
    ).order_by("-id")
    return (
        _open_queue()
        .filter(_in_filter(filter, user))
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
        )
    )


def queue_counts(user: User) -> dict[str, int]:
    """How many open conversations each filter shows, in one query."""
    return _open_queue().aggregate(
        **{name: Count("id", filter=_in_filter(name, user)) for name in QUEUE_FILTERS}
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
    return list(conversation.messages.select_related("author", "conversation__csat").order_by("id"))


def console_message(message_id: int) -> Message:
    return Message.objects.select_related("author", "conversation__csat").get(id=message_id)


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


class InvalidQueueView(ValueError):
    """A filter or page the queue does not have; the message says which, for the agent."""


@dataclass(frozen=True)
class QueueView:
    """What one agent's queue page shows: a filter and a page of it."""

    filter: str = "all"
    page: int = 1

    @property
    def query(self) -> str:
        return urlencode({"filter": self.filter, "page": self.page})


def queue_view(params: Mapping[str, str]) -> QueueView:
    """The view named by a request's (or a socket's) query parameters."""
    name = params.get("filter") or "all"
    if name not in QUEUE_FILTERS:
        raise InvalidQueueView(
            f"Unknown filter {name[:40]!r}: use one of {', '.join(QUEUE_FILTERS)}."
        )
    page = params.get("page") or "1"
    if not page.isdigit() or not 0 < int(page) <= MAX_PAGE:
        raise InvalidQueueView(f"Page must be a whole number from 1 to {MAX_PAGE}.")
    return QueueView(filter=name, page=int(page))


@dataclass(frozen=True)
class QueueFilterTab:
    name: str
    label: str
    count: int
    current: bool


@dataclass(frozen=True)
class QueuePage:
    view: QueueView  # the page actually shown: past the last page, the last
    rows: list[QueueRow]
    filters: list[QueueFilterTab]
    pages: int
    total: int

    @property
    def previous(self) -> QueueView | None:
        return QueueView(self.view.filter, self.view.page - 1) if self.view.page > 1 else None

    @property
    def next(self) -> QueueView | None:
        if self.view.page >= self.pages:
            return None
        return QueueView(self.view.filter, self.view.page + 1)


def queue_page(view: QueueView, user: User) -> QueuePage:
    """One page of the queue with the count of every filter. A page past the end (the queue
    shrank under the agent) shows the last one."""
    counts = queue_counts(user)
    total = counts[view.filter]
    pages = max(1, -(-total // QUEUE_PAGE_SIZE))
    shown = QueueView(view.filter, min(view.page, pages))
    start = (shown.page - 1) * QUEUE_PAGE_SIZE
    conversations = queue_conversations(filter=view.filter, user=user)[
        start : start + QUEUE_PAGE_SIZE
    ]
    return QueuePage(
        view=shown,
        rows=[_queue_row(c) for c in conversations],
        filters=[
            QueueFilterTab(name, label, counts[name], name == view.filter)
            for name, label in QUEUE_FILTERS.items()
        ],
        pages=pages,
        total=total,
    )


def _queue_row(c: WithAnnotations[Conversation, _QueueAnnotations]) -> QueueRow:
    return QueueRow(
        conversation=c,
        waited_from=c.waited_from,
        last_score=c.mood,
        trend=sentiment_trend(c.last_score, c.previous_score),
    )
