"""When a broadcast is due: now, once, or repeating weekly/monthly at a Tokyo wall-clock time."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta

from bot.broadcasts.models import Repeat
from bot.scheduler import TZ


def first_weekly(now: datetime, weekday: int, at: time) -> datetime:
    """The next `weekday` (0 = Monday) at `at` Tokyo time, strictly after `now`."""
    local = now.astimezone(TZ)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    candidate = datetime.combine(day, at, TZ)
    if candidate <= local:
        candidate = datetime.combine(day + timedelta(days=7), at, TZ)
    return candidate.astimezone(UTC)


def first_monthly(now: datetime, monthday: int, at: time) -> datetime:
    """The next `monthday` (1–28, so every month has it) at `at` Tokyo time, after `now`."""
    local = now.astimezone(TZ)
    candidate = datetime.combine(date(local.year, local.month, monthday), at, TZ)
    if candidate <= local:
        candidate = _add_month(candidate)
    return candidate.astimezone(UTC)


def _add_month(moment: datetime) -> datetime:
    """Same day next month; a day the month lacks (31st) becomes its last day."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def following(send_at: datetime, repeat: str) -> datetime | None:
    """The occurrence after `send_at` (same Tokyo wall-clock time), None for a single one."""
    local = send_at.astimezone(TZ)
    if repeat == Repeat.WEEKLY:
        nxt = datetime.combine(local.date() + timedelta(days=7), local.timetz())
    elif repeat == Repeat.MONTHLY:
        nxt = _add_month(local)
    else:
        return None
    return nxt.astimezone(UTC)
