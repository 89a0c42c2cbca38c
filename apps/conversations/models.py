from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.conversations.protocol import CSAT_MAX, CSAT_MIN
from apps.ops import vocabulary


class Sentiment(models.TextChoices):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Conversation(models.Model):
    class Status(models.TextChoices):
        AI = "ai", "AI"
        WAITING_HUMAN = "waiting_human", "Waiting for a human"
        HUMAN = "human", "Human"
        CLOSED = "closed", "Closed"

    class Channel(models.TextChoices):
        WIDGET = "widget"  # the browser widget's websocket
        API = "api"  # the OpenAI-compatible HTTP API (apps.api)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WIDGET)
    # A browser's session key, or, for the API, one key's customer (``apps.api``).
    session_key = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AI)

    class EscalationReason(models.TextChoices):
        ASKED_FOR_HUMAN = "asked_for_human"
        NEGATIVE_STREAK = "negative_streak"
        STRONG_NEGATIVE = "strong_negative"

    language = models.CharField(max_length=8, blank=True, default="")
    escalation_reason = models.CharField(
        max_length=32, choices=EscalationReason.choices, blank=True, default=""
    )
    # Set when the conversation starts waiting for a human; the console sorts by it.
    waiting_since = models.DateTimeField(null=True, blank=True)
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    sentiment = models.CharField(max_length=16, choices=Sentiment.choices, blank=True, default="")
    sentiment_score = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            # One open conversation per browser session; closed ones stay for history.
            models.UniqueConstraint(
                fields=["session_key"],
                condition=~models.Q(status="closed"),
                name="one_open_conversation_per_session",
            )
        ]

    def __str__(self) -> str:
        return f"Conversation {self.uuid} ({self.status})"


class Message(models.Model):
    class Role(models.TextChoices):
        CUSTOMER = "customer"
        ASSISTANT = "assistant"
        AGENT = "agent"
        SYSTEM = "system"

    class Status(models.TextChoices):
        PENDING = "pending"
        STREAMING = "streaming"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    class Event(models.TextChoices):
        """What a system message records; system messages are for staff eyes only."""

        ESCALATED = "escalated"
        TAKEOVER = "takeover"
        HAND_BACK = "hand_back"
        CLOSED = "closed"
        NOTE = "note"
        # A notice the customer was sent, word for word (``notice_kind`` says which).
        NOTICE = "notice"

    Route = vocabulary.Route  # one vocabulary for routes: apps/ops/vocabulary.py

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    text = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DONE)
    client_msg_id = models.UUIDField(null=True, blank=True)
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    event = models.CharField(max_length=16, choices=Event.choices, blank=True, default="")
    # ``notice`` events: the kind the customer's ``notice`` carried (queued, handoff,
    # agent_joined, handed_back, closed) or ``csat`` (the rating request).
    notice_kind = models.CharField(max_length=16, blank=True, default="")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="authored_messages",
    )
    route = models.CharField(max_length=16, choices=Route.choices, blank=True, default="")
    model_name = models.CharField(max_length=200, blank=True, default="")
    fallback_reason = models.CharField(max_length=32, blank=True, default="")
    # Why the model's text was held back for an honest answer (apps.inference.policy):
    # coupon_code, amount, refund_promise, prompt_leak.
    held_reason = models.CharField(max_length=32, blank=True, default="")
    # How a model reply ended: stop (its own end), length (cut at max_tokens) or loop (it
    # repeated itself, so it was stopped after the first copy: apps.inference.loops).
    finish_reason = models.CharField(max_length=16, blank=True, default="")
    # The FAQ entries (catalog ids) a model reply's prompt carried as its references.
    grounded_on = models.JSONField(default=list, blank=True)
    sentiment = models.CharField(max_length=16, choices=Sentiment.choices, blank=True, default="")
    sentiment_score = models.FloatField(null=True, blank=True)
    ttft_ms = models.PositiveIntegerField(null=True, blank=True)
    total_ms = models.PositiveIntegerField(null=True, blank=True)
    tokens_in = models.PositiveIntegerField(null=True, blank=True)
    tokens_out = models.PositiveIntegerField(null=True, blank=True)
    # Replies only. A pending reply whose lease ran out was never taken (its task was lost):
    # the reaper queues it again. A streaming reply's lease is renewed by the worker
    # writing it; one that runs out means that worker died, and the reply is queued again.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=200, blank=True, default="")
    # Each claim by a worker is one attempt; only the current attempt may write the row.
    attempt = models.PositiveSmallIntegerField(default=0)
    # How often the reply's text was voided and written again (a failed route, a dead
    # worker): a client resuming such a reply is told to drop what it holds.
    restarts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Every write to a reply sets this, bulk updates included: a socket that lost its
    # channel layer for a while replays what changed since.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_msg_id"], name="unique_client_msg_per_conversation"
            )
        ]
        indexes = [
            # The reply queue's depth is counted on every message during a surge.
            models.Index(
                fields=["id"], condition=models.Q(status="pending"), name="pending_messages"
            ),
            # The reaper's sweep: replies in flight whose lease ran out.
            models.Index(
                fields=["lease_until"],
                condition=models.Q(status__in=["pending", "streaming"]),
                name="reply_leases",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} message {self.pk} ({self.status})"


class Csat(models.Model):
    """The customer's satisfaction rating of one conversation, asked for once."""

    class Trigger(models.TextChoices):
        CLOSED = "closed", "Closed by staff"
        IDLE = "idle", "Idle"

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="csat")
    trigger = models.CharField(max_length=8, choices=Trigger.choices)
    requested_at = models.DateTimeField(db_index=True)
    # Null until the customer answers; an answer is final (PROTOCOL.md, ``csat.submit``).
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(CSAT_MIN), MaxValueValidator(CSAT_MAX)],
    )
    comment = models.TextField(blank=True, default="")
    rated_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "CSAT rating"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True)
                | models.Q(rating__gte=CSAT_MIN, rating__lte=CSAT_MAX),
                name="csat_rating_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"CSAT {self.rating or '-'} for conversation {self.conversation_id}"
