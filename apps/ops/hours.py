"""The staff's business hours: when a person can answer. A plain value, no database.

Ops set them with the routing flags (``RoutingFlags.business_hours``); the hand-off notice
words them for the customer (``apps.conversations.notices``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ALL_DAYS = (0, 1, 2, 3, 4, 5, 6)  # Monday = 0, as datetime.weekday()
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

    def local(self, now: datetime) -> datetime:
        """``now`` in ``tz``; it must be timezone-aware (Django's timezone.now() is)."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware (use django.utils.timezone.now())")
        return now.astimezone(self.zone)

    def is_open(self, now: datetime) -> bool:
        local = self.local(now)
        minute = local.hour * 60 + local.minute
        day = local.weekday()
        if not self.overnight:
            return day in self.days and self.open_minutes <= minute < self.close_minutes
        started_today = day in self.days and minute >= self.open_minutes
        started_yesterday = (day - 1) % 7 in self.days and minute < self.close_minutes
        return started_today or started_yesterday

    def next_opening(self, now: datetime) -> datetime:
        """The next moment the team comes online (local time of ``tz``); ``now`` if open."""
        local = self.local(now)
        if self.is_open(local):
            return local
        opens_at = time(self.open_minutes // 60, self.open_minutes % 60)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            candidate = datetime.combine(day, opens_at, tzinfo=self.zone)
            if day.weekday() in self.days and candidate > local:
                return candidate
        raise AssertionError("a non-empty weekly schedule always opens within 8 days")
