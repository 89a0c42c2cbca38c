"""What the AI achieved, per day and over a chosen range, read from Postgres.

Definitions (also on the dashboard and in the README):

- **conversations**: conversations started that day.
- **handed to a person**: a conversation that was escalated (the customer asked, or the
  sentiment rule fired) or that staff took over, whatever happened next; its reason is the
  first escalation's (``asked_for_human``, ``negative_streak``, ``strong_negative``), or
  ``staff_takeover`` when staff took it over unasked.
- **resolved by the AI**: not handed to a person, at least one AI reply written, and closed
  or idle (no message) for ``OUTCOME_IDLE_MINUTES``.
- **replies by route** and the **fallback rate**: AI replies ended that day (done or
  failed), and the share of them that fell back (``Message.fallback_reason`` set).
- **first response**: each conversation's first AI reply's ``ttft_ms``, from the reply's
  start (by a worker, or at the edge) to its first text; the wait in the queue before a
  worker took it is not in it (the dashboard plots the longest wait per minute).
- **CSAT**: ``csat_figures``.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    Exists,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.conversations.models import Conversation, Message
from apps.conversations.models import Csat as CsatRating
from apps.ops.vocabulary import Route

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

NO_RATINGS = "no ratings yet"
STAFF_TAKEOVER = "staff_takeover"
ESCALATED_PREFIX = "Escalated: "  # how ``conversation_escalate`` words its system message
HANDOFF_EVENTS = (Message.Event.ESCALATED, Message.Event.TAKEOVER)
REPLY_ROUTES = tuple(route for route in Route if route != Route.AGENT)


Period = date | None  # a day, or None for the whole range


class Percentile(Aggregate):
    """Postgres's ``percentile_cont``: the value below which ``fraction`` of rows fall."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, fraction: float) -> None:
        super().__init__(expression, fraction=float(fraction))


@dataclass(frozen=True)
class Csat:
    ratings: int
    average: float | None

    def __str__(self) -> str:
        return NO_RATINGS if not self.ratings else f"{self.average:.2f} ({self.ratings})"


@dataclass
class Outcome:
    """One day's figures, or the range's (``day`` None)."""

    day: date | None
    conversations: int = 0
    resolved_by_ai: int = 0
    handed_to_person: Counter[str] = field(default_factory=Counter)
    replies: Counter[str] = field(default_factory=Counter)
    fell_back: int = 0
    first_response_p50_ms: float | None = None
    first_response_p95_ms: float | None = None
    csat: Csat = field(default_factory=lambda: Csat(0, None))

    @property
    def handed_by_reason(self) -> list[tuple[str, int]]:
        return sorted(self.handed_to_person.items())

    @property
    def replies_by_route(self) -> list[tuple[str, int]]:
        return sorted(self.replies.items())

    @property
    def handed_total(self) -> int:
        return sum(self.handed_to_person.values())

    @property
    def replies_total(self) -> int:
        return sum(self.replies.values())

    @property
    def fallback_rate(self) -> float | None:
        total = self.replies_total
        return round(self.fell_back / total, 3) if total else None


@dataclass(frozen=True)
class OutcomeReport:
    start: date
    end: date
    days: list[Outcome]  # newest first
    total: Outcome
    handoff_reasons: list[str]  # every reason in the range, for table columns

    @property
    def total_and_days(self) -> list[Outcome]:
        return [self.total, *self.days]


def outcome_report(start: date, end: date) -> OutcomeReport:
    """The figures of each day from ``start`` to ``end`` (inclusive) and of the range."""
    days: dict[Period, Outcome] = {start + timedelta(days=n): Outcome(start + timedelta(days=n))
            for n in range((end - start).days + 1)}  # fmt: skip
    total = Outcome(None)
    since, until = _bounds(start, end)
    _fill(days, since, until, by_day=True)
    _fill({None: total}, since, until, by_day=False)
    newest_first = sorted(days.values(), key=lambda outcome: outcome.day or start, reverse=True)
    return OutcomeReport(start, end, newest_first, total, sorted(total.handed_to_person))


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    return since, datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)


def _grouped(
    queryset: QuerySet,
    *,
    by_day: bool,
    fields: tuple[str, ...] = (),
    day_field: str = "created_at",
    **aggregates: Aggregate,
) -> list[dict]:
    """``aggregates`` per day of ``day_field`` (``day`` in each row; None when not
    ``by_day``) and ``fields``."""
    if by_day:
        queryset = queryset.annotate(day=TruncDate(day_field))
        fields = ("day", *fields)
    if not fields:
        return [{"day": None, **queryset.aggregate(**aggregates)}]
    rows = queryset.order_by().values(*fields).annotate(**aggregates)
    return [row if by_day else {"day": None, **row} for row in rows]


