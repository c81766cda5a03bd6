"""Alerts to operators (optional): a push when the pace falls behind what the target needs,
or when blocks spike after a broadcast. Each alert goes out once (`friend_alerts` holds its
key, written in the transaction that queues the push through the outbox)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from linebot.v3.messaging import TextMessage
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import FriendAlert
from bot.pipeline.outbox import enqueue_push

from .report import Report
from .wording import Wording, jdate, number

log = logging.getLogger(__name__)

# A spike: at least this many blocks in the 24 h after a broadcast …
SPIKE_MIN_BLOCKS = 10
# … and this many times the blocks of the 24 h before it.
SPIKE_FACTOR = 3.0


@dataclass(frozen=True)
class Alert:
    key: str  # unique: the same situation is reported once
    kind: str  # behind | block_spike
    text: str


def due(report: Report, w: Wording, now: datetime) -> list[Alert]:
    """The alerts the report calls for (pure)."""
    alerts = []
    f = report.forecast
    if f.on_track is False and f.needed_daily is not None and report.latest is not None:
        growth = f.daily_growth or 0.0
        # At most one per target per ISO week, so a slow month is not a daily nag.
        year, week, _ = report.today.isocalendar()
        alerts.append(
            Alert(
                f"behind:{report.target.fiscal_year}:{year}-W{week:02d}",
                "behind",
                w.text(
                    "alert.behind",
                    label=report.target.label,
                    target=number(report.target.followers),
                    growth=f"{growth:.1f}",
                    needed=f"{f.needed_daily:.1f}",
                    as_of=jdate(report.latest.day),
                    followers=number(report.followers),
                ),
            )
        )
    for b in report.broadcasts:
        if b.after is None or b.before is None or now < b.sent_at:
            continue
        if b.after.unfollows >= max(SPIKE_MIN_BLOCKS, SPIKE_FACTOR * b.before.unfollows):
            alerts.append(
                Alert(
                    f"block_spike:{b.sent_at.isoformat()}",
                    "block_spike",
                    w.text(
                        "alert.block_spike",
                        label=b.label,
                        after=b.after.unfollows,
                        before=b.before.unfollows,
                    ),
                )
            )
    return alerts


def send(
    session: Session, alerts: list[Alert], operators: tuple[str, ...], now: datetime
) -> list[Alert]:
    """Queue each new alert to every operator; the ones queued now (none without operators)."""
    if not operators or not alerts:
        return []
    sent_keys = set(
        session.scalars(
            select(FriendAlert.key).where(FriendAlert.key.in_([a.key for a in alerts]))
        )
    )
    queued = []
    for alert in alerts:
        if alert.key in sent_keys:
            continue
        message = TextMessage(text=alert.text[:5000]).to_dict()
        for user_id in operators:
            enqueue_push(session, user_id, [message], origin=f"friends:{alert.kind}")
        session.add(FriendAlert(key=alert.key, kind=alert.kind, sent_at=now))
        queued.append(alert)
        log.info("friend-count alert queued: %s to %d operator(s)", alert.kind, len(operators))
    return queued
