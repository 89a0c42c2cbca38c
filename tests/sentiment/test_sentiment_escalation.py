"""Escalation rules and business hours. Pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from apps.sentiment.escalation import (
    BusinessHours,
    EscalationPolicy,
    asks_for_human,
    escalation_reason,
    handoff_notice,
)
from apps.sentiment.tagger import tag

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "text",
    [
        "转人工",
        "人工客服在吗",
        "我要找真人",
        "人工人工!",
        "叫你们经理出来",
        "不要机器人了,换个人回答",
        "我要投诉",
        "轉人工",
        "talk to a person",
        "Can I speak to someone?",
        "I want a real person",
        "representative",
        "Let me talk to your manager",
        "please connect me to a human agent",
        "human please",
        "Are you a bot? I want a human",
        "is there a human I can talk to?",
        "I want to file a complaint",
    ],
)
def test_asks_for_human(text: str) -> None:
    assert asks_for_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "你是真人吗",
        "是人工客服吗?",
        "不用转人工了,谢谢",
        "Are you human?",
        "am I talking to a bot?",
        "no need for a human, thanks",
        "退款多久到账",
        "I'll talk to my husband first",
        "Hi, is anyone there?",
        "人工智能真厉害",
        "where is my refund",
    ],
)
def test_does_not_ask_for_human(text: str) -> None:
    assert not asks_for_human(text)


def history(*texts: str) -> list[tuple[str, float]]:
    return [(r.label, r.score) for r in map(tag, texts)]


def test_explicit_request_wins_even_when_calm() -> None:
    recent = history("我想转人工")
    assert escalation_reason(text="我想转人工", recent_labels_scores=recent) == "asked_for_human"
    assert (
        escalation_reason(text="talk to a human", recent_labels_scores=history("talk to a human"))
        == "asked_for_human"
    )


@pytest.mark.parametrize(
    "messages",
    [
        ("退款怎么还没到", "都一周了还没发货"),
        ("My order still hasn't shipped.", "Still no update on my refund."),
    ],
)
def test_negative_streak(messages: tuple[str, str]) -> None:
    recent = history(*messages)
    assert all(label == "negative" for label, _ in recent)
    assert all(score > -0.75 for _, score in recent)  # each alone is not a strong negative
    assert escalation_reason(text=messages[-1], recent_labels_scores=recent) == "negative_streak"
    # One negative after a neutral one is not a streak.
    calm = history("How do I get a refund?", messages[-1])
    assert escalation_reason(text=messages[-1], recent_labels_scores=calm) is None


@pytest.mark.parametrize(
    "text", ["垃圾服务,气死我了,我要去12315!!!😡", "This is the worst service ever!!! 😡"]
)
def test_strong_negative_alone_escalates(text: str) -> None:
    recent = history("你好", text) if "垃圾" in text else history("Hello", text)
    assert recent[-1][1] <= -0.75
    assert escalation_reason(text=text, recent_labels_scores=recent) == "strong_negative"


def test_policy_is_configurable_and_validated() -> None:
    recent = [("negative", -0.3), ("negative", -0.4), ("negative", -0.5)]
    assert escalation_reason(text="x", recent_labels_scores=recent) == "negative_streak"
    strict = EscalationPolicy(negative_streak=4, strong_negative_score=-0.45)
    assert escalation_reason(text="x", recent_labels_scores=recent, policy=strict) == (
        "strong_negative"
    )
    lenient = EscalationPolicy(negative_streak=4, strong_negative_score=-0.9)
    assert escalation_reason(text="x", recent_labels_scores=recent, policy=lenient) is None
    with pytest.raises(ValueError):
        EscalationPolicy(negative_streak=0)
    with pytest.raises(ValueError):
        EscalationPolicy(strong_negative_score=0.5)


def test_no_history_only_checks_the_request() -> None:
    assert escalation_reason(text="你好", recent_labels_scores=[]) is None
    assert escalation_reason(text="转人工", recent_labels_scores=[]) == "asked_for_human"


# --------------------------------------------------------------------------- business hours


def at(hour: int, minute: int = 0, day: int = 6) -> datetime:
    """2025-01-06 is a Monday; ``day`` picks the date in January 2025, Shanghai time."""
    return datetime(2025, 1, day, hour, minute, tzinfo=SHANGHAI)


def test_default_hours_boundaries() -> None:
    hours = BusinessHours()
    assert not hours.is_open(at(8, 59))
    assert hours.is_open(at(9, 0))
    assert hours.is_open(at(20, 59))
    assert not hours.is_open(at(21, 0))
    # Any aware datetime works: 01:30 UTC is 09:30 in Shanghai.
    assert hours.is_open(datetime(2025, 1, 6, 1, 30, tzinfo=UTC))


def test_weekdays_only_and_overnight_shift() -> None:
    weekdays = BusinessHours(days=(0, 1, 2, 3, 4))
    assert weekdays.is_open(at(10, day=10))  # Friday
    assert not weekdays.is_open(at(10, day=11))  # Saturday
    night = BusinessHours(open="22:00", close="06:00", days=(0,))  # Monday night shift
    assert night.is_open(at(23, day=6))
    assert night.is_open(at(5, 59, day=7))  # still Monday's shift on Tuesday morning
    assert not night.is_open(at(6, 0, day=7))
    assert not night.is_open(at(23, day=7))


def test_invalid_hours_are_rejected() -> None:
    with pytest.raises(ValueError):
        BusinessHours(tz="Mars/Olympus")
    with pytest.raises(ValueError):
        BusinessHours(open="9am")
    with pytest.raises(ValueError):
        BusinessHours(open="09:00", close="09:00")
    with pytest.raises(ValueError):
        BusinessHours(days=(7,))
    with pytest.raises(ValueError):
        BusinessHours().is_open(datetime(2025, 1, 6, 10, 0))  # naive


def test_notice_when_open_zh_and_en() -> None:
    hours = BusinessHours()
    zh = handoff_notice(at(10), hours, "zh")
    en = handoff_notice(at(10), hours, "en")
    assert "人工客服" in zh and "不在线" not in zh
    assert "person" in en and "offline" not in en


def test_notice_when_closed_gives_hours_next_opening_and_ai_keeps_helping() -> None:
    hours = BusinessHours()
    zh = handoff_notice(at(22), hours, "zh")
    assert "不在线" in zh
    assert "09:00–21:00" in zh and "北京时间" in zh
    assert "明天 09:00" in zh
    assert "AI" in zh and "继续" in zh
    en = handoff_notice(at(22), hours, "en")
    assert "offline" in en
    assert "09:00–21:00" in en and "every day" in en
    assert "tomorrow at 09:00" in en
    assert "AI assistant" in en and "keep helping" in en


def test_notice_before_opening_says_today_and_weekend_gap_names_the_day() -> None:
    assert "今天 09:00" in handoff_notice(at(7), BusinessHours(), "zh")
    weekdays = BusinessHours(days=(0, 1, 2, 3, 4), tz="Europe/London")
    saturday = datetime(2025, 1, 11, 12, 0, tzinfo=ZoneInfo("Europe/London"))
    en = handoff_notice(saturday, weekdays, "en")
    assert "Mon–Fri" in en and "Monday at 09:00" in en and "Europe/London" in en
    assert "周一至周五" in handoff_notice(saturday, weekdays, "zh")


def test_notice_language_fallbacks() -> None:
    closed = at(23)
    assert "不在线" in handoff_notice(closed, BusinessHours(), "zh-CN")
    assert "不在线" in handoff_notice(closed, BusinessHours(), "mixed")
    assert "offline" in handoff_notice(closed, BusinessHours(), "fr")


def test_next_opening_is_never_in_the_past() -> None:
    hours = BusinessHours(days=(2,))
    start = at(12, day=9)  # Thursday
    for step in range(0, 24 * 8, 5):
        now = start + timedelta(hours=step)
        opening = hours.next_opening(now)
        assert opening >= now
        assert hours.is_open(opening)
