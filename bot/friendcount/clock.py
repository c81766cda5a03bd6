"""Days as LINE counts them: Insight statistics are per day in Asia/Tokyo (UTC+9)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo_today(now: datetime) -> date:
    """The calendar day in Tokyo at the aware instant `now`."""
    return now.astimezone(TOKYO).date()


def yesterday(now: datetime) -> date:
    """The last day whose Insight figures LINE may have finished counting."""
    return tokyo_today(now) - timedelta(days=1)


def days(start: date, end: date) -> list[date]:
    """Every day from `start` to `end`, both included."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]
