"""Read the database into a report: snapshots, the ledger's recent days, broadcasts."""

from __future__ import annotations

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
    """Each broadcast sent since `since`, with the ledger 24 h before and after it."""
    from bot.broadcasts.models import Broadcast as Sent
    from bot.broadcasts.models import BroadcastStatus

    span = timedelta(hours=AROUND_BROADCAST_HOURS)
    rows = session.execute(
        select(Sent.started_at, Sent.text)
        .where(
            Sent.started_at.is_not(None),
            Sent.started_at >= since,
            Sent.status.in_([BroadcastStatus.SENDING, BroadcastStatus.SENT]),
        )
        .order_by(Sent.started_at)
    ).all()
    return [
        Broadcast(
            sent_at,
            " ".join(text.split())[:30],
            ledger.between(session, sent_at - span, sent_at),
            ledger.between(session, sent_at, sent_at + span),
        )
        for sent_at, text in rows
        if sent_at is not None
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
