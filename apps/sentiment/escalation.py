"""When to hand a conversation to a person, and what to tell the customer. Pure functions.

Decisions (documented here because the tests pin them):

- An explicit request for a person escalates: 转人工, 人工客服, 找真人, "talk to a human",
  "real person", "representative", "your manager", ...
- 我要投诉 / "I want to file a complaint" also counts as asking for a person: a formal complaint
  (in China often a step towards 12315) is something the AI must not try to settle alone.
- Asking *whether* the agent is a person is not a request: 你是真人吗 / "are you a bot?"
  get an honest answer from the AI, not a hand-off. "Are you a bot? I want a human" still
  escalates, because of the second sentence.
- Declining a person is not a request: 不用转人工, "no need for a human".
- Reasons are checked in this order: asked_for_human, strong_negative (the current message
  alone is very angry), negative_streak (the last N messages were all negative).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apps.sentiment.tagger import Label, normalize

Reason = Literal["asked_for_human", "negative_streak", "strong_negative"]

# --------------------------------------------------------------------------- asks_for_human

_ZH_ASK = (
    r"转人工|人工客服|人工服务|人工坐席|接人工|找人工|要人工|叫人工|人工(?:在吗|呢|回复|处理|来)|"
    r"真人客服|找真人|要真人|叫真人|真人(?:回复|回答|服务|来)|找个?活人|要活人|"
    r"换个?(?:真)?人(?:来)?(?:回答|处理|回复|跟我说|跟我聊)?|"
    r"(?:叫|找|让|要)(?:你们)?(?:的)?(?:经理|主管|领导|负责人|店长|老板|上级)|"
    r"(?:经理|主管|负责人|店长)(?:出来|在哪|呢)|"
    r"(?:不要|别|不想)(?:跟|和)?(?:用)?(?:机器人|ai|自动回复)|"
    r"客服电话|人工电话|投诉电话|我要投诉|我想投诉|我要举报|"
    r"^(?:人工)+[!.?~ ]*$"
)
_EN_WHO = (
    r"(?:a |an |the |your |some |to |with )*(?:real |live |actual |human |proper |customer "
    r"service |support )*(?:person|human|human being|agent|representative|rep|someone|somebody|"
    r"anyone|anybody|manager|supervisor|operator|staff member|employee|team member)\b"
)
_EN_ASK = (
    r"\b(?:talk|speak|chat|get through|be connected|be transferred)(?: to| with)? " + _EN_WHO + "|"
    r"\b(?:connect|transfer|put|escalate) (?:me|this|my case)(?: through)?(?: to| with)? "
    + _EN_WHO
    + "|"
    r"\b(?:get|give|find|want|need|request|requesting) (?:me )?(?:a |an |the |your |to )?"
    r"(?:real |live |actual )?(?:human|person|agent|representative|manager|supervisor|operator)\b|"
    r"\b(?:real person|real human|live agent|live person|live chat agent|human agent|"
    r"actual human|actual person|human being|representative|customer service rep)\b|"
    r"\b(?:human|agent|operator|representative|person) please\b|"
    r"\b(?:not|no|stop|enough with|no more) (?:a |the |this |your )?(?:bot|robot|ai|chatbot|"
    r"automated)\b|"
    r"\b(?:don't|do not) want (?:a |the |this |your |to talk to a |to chat with a )?"
    r"(?:bot|robot|ai|chatbot)\b|"
    r"\b(?:is there|are there) (?:a |an |any )?(?:real |live |actual )?(?:human|person|agent|"
    r"representative|humans|people working)\b|"
    r"^(?:human|agent|representative|operator|real person)[!.? ]*$|"
    r"\b(?:file|make|lodge|raise) a (?:formal )?complaint\b|\bcomplaints department\b"
)
_ASK_RE = re.compile(f"(?:{_ZH_ASK})|(?:{_EN_ASK})")

# "Are you a bot?" is a question about the agent, not a request; removed before matching.
_IDENTITY_QUESTION = re.compile(
    r"(?:你|您|这|这边|对面)?(?:是|是不是)(?:真人|机器人|ai|人工|人工客服|真的人|活人|自动回复)"
    r"(?:吗|嘛|么|呀|啊)?|"
    r"\b(?:are you|is this|is that|am i (?:talking|chatting|speaking) (?:to|with)|"
    r"is it)(?: a| an| the)? (?:real |actual )?(?:human|person|bot|robot|ai|machine|"
    r"real person|live agent|agent)\b\??"
)
# "不用转人工" / "no need for a human": declining a person.
_DECLINE = re.compile(
    r"(?:不用|不需要|不必|无需|没必要|别|不要)(?:再)?(?:帮我)?(?:转|找|叫|要)?(?:人工|真人|客服)|"
    r"\b(?:no need|don't need|do not need|not asking|no thanks)(?: for| to)?(?: talk to| speak to)?"
    r"(?: a| an)? (?:human|person|agent|representative)\b"
)


def asks_for_human(text: str) -> bool:
    """True when the customer asks for a person (or a formal complaint), in zh or en."""
    folded = normalize(text)
    folded = _DECLINE.sub(" ", folded)
    folded = _IDENTITY_QUESTION.sub(" ", folded)
    return bool(_ASK_RE.search(folded.strip()))


# --------------------------------------------------------------------------- sentiment rules


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """``negative_streak`` consecutive negative messages, or one message scoring at or below
    ``strong_negative_score`` (tagger scale, see ``tagger.SCORE_SCALE``: -0.75 is reached by
    about a fifth of complaints, e.g. threats, 😡/!!! or several failures at once), hand the
    conversation to a person."""

    negative_streak: int = 2
    strong_negative_score: float = -0.75

    def __post_init__(self) -> None:
        if self.negative_streak < 1:
            raise ValueError("negative_streak must be at least 1")
        if not -1.0 <= self.strong_negative_score < 0.0:
            raise ValueError("strong_negative_score must be in [-1, 0)")


def escalation_reason(
    *,
    text: str,
    recent_labels_scores: Sequence[tuple[Label, float]],
    policy: EscalationPolicy | None = None,
) -> Reason | None:
    """Why to escalate now, or None.

    ``recent_labels_scores`` is (label, score) per customer message, oldest first, *including*
    the current one as the last item (the caller tags it with ``tagger.tag``)."""
    policy = policy or EscalationPolicy()
    if asks_for_human(text):
        return "asked_for_human"
    if not recent_labels_scores:
        return None
    _, current_score = recent_labels_scores[-1]
    if current_score <= policy.strong_negative_score:
        return "strong_negative"
    window = recent_labels_scores[-policy.negative_streak :]
    if len(window) == policy.negative_streak and all(lb == "negative" for lb, _ in window):
        return "negative_streak"
    return None


# --------------------------------------------------------------------------- business hours

ALL_DAYS = (0, 1, 2, 3, 4, 5, 6)  # Monday = 0, as datetime.weekday()
_ZH_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_BEIJING = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"})
_END_OF_DAY = 24 * 60


def _minutes(value: str, *, allow_24: bool) -> int:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not match:
        raise ValueError(f"time must look like HH:MM, got {value!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    total = hours * 60 + minutes
    if minutes >= 60 or total > _END_OF_DAY or (total == _END_OF_DAY and not allow_24):
        raise ValueError(f"time out of range: {value!r}")
    return total


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Staffed hours in ``tz``. ``close`` may be "24:00"; a ``close`` earlier than ``open``
    means the shift runs past midnight and belongs to the day it starts on."""

    tz: str = "Asia/Shanghai"
    open: str = "09:00"
    close: str = "21:00"
    days: tuple[int, ...] = field(default=ALL_DAYS)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc
        if self.open_minutes == self.close_minutes:
            raise ValueError('open and close are equal; use "00:00"-"24:00" for all day')
        if not self.days or any(d not in ALL_DAYS for d in self.days):
            raise ValueError("days must be weekday numbers 0 (Mon) to 6 (Sun)")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def open_minutes(self) -> int:
        return _minutes(self.open, allow_24=False)

    @property
    def close_minutes(self) -> int:
        return _minutes(self.close, allow_24=True)

    @property
    def overnight(self) -> bool:
        return self.close_minutes < self.open_minutes

    def is_open(self, now: datetime) -> bool:
        """``now`` must be timezone-aware (Django's timezone.now() is)."""
        local = _local(now, self.zone)
        minute = local.hour * 60 + local.minute
        day = local.weekday()
        if not self.overnight:
            return day in self.days and self.open_minutes <= minute < self.close_minutes
        started_today = day in self.days and minute >= self.open_minutes
        started_yesterday = (day - 1) % 7 in self.days and minute < self.close_minutes
        return started_today or started_yesterday

    def next_opening(self, now: datetime) -> datetime:
        """The next moment the team comes online (local time of ``tz``); ``now`` if open."""
        local = _local(now, self.zone)
        if self.is_open(local):
            return local
        opens_at = time(self.open_minutes // 60, self.open_minutes % 60)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            candidate = datetime.combine(day, opens_at, tzinfo=self.zone)
            if day.weekday() in self.days and candidate > local:
                return candidate
        raise AssertionError("a non-empty weekly schedule always opens within 8 days")


def _local(now: datetime, zone: ZoneInfo) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (use django.utils.timezone.now())")
    return now.astimezone(zone)


# --------------------------------------------------------------------------- hand-off notice


def _day_ranges(days: Sequence[int]) -> list[tuple[int, int]]:
    ordered = sorted(set(days))
    ranges: list[tuple[int, int]] = []
    for day in ordered:
        if ranges and day == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _days_text(days: Sequence[int], zh: bool) -> str:
    if set(days) == set(ALL_DAYS):
        return "每天" if zh else "every day"
    names = _ZH_DAYS if zh else _EN_DAYS
    parts = []
    for first, last in _day_ranges(days):
        if first == last:
            parts.append(names[first])
        else:
            parts.append(
                f"{names[first]}至{names[last]}" if zh else f"{names[first]}–{names[last]}"
            )
    return "、".join(parts) if zh else ", ".join(parts)


def _hours_text(hours: BusinessHours, zh: bool) -> str:
    close = hours.close
    if hours.overnight:
        close = f"次日 {close}" if zh else f"{close} the next day"
    zone = "北京时间" if zh and hours.tz in _BEIJING else hours.tz
    return (
        f"{_days_text(hours.days, zh)} {hours.open}–{close}({zone})"
        if zh
        else (f"{_days_text(hours.days, zh)}, {hours.open}–{close} ({zone})")
    )


def _when_text(opening: datetime, now_local: datetime, zh: bool) -> str:
    delta_days = (opening.date() - now_local.date()).days
    clock = opening.strftime("%H:%M")
    if delta_days == 0:
        return f"今天 {clock}" if zh else f"today at {clock}"
    if delta_days == 1:
        return f"明天 {clock}" if zh else f"tomorrow at {clock}"
    weekday = opening.weekday()
    return f"{_ZH_DAYS[weekday]} {clock}" if zh else f"{_EN_DAY_NAMES[weekday]} at {clock}"


def handoff_notice(now: datetime, hours: BusinessHours, lang: str) -> str:
    """What the customer reads when we escalate. ``lang`` "zh" (or "zh-*", "mixed") → Chinese,
    anything else → English. Says plainly whether a person is coming now; when the team is
    offline, gives the hours and the next opening, and that the AI keeps helping meanwhile."""
    zh = lang.lower().startswith("zh") or lang.lower() == "mixed"
    if hours.is_open(now):
        if zh:
            return "已为您通知人工客服,请稍候,客服接入后会在这里直接回复您。"
        return (
            "I've asked a member of our team to join this chat. Please hold on; a person "
            "will reply here as soon as they are free."
        )
    local = _local(now, hours.zone)
    when = _when_text(hours.next_opening(now), local, zh)
    schedule = _hours_text(hours, zh)
    if zh:
        return (
            f"人工客服目前不在线,服务时间为{schedule},下次上线时间:{when}。"
            "在此之前我(AI 助手)会继续为您处理,您也可以先把问题详细留在这里。"
        )
    return (
        f"Our team is offline right now. Their hours are {schedule}; they are next online "
        f"{when}. Until then I (the AI assistant) will keep helping you here, and you can "
        "leave the details of your issue in this chat."
    )
