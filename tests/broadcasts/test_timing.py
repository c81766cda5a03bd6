"""Repeating broadcasts keep their Tokyo wall-clock time (weekly, monthly, month ends)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from bot.broadcasts.timing import first_monthly, first_weekly, following
from bot.scheduler import TZ


def tokyo(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_first_weekly_is_the_next_such_weekday_in_tokyo():
    now = tokyo(2026, 12, 2, 10, 0).astimezone(UTC)  # a Wednesday, 10:00 in Tokyo
    assert first_weekly(now, 0, time(9, 0)) == tokyo(2026, 12, 7, 9, 0)  # next Monday
    assert first_weekly(now, 2, time(11, 0)) == tokyo(2026, 12, 2, 11, 0)  # later today
    assert first_weekly(now, 2, time(9, 0)) == tokyo(2026, 12, 9, 9, 0)  # today has passed


def test_first_monthly_and_the_following_months():
    now = tokyo(2026, 12, 20, 8, 0).astimezone(UTC)
    first = first_monthly(now, 5, time(9, 30))
    assert first == tokyo(2027, 1, 5, 9, 30)
    assert following(first, "monthly") == tokyo(2027, 2, 5, 9, 30)
    assert following(tokyo(2027, 1, 31, 9, 0), "monthly") == tokyo(2027, 2, 28, 9, 0)
    assert following(first, "weekly") == tokyo(2027, 1, 12, 9, 30)
    assert following(first, "once") is None
