"""Follows, re-follows and unfollows per day (Asia/Tokyo) from the webhook's anonymous ledger.

Counted in SQL, grouped by the Tokyo calendar day, over a bounded window, so the report stays
fast with millions of ledger rows (the `occurred_at` index bounds the scan).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, cast, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.models import FriendEvent, FriendEventDay, FriendEventKind

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


# Days are rolled up once they are this old: events reach the ledger with LINE's timestamp,
# and a redelivered or backlogged event may arrive a while after it happened.
ROLLUP_LAG_DAYS = 2


def rolled_through(session: Session) -> date | None:
    """The last day counted in `friend_event_days` (None: nothing rolled up yet)."""
    return session.scalar(select(func.max(FriendEventDay.day)))


def rollup(session: Session, today: date) -> int:
    """Count the closed days (up to `today` − ROLLUP_LAG_DAYS) not yet in
    `friend_event_days`; how many days were added. Idempotent (the scheduler job runs it)."""
    last = today - timedelta(days=ROLLUP_LAG_DAYS)
    done = rolled_through(session)
    if done is None:
        oldest = session.scalar(select(func.min(FriendEvent.occurred_at)))
        if oldest is None:
            return 0
        first = oldest.astimezone(TOKYO).date() if oldest.tzinfo else _naive_day(oldest)
    else:
        first = done + timedelta(days=1)
    if first > last:
        return 0
    days = by_day(session, first, last)
    rows = [
        {"day": d.day, "kind": kind.value, "count": n}
        for d in days
        for kind, n in (
            (FriendEventKind.FOLLOW, d.follows),
            (FriendEventKind.REFOLLOW, d.refollows),
            (FriendEventKind.UNFOLLOW, d.unfollows),
        )
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(FriendEventDay).values(rows).on_conflict_do_nothing())
    return len(days)


def _naive_day(value: datetime) -> date:
    return value.replace(tzinfo=UTC).astimezone(TOKYO).date()


def totals(session: Session) -> dict[str, int]:
    """All-time counts per kind (follow, refollow, unfollow): the rolled-up days plus the
    rows since (an index range per kind), so the cost does not grow with the history."""
    done = rolled_through(session)
    found: dict[str, int] = {}
    since = None
    if done is not None:
        rows = session.execute(
            select(FriendEventDay.kind, func.sum(FriendEventDay.count)).group_by(
                FriendEventDay.kind
            )
        ).all()
        found = {k: int(n or 0) for k, n in rows}
        since = _start_of(done + timedelta(days=1))
    result = {}
    for kind in FriendEventKind:
        query = select(func.count()).where(FriendEvent.kind == kind.value)
        if since is not None:
            query = query.where(FriendEvent.occurred_at >= since)
        result[kind.value] = found.get(kind.value, 0) + int(session.scalar(query) or 0)
    return result
