"""Fetch LINE's daily Insight follower statistics into `follower_snapshots`.

One row per day asked about. LINE answers per day (UTC+9): `ready` with the figures,
`unready` while it is still counting (asked again later), or `out_of_service` (no figures
for that day, recorded as such). 429, 5xx and timeouts are retried a few times here with
backoff (honouring Retry-After); if LINE still fails the day is stored as `error` and the
next run asks again. Figures are stored as LINE gives them, even when they go down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import Database
from bot.line import FollowerStats, LineApiError, LineGateway
from bot.models import FollowerSnapshot, SnapshotStatus

from .clock import days as day_range
from .clock import yesterday

log = logging.getLogger(__name__)

# Statuses that settle a day: nothing more will come from LINE for it.
SETTLED = frozenset({SnapshotStatus.READY, SnapshotStatus.OUT_OF_SERVICE})
# The daily job also asks again about unsettled or missing days this far back.
LOOKBACK_DAYS = 7
ATTEMPTS = 3
MAX_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class SyncResult:
    """What happened to one day."""

    day: date
    status: str
    followers: int | None = None
    blocks: int | None = None
    message: str = ""


def fetch(
    line: LineGateway,
    day: date,
    *,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = ATTEMPTS,
) -> FollowerStats | LineApiError:
    """Ask LINE about one day, retrying 429/5xx/no answer with backoff; the last error if
    LINE kept failing or refused (4xx)."""
    error: LineApiError | None = None
    for attempt in range(attempts):
        try:
            return line.insight_followers(day)
        except LineApiError as e:
            error = e
            if not e.retryable or attempt == attempts - 1:
                break
            wait = e.retry_after if e.retry_after is not None else 2.0**attempt
            sleep(min(wait, MAX_WAIT_SECONDS))
    assert error is not None
    return error


def store(
    session: Session, day: date, answer: FollowerStats | LineApiError, now: datetime
) -> SyncResult:
    """Record LINE's answer for `day`. A ready figure is never replaced by a failure."""
    row = session.scalars(select(FollowerSnapshot).where(FollowerSnapshot.day == day)).first()
    if row is None:
        row = FollowerSnapshot(day=day, attempts=0, sample=False)
        session.add(row)
    row.attempts = (row.attempts or 0) + 1
    row.fetched_at = now
    if isinstance(answer, LineApiError):
        message = str(answer)
        if row.status == SnapshotStatus.READY and not row.sample:
            log.warning("insight %s: %s (the stored figures stay)", day, message)
            return SyncResult(day, SnapshotStatus.ERROR, row.followers, row.blocks, message)
        _clear(row, SnapshotStatus.ERROR)
        row.last_error = message
        return SyncResult(day, SnapshotStatus.ERROR, message=message)
    status = answer.status
    if status == SnapshotStatus.READY and answer.followers is not None:
        row.status = SnapshotStatus.READY
        row.followers = answer.followers
        row.targeted_reaches = answer.targeted_reaches
        row.blocks = answer.blocks or 0
        row.last_error = None
        row.sample = False
        return SyncResult(day, status, row.followers, row.blocks)
    if row.status == SnapshotStatus.READY and not row.sample:
        # LINE once gave figures for the day and now says it has none: keep them.
        return SyncResult(day, status, row.followers, row.blocks, "stored figures kept")
    if status not in {SnapshotStatus.UNREADY, SnapshotStatus.OUT_OF_SERVICE}:
        _clear(row, SnapshotStatus.ERROR)
        row.last_error = f"unexpected answer: status={status!r}"
        return SyncResult(day, SnapshotStatus.ERROR, message=row.last_error)
    _clear(row, status)
    return SyncResult(day, status)


def _clear(row: FollowerSnapshot, status: str) -> None:
    row.status = status
    row.followers = row.targeted_reaches = row.blocks = None
    row.last_error = None
    row.sample = False


def sync_days(
    db: Database,
    line: LineGateway,
    days: Iterable[date],
    now: datetime,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> list[SyncResult]:
    """Fetch and store each day (one short transaction per day: no lock held while waiting)."""
    results = []
    for day in days:
        answer = fetch(line, day, sleep=sleep)
        with db.session() as session:
            results.append(store(session, day, answer, now))
        log.info("insight %s: %s", day, results[-1].status)
    return results


def backfill(
    db: Database,
    line: LineGateway,
    now: datetime,
    *,
    end: date | None = None,
    count: int = 1,
    sleep: Callable[[float], None] = time.sleep,
) -> list[SyncResult]:
    """`friends sync`: the `count` days up to `end` (default: yesterday in Tokyo)."""
    last = end or yesterday(now)
    if last > yesterday(now):
        raise ValueError(f"{last} has not ended yet in Japan: LINE has no figures for it")
    if count < 1:
        raise ValueError("the number of days must be at least 1")
    first = last - timedelta(days=count - 1)
    return sync_days(db, line, day_range(first, last), now, sleep=sleep)


def unsettled_days(session: Session, now: datetime, lookback: int = LOOKBACK_DAYS) -> list[date]:
    """Yesterday and the days before it (up to `lookback`) that are missing, unready or
    failed, or hold only sample figures."""
    last = yesterday(now)
    first = last - timedelta(days=lookback - 1)
    rows = session.execute(
        select(FollowerSnapshot.day, FollowerSnapshot.status, FollowerSnapshot.sample).where(
            FollowerSnapshot.day >= first, FollowerSnapshot.day <= last
        )
    ).all()
    settled = {day for day, status, sample in rows if status in SETTLED and not sample}
    return [d for d in day_range(first, last) if d not in settled]


def daily_sync(
    db: Database,
    line: LineGateway,
    now: datetime,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> list[SyncResult]:
    """The scheduler's job: fetch yesterday and ask again about recent unsettled days.

    Run it in the morning and then every hour: once every recent day is settled a run costs
    one SELECT and no request to LINE.
    """
    with db.session() as session:
        pending = unsettled_days(session, now)
    return sync_days(db, line, pending, now, sleep=sleep)
