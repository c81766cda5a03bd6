"""The progress report: pure functions of snapshots, targets, ledger and today (no I/O).

- The plan's figure (友達登録数) is LINE's `followers`, which never falls when someone
  blocks; `reachable` = followers − blocks is shown beside it everywhere.
- `target` is the target of the fiscal year in progress (or the next one due); once every
  deadline has passed it is the last one.
- A target whose deadline has passed is judged met or missed by the ready snapshot nearest
  its deadline (within JUDGE_WINDOW_DAYS; none near: not judged, `met` is None).
- The forecast uses the recent pace: a least-squares line through the ready snapshots of the
  last FORECAST_WINDOW_DAYS, not the whole history.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

from .clock import days as day_range
from .ledger import LedgerDay
from .targets import Target, Targets

FORECAST_WINDOW_DAYS = 30
JUDGE_WINDOW_DAYS = 31
LEDGER_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Snapshot:
    """One day of LINE's Insight statistics as stored (figures None unless ready)."""

    day: date
    status: str
    followers: int | None = None
    targeted_reaches: int | None = None
    blocks: int | None = None
    sample: bool = False

    @property
    def ready(self) -> bool:
        return self.status == "ready" and self.followers is not None

    @property
    def reachable(self) -> int | None:
        if self.followers is None:
            return None
        return self.followers - (self.blocks or 0)


@dataclass(frozen=True)
class TargetResult:
    target: Target
    actual: int | None  # followers on `judged_on` (past) or the latest (in progress)
    judged_on: date | None
    met: bool | None  # None: not due yet, or no snapshot near the deadline

    def to_api(self) -> dict[str, Any]:
        return {
            "fiscal_year": self.target.fiscal_year,
            "label": self.target.label,
            "target": self.target.followers,
            "deadline": self.target.deadline.isoformat(),
            "actual": self.actual,
            "met": self.met,
        }


@dataclass(frozen=True)
class Forecast:
    daily_growth: float | None  # followers per day over the window; None: too few snapshots
    reaches_target_on: (
        date | None
    )  # when `target` is (or was first) reached; None: never at this pace
    window_start: date | None = None
    needed_daily: float | None = None  # pace needed to reach `target` by its deadline
    on_track: bool | None = None  # None: nothing left to judge (reached, or deadline past)

    def to_api(self) -> dict[str, Any]:
        return {
            "daily_growth": None if self.daily_growth is None else round(self.daily_growth, 2),
            "reaches_target_on": _iso(self.reaches_target_on),
        }


@dataclass(frozen=True)
class Gap:
    """Consecutive days without figures, and why: missing, unready, out_of_service, error."""

    first: date
    last: date
    reason: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class Drop:
    """A day whose followers are below the previous ready day's (LINE's figure should not fall)."""

    day: date
    before: int
    after: int


@dataclass(frozen=True)
class Broadcast:
    """A message sent to many friends, with the ledger in the hours before and after it."""

    sent_at: datetime
    label: str
    before: LedgerDay | None = None
    after: LedgerDay | None = None


