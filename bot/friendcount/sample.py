"""Development only: a year of plausible sample snapshots, marked `sample`, so the dashboard
is worth opening before any real Insight figures exist. Real figures replace them day by day."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import FollowerSnapshot, SnapshotStatus


def fill(session: Session, last: date, now: datetime, days: int = 365, seed: int = 5) -> int:
    """Add sample rows for the `days` days up to `last` where no row exists; how many added.

    Does nothing when any real (non-sample) snapshot is stored.
    """
    real = session.scalar(
        select(func.count())
        .select_from(FollowerSnapshot)
        .where(FollowerSnapshot.sample.is_(False))
    )
    if real:
        return 0
    have = set(session.scalars(select(FollowerSnapshot.day)))
    rng = random.Random(seed)
    followers, blocks = 18_600, 1_450
    added = 0
    for n in range(days):
        day = last - timedelta(days=days - 1 - n)
        # A weekday rhythm, a spring surge (new residents) and a slowing trend.
        base = 9.0 if day.month in (3, 4) else 5.5
        followers += max(0, round(rng.gauss(base - n / 200, 3.0)))
        blocks += max(0, round(rng.gauss(0.6, 0.8)))
        if day in have:
            continue
        session.add(
            FollowerSnapshot(
                day=day,
                status=SnapshotStatus.READY,
                followers=followers,
                targeted_reaches=round((followers - blocks) * 0.82),
                blocks=blocks,
                attempts=0,
                fetched_at=now,
                sample=True,
            )
        )
        added += 1
    return added
