"""The progress report as pure functions of snapshots, targets and an injected 'today':
met/missed by the snapshot nearest each deadline, all targets past, the forecast from the
recent pace, gaps, and a snapshot that goes down."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.friendcount.ledger import LedgerDay
from bot.friendcount.report import Snapshot, build, forecast
from bot.friendcount.targets import Target, load_targets


@pytest.fixture(scope="module")
def targets():
    return load_targets()


def ready(day: date, followers: int, blocks: int = 0) -> Snapshot:
    return Snapshot(day, "ready", followers, followers - blocks, blocks)


def line(first: date, last: date, start: int, per_day: float, blocks: int = 0) -> list[Snapshot]:
    n = (last - first).days + 1
    return [ready(first + timedelta(days=i), round(start + per_day * i), blocks) for i in range(n)]


def test_all_targets_past_reports_met_and_missed_by_the_nearest_snapshot(targets):
    snaps = [
        ready(date(2024, 3, 29), 12_400),  # nearest to 2024-03-31 (2 days before)
        ready(date(2024, 4, 5), 11_000),  # further away: must not decide R5
        ready(date(2025, 4, 1), 15_800),  # nearest to 2025-03-31 (1 day after): missed
        ready(date(2025, 3, 20), 16_500),
        ready(date(2026, 3, 31), 20_100, blocks=1_500),  # on the deadline: met
        ready(date(2026, 12, 1), 21_000, blocks=1_700),
    ]
    report = build(targets, snaps, date(2026, 12, 2))
    assert report.all_targets_past
    assert (report.target.fiscal_year, report.target.followers) == ("R7", 20_000)
    assert [(r.target.fiscal_year, r.actual, r.judged_on, r.met) for r in report.targets] == [
        ("R5", 12_400, date(2024, 3, 29), True),
        ("R6", 15_800, date(2025, 4, 1), False),
        ("R7", 20_100, date(2026, 3, 31), True),
    ]
    api = report.to_api()
    assert api["followers"] == 21_000
    assert api["reachable"] == 19_300
    assert api["as_of"] == "2026-12-01"
    assert (api["target"], api["target_date"]) == (20_000, "2026-03-31")
    assert api["progress"] == 1.05
    assert api["targets"][1] == {
        "fiscal_year": "R6",
        "label": "令和6年度",
        "target": 16_000,
        "deadline": "2025-03-31",
        "actual": 15_800,
        "met": False,
    }
    assert set(api) == {
        "followers", "reachable", "as_of", "target", "target_date", "progress",
        "targets", "forecast", "ledger",
    }  # fmt: skip


def test_a_deadline_with_no_snapshot_near_it_is_not_judged(targets):
    report = build(targets, [ready(date(2026, 11, 1), 19_000)], date(2026, 12, 2))
    assert [r.met for r in report.targets] == [None, None, None]
    assert report.targets[2].actual is None


def test_fiscal_year_boundary_moves_the_target(targets):
    snaps = line(date(2024, 1, 1), date(2024, 4, 1), 11_000, 12)
    on_deadline = build(targets, snaps, date(2024, 3, 31))
    assert on_deadline.target.followers == 12_000
    assert [r.met for r in on_deadline.targets] == [None, None, None]  # not due until it ends
    next_day = build(targets, snaps, date(2024, 4, 1))
    assert next_day.target.followers == 16_000
    assert next_day.targets[0].met is True  # judged by 2024-03-31 (11,000 + 12 × 90)
    assert next_day.targets[0].judged_on == date(2024, 3, 31)
    assert next_day.targets[1].actual == next_day.followers  # progress so far toward R6
    # Figures for today itself are not final: the report stops at yesterday.
    assert next_day.as_of == date(2024, 3, 31)


def test_staff_adding_the_next_plans_targets_moves_the_report_on():
    base = load_targets()
    extended = base.model_copy(
        update={"targets": (*base.targets, Target(fiscal_year="R8", followers=24_000))}
    )
    snaps = line(date(2026, 10, 1), date(2026, 12, 1), 21_000, 10)
    report = build(extended, snaps, date(2026, 12, 2))
    assert not report.all_targets_past
    assert (report.target.fiscal_year, report.target.deadline) == ("R8", date(2027, 3, 31))
    assert report.targets[-1].met is None
    assert report.forecast.needed_daily == pytest.approx((24_000 - 21_610) / 120)
    assert report.forecast.on_track is False  # 10/day < ~19.9/day needed


def test_forecast_uses_the_recent_pace_not_the_whole_history(targets):
    # Fast growth long ago, then 5 a day for the last 60 days.
    old = line(date(2025, 4, 1), date(2025, 9, 30), 14_000, 20)
    recent = line(date(2025, 10, 1), date(2025, 11, 29), 17_660, 5)
    report = build(targets, old + recent, date(2025, 11, 30))
    assert report.forecast.daily_growth == pytest.approx(5, abs=0.01)
    # 20,000 − 17,955 = 2,045 more at 5 a day: 409 days after 2025-11-29.
    assert report.forecast.reaches_target_on == date(2025, 11, 29) + timedelta(days=409)
    assert report.forecast.on_track is False
    assert report.to_api()["forecast"] == {
        "daily_growth": 5.0,
        "reaches_target_on": "2027-01-12",
    }


def test_forecast_when_the_target_is_already_reached_or_growth_stalls(targets):
    reached = line(date(2026, 2, 1), date(2026, 4, 30), 19_500, 10)
    f = forecast(reached, targets.current(date(2026, 5, 1)), date(2026, 5, 1))
    assert f.reaches_target_on == date(2026, 2, 1) + timedelta(days=50)  # first day ≥ 20,000
    assert f.on_track is None
    flat = line(date(2025, 10, 1), date(2025, 10, 31), 17_000, 0)
    f = forecast(flat, targets.current(date(2025, 11, 1)), date(2025, 11, 1))
    assert (f.daily_growth, f.reaches_target_on, f.on_track) == (0, None, False)
    assert forecast([], targets.targets[0], date(2024, 1, 1)).daily_growth is None


def test_gaps_are_listed_with_their_reason(targets):
    snaps = [
        ready(date(2026, 11, 20), 20_000),
        Snapshot(date(2026, 11, 21), "out_of_service"),
        # 22–24 never fetched
        ready(date(2026, 11, 25), 20_050),
        Snapshot(date(2026, 11, 26), "error"),
        ready(date(2026, 11, 27), 20_060),
        Snapshot(date(2026, 12, 1), "unready"),
    ]
    report = build(targets, snaps, date(2026, 12, 2))
    assert [(g.first.day, g.last.day, g.reason) for g in report.gaps] == [
        (21, 21, "out_of_service"),
        (22, 24, "missing"),
        (26, 26, "error"),
        (28, 30, "missing"),
        (1, 1, "unready"),
    ]
    assert report.as_of == date(2026, 11, 27)  # the latest ready figures, not the unready day


def test_a_snapshot_that_goes_down_is_reported_and_used_as_is(targets):
    snaps = [ready(date(2026, 11, 28), 20_500), ready(date(2026, 11, 29), 20_100)]
    snaps.append(ready(date(2026, 11, 30), 20_120))
    report = build(targets, snaps, date(2026, 12, 1))
    assert [(d.day, d.before, d.after) for d in report.drops] == [
        (date(2026, 11, 29), 20_500, 20_100)
    ]
    assert report.followers == 20_120


def test_no_snapshots_yet(targets):
    report = build(targets, [], date(2023, 6, 1), [LedgerDay(date(2023, 6, 1), 3, 1, 2)])
    api = report.to_api()
    assert (api["followers"], api["reachable"], api["as_of"], api["progress"]) == (
        None, None, None, None,
    )  # fmt: skip
    assert api["target"] == 12_000
    assert api["ledger"]["follows"] == 3
    assert api["ledger"]["unfollows"] == 2


def test_on_a_tie_the_snapshot_before_the_deadline_decides(targets):
    snaps = [ready(date(2024, 3, 30), 11_990), ready(date(2024, 4, 1), 12_010)]
    report = build(targets, snaps, date(2024, 6, 1))
    assert (report.targets[0].judged_on, report.targets[0].met) == (date(2024, 3, 30), False)
