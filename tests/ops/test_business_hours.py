"""Business hours: open, closed, overnight shifts, next opening. Pure values, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from apps.ops.hours import BusinessHours

SHANGHAI = ZoneInfo("Asia/Shanghai")


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


def test_next_opening_is_never_in_the_past() -> None:
    hours = BusinessHours(days=(2,))
    start = at(12, day=9)  # Thursday
    for step in range(0, 24 * 8, 5):
        now = start + timedelta(hours=step)
        opening = hours.next_opening(now)
        assert opening >= now
        assert hours.is_open(opening)
