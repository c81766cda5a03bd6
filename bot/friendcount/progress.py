"""Read the database into a report: snapshots, the ledger's recent days, broadcasts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import FollowerSnapshot

from . import ledger
from .clock import tokyo_today
from .report import LEDGER_WINDOW_DAYS, Broadcast, Report, Snapshot, build
from .targets import Targets

# Hours of ledger compared before and after each broadcast.
AROUND_BROADCAST_HOURS = 24

# Where broadcasts come from: a function returning (sent_at, label) pairs since a day.
# Empty until a feature that sends broadcasts registers one (see register_broadcast_source).
BroadcastSource = Callable[[Session, datetime], Sequence[tuple[datetime, str]]]
_broadcast_sources: list[BroadcastSource] = []


def register_broadcast_source(source: BroadcastSource) -> None:
    """Let a feature that sends broadcasts tell the report when it sent them."""
    if source not in _broadcast_sources:
        _broadcast_sources.append(source)


def snapshots(session: Session) -> list[Snapshot]:
    rows = session.execute(
        select(
            FollowerSnapshot.day,
            FollowerSnapshot.status,
            FollowerSnapshot.followers,
            FollowerSnapshot.targeted_reaches,
            FollowerSnapshot.blocks,
            FollowerSnapshot.sample,
        ).order_by(FollowerSnapshot.day)
    ).all()
    return [Snapshot(*row) for row in rows]


def broadcasts_since(session: Session, since: datetime) -> list[Broadcast]:
    """Each registered broadcast since `since`, with the ledger 24 h before and after it."""
    span = timedelta(hours=AROUND_BROADCAST_HOURS)
    found = sorted(
        (sent_at, label)
        for source in _broadcast_sources
        for sent_at, label in source(session, since)
    )
    return [
        Broadcast(
            sent_at,
            label,
            ledger.between(session, sent_at - span, sent_at),
            ledger.between(session, sent_at, sent_at + span),
        )
        for sent_at, label in found
    ]


def report(
    session: Session, targets: Targets, now: datetime, *, ledger_days: int = LEDGER_WINDOW_DAYS
) -> Report:
    """The report as of `now` (an aware instant; days are counted in Tokyo)."""
    today = tokyo_today(now)
    days = ledger.by_day(session, today - timedelta(days=ledger_days - 1), today)
    since = now - timedelta(days=max(ledger_days, 90))
    return build(targets, snapshots(session), today, days, broadcasts_since(session, since))


def headline(session: Session, targets: Targets, now: datetime) -> Report:
    """The report without the ledger: enough for the bot's answer and the gauges."""
    return build(targets, snapshots(session), tokyo_today(now))
