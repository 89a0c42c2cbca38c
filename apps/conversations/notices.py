"""What the customer reads in a ``notice``: the hand-off wording and the team's hours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from apps.ops.hours import ALL_DAYS, BusinessHours

_ZH_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_BEIJING = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"})


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
    local = hours.local(now)
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
