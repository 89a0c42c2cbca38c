"""The hand-off notice: a person is coming, or the team's hours and next opening."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from apps.conversations.notices import handoff_notice
from apps.ops.hours import BusinessHours

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 6) -> datetime:
    """2025-01-06 is a Monday; ``day`` picks the date in January 2025, Shanghai time."""
    return datetime(2025, 1, day, hour, minute, tzinfo=SHANGHAI)


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
