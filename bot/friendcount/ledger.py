"""Follows, re-follows and unfollows per day (Asia/Tokyo) from the webhook's anonymous ledger.

Counted in SQL, grouped by the Tokyo calendar day, over a bounded window, so the report stays
fast with millions of ledger rows (the `occurred_at` index bounds the scan).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, cast, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.models import FriendEvent, FriendEventKind

from .clock import TOKYO


@dataclass(frozen=True)
class LedgerDay:
    """One Tokyo day of the ledger."""

    day: date
    follows: int = 0
    refollows: int = 0
    unfollows: int = 0

    @property
    def net(self) -> int:
        return self.follows + self.refollows - self.unfollows


def _tokyo_day(session: Session) -> ColumnElement[date]:
    """The Tokyo calendar day of `occurred_at`, in the database's own dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(literal_column("'Asia/Tokyo'"), FriendEvent.occurred_at), Date)
    # SQLite stores UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'; Japan has no daylight saving time.
    return func.date(FriendEvent.occurred_at, "+9 hours")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, TOKYO).astimezone(UTC)


def by_day(session: Session, first: date, last: date) -> list[LedgerDay]:
    """Every day from `first` to `last` (both included, zeros where nothing happened)."""
    day_expr = _tokyo_day(session).label("day")
    rows = session.execute(
        select(day_expr, FriendEvent.kind, func.count())
        .where(
            FriendEvent.occurred_at >= _start_of(first),
            FriendEvent.occurred_at < _start_of(last + timedelta(days=1)),
        )
        .group_by(day_expr, FriendEvent.kind)
    ).all()
    counts: dict[date, dict[str, int]] = {}
    for day, kind, n in rows:
        key = day if isinstance(day, date) else date.fromisoformat(str(day))
        counts.setdefault(key, {})[kind] = n
    result = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        c = counts.get(day, {})
        result.append(
            LedgerDay(
                day,
                c.get(FriendEventKind.FOLLOW, 0),
                c.get(FriendEventKind.REFOLLOW, 0),
                c.get(FriendEventKind.UNFOLLOW, 0),
            )
        )
    return result


def between(session: Session, start: datetime, end: datetime) -> LedgerDay:
    """Totals between two instants (for the hours around a broadcast); `day` is the start's."""
    rows = session.execute(
        select(FriendEvent.kind, func.count())
        .where(FriendEvent.occurred_at >= start, FriendEvent.occurred_at < end)
        .group_by(FriendEvent.kind)
    ).all()
    c = dict(rows)
    return LedgerDay(
        start.astimezone(TOKYO).date(),
        c.get(FriendEventKind.FOLLOW, 0),
        c.get(FriendEventKind.REFOLLOW, 0),
        c.get(FriendEventKind.UNFOLLOW, 0),
    )


def totals(session: Session) -> dict[str, int]:
    """All-time counts per kind (follow, refollow, unfollow): one index-only count each."""
    return {
        k.value: int(session.scalar(select(func.count()).where(FriendEvent.kind == k.value)) or 0)
        for k in FriendEventKind
    }