@dataclass(frozen=True)
class Report:
    today: date
    latest: Snapshot | None
    target: Target
    all_targets_past: bool
    targets: tuple[TargetResult, ...]
    forecast: Forecast
    ledger: tuple[LedgerDay, ...]
    series: tuple[Snapshot, ...]  # ready snapshots, oldest first
    gaps: tuple[Gap, ...] = ()
    drops: tuple[Drop, ...] = ()
    broadcasts: tuple[Broadcast, ...] = ()
    baseline: tuple[date, int] | None = None
    sample: bool = False  # any sample (development) figures in the series
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def followers(self) -> int | None:
        return self.latest.followers if self.latest else None

    @property
    def reachable(self) -> int | None:
        return self.latest.reachable if self.latest else None

    @property
    def blocks(self) -> int | None:
        return self.latest.blocks if self.latest else None

    @property
    def as_of(self) -> date | None:
        return self.latest.day if self.latest else None

    @property
    def progress(self) -> float | None:
        if self.followers is None:
            return None
        return self.followers / self.target.followers

    def ledger_totals(self) -> LedgerDay:
        first = self.ledger[0].day if self.ledger else self.today
        return LedgerDay(
            first,
            sum(d.follows for d in self.ledger),
            sum(d.refollows for d in self.ledger),
            sum(d.unfollows for d in self.ledger),
        )

    def to_api(self) -> dict[str, Any]:
        """GET /api/friends: exactly the documented fields."""
        totals = self.ledger_totals()
        return {
            "followers": self.followers,
            "reachable": self.reachable,
            "as_of": _iso(self.as_of),
            "target": self.target.followers,
            "target_date": self.target.deadline.isoformat(),
            "progress": None if self.progress is None else round(self.progress, 4),
            "targets": [t.to_api() for t in self.targets],
            "forecast": self.forecast.to_api(),
            "ledger": {
                "from": _iso(self.ledger[0].day) if self.ledger else None,
                "to": _iso(self.ledger[-1].day) if self.ledger else None,
                "follows": totals.follows,
                "refollows": totals.refollows,
                "unfollows": totals.unfollows,
                "days": [
                    {
                        "date": d.day.isoformat(),
                        "follows": d.follows,
                        "refollows": d.refollows,
                        "unfollows": d.unfollows,
                    }
                    for d in self.ledger
                ],
            },
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def build(
    targets: Targets,
    snapshots: Sequence[Snapshot],
    today: date,
    ledger: Sequence[LedgerDay] = (),
    broadcasts: Sequence[Broadcast] = (),
) -> Report:
    """The report as of `today` (a Tokyo calendar day). `snapshots` in any order."""
    ordered = sorted(snapshots, key=lambda s: s.day)
    series = tuple(s for s in ordered if s.ready and s.day < today)
    latest = series[-1] if series else None
    target = targets.current(today)
    results = tuple(_judge(t, series, latest, today, target) for t in targets.targets)
    return Report(
        today=today,
        latest=latest,
        target=target,
        all_targets_past=targets.all_past(today),
        targets=results,
        forecast=forecast(series, target, today),
        ledger=tuple(ledger),
        series=series,
        gaps=tuple(gaps(ordered, today)),
        drops=tuple(drops(series)),
        broadcasts=tuple(broadcasts),
        baseline=(targets.baseline.date, targets.baseline.followers),
        sample=any(s.sample for s in series),
    )


def _judge(
    target: Target,
    series: Sequence[Snapshot],
    latest: Snapshot | None,
    today: date,
    current: Target,
) -> TargetResult:
    if target.deadline >= today:
        # Not due yet: show the progress so far against the target in progress only.
        actual = latest.followers if latest and target == current else None
        return TargetResult(target, actual, latest.day if actual is not None else None, None)
    nearest = nearest_snapshot(series, target.deadline)
    if nearest is None or nearest.followers is None:
        return TargetResult(target, None, None, None)
    return TargetResult(
        target, nearest.followers, nearest.day, nearest.followers >= target.followers
    )


def nearest_snapshot(series: Sequence[Snapshot], day: date) -> Snapshot | None:
    """The ready snapshot nearest `day` within JUDGE_WINDOW_DAYS (the earlier one on a tie)."""
    best: Snapshot | None = None
    best_key: tuple[int, int] | None = None
    for s in series:
        distance = abs((s.day - day).days)
        if distance > JUDGE_WINDOW_DAYS:
            continue
        key = (distance, 0 if s.day <= day else 1)
        if best_key is None or key < best_key:
            best, best_key = s, key
    return best


def forecast(series: Sequence[Snapshot], target: Target, today: date) -> Forecast:
    """The recent pace and when `target` is reached at that pace."""
    if not series:
        return Forecast(None, None)
    latest = series[-1]
    assert latest.followers is not None
    window_start = latest.day - timedelta(days=FORECAST_WINDOW_DAYS - 1)
    recent = [s for s in series if s.day >= window_start]
    growth = _slope(recent)
    reached = next((s.day for s in series if (s.followers or 0) >= target.followers), None)
    needed = None
    on_track = None
    remaining = target.followers - latest.followers
    days_left = (target.deadline - latest.day).days
    if remaining > 0 and target.deadline >= today and days_left > 0:
        needed = remaining / days_left
        on_track = growth is not None and growth >= needed
    if reached is not None and latest.followers >= target.followers:
        return Forecast(growth, reached, window_start, None, None)
    if growth is None or growth <= 0:
        return Forecast(growth, None, window_start, needed, on_track)
    eta = latest.day + timedelta(days=math.ceil(remaining / growth))
    return Forecast(growth, eta, window_start, needed, on_track)


def _slope(points: Sequence[Snapshot]) -> float | None:
    """Least-squares followers per day; None with fewer than two days."""
    if len(points) < 2:
        return None
    xs = [(p.day - points[0].day).days for p in points]
    ys = [float(p.followers or 0) for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var


def gaps(ordered: Sequence[Snapshot], today: date) -> list[Gap]:
    """Days from the first stored day to yesterday without figures, grouped by reason."""
    if not ordered:
        return []
    by_day = {s.day: s for s in ordered}
    result: list[Gap] = []
    for day in day_range(ordered[0].day, today - timedelta(days=1)):
        s = by_day.get(day)
        if s is not None and s.ready:
            continue
        reason = "missing" if s is None else s.status
        if result and result[-1].reason == reason and result[-1].last == day - timedelta(days=1):
            result[-1] = Gap(result[-1].first, day, reason)
        else:
            result.append(Gap(day, day, reason))
    return result


def drops(series: Sequence[Snapshot]) -> list[Drop]:
    """Days whose followers fell below the previous ready day's."""
    return [
        Drop(b.day, a.followers or 0, b.followers or 0)
        for a, b in pairwise(series)
        if (b.followers or 0) < (a.followers or 0)
    ]