def _fill(
    outcomes: dict[Period, Outcome], since: datetime, until: datetime, *, by_day: bool
) -> None:
    started = Conversation.objects.filter(created_at__gte=since, created_at__lt=until)
    for row in _grouped(started, by_day=by_day, n=Count("id")):
        outcomes[row["day"]].conversations = row["n"]
    for row in _grouped(_handed(started), by_day=by_day, fields=("escalation",), n=Count("id")):
        reason = (row["escalation"] or "").removeprefix(ESCALATED_PREFIX) or STAFF_TAKEOVER
        outcomes[row["day"]].handed_to_person[reason] += row["n"]
    for row in _grouped(_resolved_by_ai(started), by_day=by_day, n=Count("id")):
        outcomes[row["day"]].resolved_by_ai = row["n"]
    _fill_replies(outcomes, since, until, by_day=by_day)
    _fill_first_response(outcomes, started, by_day=by_day)
    for period, csat in csat_figures(since, until, by_day=by_day).items():
        outcomes[period].csat = csat


def _handed(started: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Conversations escalated or taken over, with their first escalation's wording."""
    events = Message.objects.filter(conversation=OuterRef("pk"), role=Message.Role.SYSTEM)
    first_escalation = events.filter(event=Message.Event.ESCALATED).order_by("id").values("text")
    return started.filter(Exists(events.filter(event__in=HANDOFF_EVENTS))).annotate(
        escalation=Subquery(first_escalation[:1])
    )


def _resolved_by_ai(started: QuerySet[Conversation]) -> QuerySet[Conversation]:
    messages = Message.objects.filter(conversation=OuterRef("pk"))
    handoffs = messages.filter(role=Message.Role.SYSTEM, event__in=HANDOFF_EVENTS)
    ai_replies = messages.filter(role=Message.Role.ASSISTANT, status=Message.Status.DONE)
    idle_since = timezone.now() - timedelta(minutes=settings.OUTCOME_IDLE_MINUTES)
    return (
        started.filter(~Exists(handoffs), Exists(ai_replies))
        .annotate(last_message_at=Subquery(messages.order_by("-id").values("created_at")[:1]))
        .filter(Q(status=Conversation.Status.CLOSED) | Q(last_message_at__lt=idle_since))
    )


def _fill_replies(
    outcomes: dict[Period, Outcome], since: datetime, until: datetime, *, by_day: bool
) -> None:
    ended = Message.objects.filter(
        role=Message.Role.ASSISTANT,
        status__in=(Message.Status.DONE, Message.Status.FAILED),
        created_at__gte=since,
        created_at__lt=until,
    )
    fell_back = Count("id", filter=~Q(fallback_reason=""))
    for row in _grouped(ended, by_day=by_day, fields=("route",), n=Count("id"), fb=fell_back):
        outcome = outcomes[row["day"]]
        outcome.replies[row["route"] or "none"] += row["n"]
        outcome.fell_back += row["fb"]


def _fill_first_response(
    outcomes: dict[Period, Outcome], started: QuerySet[Conversation], *, by_day: bool
) -> None:
    first_replies = (
        Message.objects.filter(conversation__in=started, role=Message.Role.ASSISTANT)
        .order_by("conversation_id", "id")
        .distinct("conversation_id")
        .values("id")
    )
    timed = Message.objects.filter(id__in=first_replies, ttft_ms__isnull=False)
    p50, p95 = Percentile("ttft_ms", 0.5), Percentile("ttft_ms", 0.95)
    for row in _grouped(timed, by_day=by_day, p50=p50, p95=p95):
        outcome = outcomes[row["day"]]
        outcome.first_response_p50_ms, outcome.first_response_p95_ms = row["p50"], row["p95"]


def csat_figures(since: datetime, until: datetime, *, by_day: bool) -> dict[Period, Csat]:
    """CSAT per day (or over the range): how many ratings customers gave, and their
    average; a period with none reads "no ratings yet". A request still unanswered is no
    rating."""
    given = CsatRating.objects.filter(rated_at__gte=since, rated_at__lt=until, rating__isnull=False)
    rows = _grouped(
        given, by_day=by_day, day_field="rated_at", n=Count("id"), average=Avg("rating")
    )
    return {row["day"]: Csat(row["n"], row["average"]) for row in rows if row["n"]}


def outcome_rows(report: OutcomeReport) -> Iterator[list[object]]:
    """The report as a table: a header, then the range's total, then each day."""
    reasons, routes = report.handoff_reasons, REPLY_ROUTES
    yield [
        "day", "conversations", "resolved_by_ai", "handed_to_person",
        *(f"handed:{reason}" for reason in reasons), "replies",
        *(f"replies:{route}" for route in routes), "fallback_rate",
        "first_response_p50_ms", "first_response_p95_ms", "csat_ratings", "csat_average",
    ]  # fmt: skip
    for outcome in report.total_and_days:
        yield [
            outcome.day.isoformat() if outcome.day else f"{report.start}..{report.end}",
            outcome.conversations, outcome.resolved_by_ai, outcome.handed_total,
            *(outcome.handed_to_person[reason] for reason in reasons), outcome.replies_total,
            *(outcome.replies[route] for route in routes), _blank(outcome.fallback_rate),
            _blank(outcome.first_response_p50_ms), _blank(outcome.first_response_p95_ms),
            outcome.csat.ratings, _blank(outcome.csat.average),
        ]  # fmt: skip


def _blank(value: float | None) -> object:
    return "" if value is None else round(value, 3)


def outcomes_csv(report: OutcomeReport, out: SupportsWrite[str]) -> None:
    csv.writer(out).writerows(outcome_rows(report))
