"""Routing flags: one row that ops edit live; every change is kept by django-simple-history."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from apps.ops.hours import BusinessHours
from apps.ops.vocabulary import MODEL_ROUTES, Mode, Route

MAX_KEYWORDS = 50
MAX_KEYWORD_CHARS = 40

DEFAULT_LOCAL_KEYWORDS = (
    "stock, price, shipping, delivery, size, 库存, 价格, 发货, 快递, 尺码, 运费"
)
DEFAULT_CLOUD_KEYWORDS = (
    "complaint, refund, broken, damaged, terrible, angry, 投诉, 退款, 坏了, 破损, 差评, 生气"
)


def split_keywords(raw: str) -> tuple[str, ...]:
    """Comma- or newline-separated keywords, trimmed and lower-cased, empties dropped."""
    parts = raw.replace("\n", ",").replace(",", ",").split(",")
    return tuple(p.strip().lower() for p in parts if p.strip())


def validate_keywords(raw: str) -> None:
    words = split_keywords(raw)
    if len(words) > MAX_KEYWORDS:
        raise ValidationError(f"At most {MAX_KEYWORDS} keywords; got {len(words)}.")
    too_long = [w for w in words if len(w) > MAX_KEYWORD_CHARS]
    if too_long:
        raise ValidationError(
            f"Each keyword must be at most {MAX_KEYWORD_CHARS} characters: {too_long[0][:50]!r}."
        )


def _range(low: int, high: int) -> list:
    return [MinValueValidator(low), MaxValueValidator(high)]


class RoutingFlags(models.Model):
    """The single row (pk=1) of live routing settings. Read through ``apps.ops.flags``."""

    # Ops pick which model goes first; the labels are the route vocabulary's.
    BACKEND_CHOICES = [(route.value, route.label) for route in MODEL_ROUTES]

    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.AUTO)
    kill_local = models.BooleanField("kill local", default=False)
    kill_cloud = models.BooleanField("kill cloud", default=False)
    kill_faq = models.BooleanField("kill FAQ", default=False)
    default_backend = models.CharField(
        max_length=8, choices=BACKEND_CHOICES, default=Route.LOCAL,
        help_text="Model tried first when no rule matches.",
    )  # fmt: skip
    local_keywords = models.TextField(
        blank=True, default=DEFAULT_LOCAL_KEYWORDS, validators=[validate_keywords],
        help_text="Comma-separated. A message with one of these goes to the local model first.",
    )  # fmt: skip
    cloud_keywords = models.TextField(
        blank=True, default=DEFAULT_CLOUD_KEYWORDS, validators=[validate_keywords],
        help_text="Complaint cues. With enough customer turns, the cloud model goes first.",
    )  # fmt: skip
    complaint_min_turns = models.PositiveIntegerField(
        default=2, validators=_range(1, 50),
        help_text="Customer turns (including this one) before a complaint goes to the cloud.",
    )  # fmt: skip
    long_message_chars = models.PositiveIntegerField(
        default=280, validators=_range(20, 10000),
        help_text="Messages at least this long go to the cloud model first.",
    )  # fmt: skip
    max_tokens = models.PositiveIntegerField(default=160, validators=_range(16, 4096))
    ttft_deadline_ms = models.PositiveIntegerField(
        "TTFT deadline (ms)", default=3000, validators=_range(50, 60000)
    )
    total_deadline_ms = models.PositiveIntegerField(
        "total deadline (ms)", default=20000, validators=_range(100, 300000)
    )
    surge_queue_depth = models.PositiveIntegerField(
        default=16, validators=_range(0, 100000),
        help_text="With this many replies waiting for a worker, a confident FAQ answer goes "
        "first (0 = off).",
    )  # fmt: skip
    admission_control = models.BooleanField(
        default=True,
        help_text="When the line of replies is too long for a new one to start within its "
        "first-token deadline, answer at once from the FAQ when it is sure, or tell the "
        "customer their place and the wait. Off: every message waits for a worker.",
    )
    escalation_negative_streak = models.PositiveIntegerField(
        default=2, validators=_range(1, 20),
        help_text="Negative customer messages in a row that hand the conversation to a person.",
    )  # fmt: skip
    escalation_strong_negative = models.FloatField(
        default=-0.75, validators=[MinValueValidator(-1.0), MaxValueValidator(-0.05)],
        help_text="One message scoring at or below this (-1 … 0) hands it over at once.",
    )  # fmt: skip
    ai_helps_while_waiting = models.BooleanField(
        default=True, help_text="Keep answering with the AI while a conversation waits for staff."
    )
    business_tz = models.CharField("business time zone", max_length=64, default="Asia/Shanghai")
    business_open = models.CharField("staff online from", max_length=5, default="09:00")
    business_close = models.CharField(
        "staff online until", max_length=5, default="21:00", help_text='HH:MM; "24:00" allowed.'
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "routing flags"
        verbose_name_plural = "routing flags"

    def __str__(self) -> str:
        return f"Routing flags ({self.mode})"

    def business_hours(self) -> BusinessHours:
        return BusinessHours(
            tz=self.business_tz, open=self.business_open, close=self.business_close
        )

    def clean(self) -> None:
        try:
            self.business_hours()
        except ValueError as exc:
            raise ValidationError({"business_close": f"Business hours are invalid: {exc}"}) from exc
        if (
            self.ttft_deadline_ms is not None
            and self.total_deadline_ms is not None
            and self.ttft_deadline_ms >= self.total_deadline_ms
        ):
            raise ValidationError(
                {"total_deadline_ms": "The total deadline must be longer than the TTFT deadline."}
            )
