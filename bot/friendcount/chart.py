"""The dashboard chart's data: one label per day, with followers, reachable, the targets as
steps, the forecast at the recent pace and the pace needed for the target (pure)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .clock import days as day_range
from .report import Report
from .targets import Targets

FORECAST_HORIZON_DAYS = 365


def chart_data(report: Report, targets: Targets) -> dict[str, Any]:
    """Arrays aligned on `labels` (ISO days); None where a series has no value."""
    series = {s.day: s for s in report.series}
    first = report.series[0].day if report.series else report.today
    last_actual = report.as_of or report.today
    end = last_actual
    f = report.forecast
    if f.daily_growth and f.daily_growth > 0 and report.followers is not None:
        end = max(
            end, min(f.reaches_target_on or end, last_actual + timedelta(FORECAST_HORIZON_DAYS))
        )
    if report.forecast.needed_daily is not None:
        end = max(end, report.target.deadline)
    labels = day_range(first, end)
    followers = [series[d].followers if d in series else None for d in labels]
    reachable = [series[d].reachable if d in series else None for d in labels]
    target = [_target_on(targets, d) for d in labels]
    forecast: list[float | None] = [None] * len(labels)
    needed: list[float | None] = [None] * len(labels)
    if report.followers is not None:
        base = float(report.followers)
        for i, d in enumerate(labels):
            ahead = (d - last_actual).days
            if ahead < 0:
                continue
            if f.daily_growth is not None:
                forecast[i] = round(base + f.daily_growth * ahead, 1)
            if f.needed_daily is not None and d <= report.target.deadline:
                needed[i] = round(base + f.needed_daily * ahead, 1)
    return {
        "labels": [d.isoformat() for d in labels],
        "followers": followers,
        "reachable": reachable,
        "target": target,
        "forecast": forecast,
        "needed": needed,
        "sample": report.sample,
    }


def _target_on(targets: Targets, day: date) -> int | None:
    """The target in force on `day`: its fiscal year's (none after the last deadline)."""
    for t in targets.targets:
        if day <= t.deadline:
            return t.followers
    return targets.targets[-1].followers
