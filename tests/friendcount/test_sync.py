"""Insight sync through the real SDK against the LINE stand-in, into the real database:
ready, unready (asked again later), out_of_service (recorded), 429 and 5xx (retried, then
recorded), gaps and backfill, and the `friends sync` / `friends report` commands."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.friendcount import insight
from bot.models import FollowerSnapshot

NOW = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)  # 09:30 in Tokyo: yesterday is 2026-12-01


@pytest.fixture
def svc(services):
    services.clock = lambda: NOW
    return services


def rows(svc) -> dict[date, FollowerSnapshot]:
    with svc.db.session() as session:
        return {r.day: r for r in session.scalars(select(FollowerSnapshot))}


def insight_dates(line_api) -> list[str]:
    return [r.query.get("date") for r in line_api.requests if r.path.endswith("/followers")]


def test_sync_stores_yesterdays_figures_as_line_gave_them(svc, line_api, runner):
    line_api.set_followers(20_480, date="20261201", targeted_reaches=15_000, blocks=1_700)
    result = runner.invoke(args=["friends", "sync"])
    assert result.exit_code == 0, result.output
    assert "2026-12-01 ready followers=20480 blocks=1700" in result.output
    row = rows(svc)[date(2026, 12, 1)]
    assert (row.status, row.followers, row.targeted_reaches, row.blocks, row.sample) == (
        "ready", 20_480, 15_000, 1_700, False,
    )  # fmt: skip
    assert insight_dates(line_api) == ["20261201"]
    assert all(r.status == 200 and not r.errors for r in line_api.requests)


def test_unready_is_recorded_and_asked_again_by_the_daily_job(svc, line_api):
    line_api.set_followers(20_000)  # every other day is ready
    line_api.set_followers_status("unready", date="20261201")
    first = insight.daily_sync(svc.db, svc.line, NOW, sleep=lambda _s: None)
    assert [r.status for r in first][-1] == "unready"
    assert rows(svc)[date(2026, 12, 1)].followers is None
    # An hour later LINE has finished counting: only the unsettled day is asked about.
    line_api.clear()
    line_api.set_followers(20_011, date="20261201", blocks=3)
    again = insight.daily_sync(svc.db, svc.line, NOW, sleep=lambda _s: None)
    assert [(r.day, r.status) for r in again] == [(date(2026, 12, 1), "ready")]
    assert insight_dates(line_api) == ["20261201"]
    row = rows(svc)[date(2026, 12, 1)]
    assert (row.followers, row.blocks, row.attempts) == (20_011, 3, 2)
    # Everything settled: the next run does not call LINE at all.
    line_api.clear()
    assert insight.daily_sync(svc.db, svc.line, NOW) == []
    assert insight_dates(line_api) == []


def test_out_of_service_is_recorded_not_papered_over(svc, line_api, runner):
    line_api.set_followers_status("out_of_service")
    result = runner.invoke(args=["friends", "sync", "--date", "2016-10-31"])
    assert result.exit_code == 0, result.output
    row = rows(svc)[date(2016, 10, 31)]
    assert (row.status, row.followers) == ("out_of_service", None)
    line_api.clear()
    line_api.set_followers(100)
    insight.daily_sync(svc.db, svc.line, NOW)
    assert "20161031" not in insight_dates(line_api)  # settled: not asked again


def test_429_is_retried_after_the_wait_line_asks_for(svc, line_api):
    line_api.set_followers(20_100)
    line_api.fail_next(2, status=429, path_contains="/insight/followers")
    waits: list[float] = []
    [result] = insight.backfill(svc.db, svc.line, NOW, sleep=waits.append)
    assert (result.status, result.followers) == ("ready", 20_100)
    assert waits == [1.0, 1.0]  # the stand-in's Retry-After: 1
    assert [r.status for r in line_api.requests] == [429, 429, 200]


def test_5xx_that_persists_is_recorded_and_retried_by_the_next_run(svc, line_api, runner):
    line_api.set_followers(20_200)
    line_api.fail_next(3, status=500, path_contains="/insight/followers")
    svc.line  # noqa: B018  (built before the fault so the CLI shares it)
    result = runner.invoke(args=["friends", "sync"])
    assert result.exit_code == 1
    assert "2026-12-01 error" in result.output and "LINE API 500" in result.output
    row = rows(svc)[date(2026, 12, 1)]
    assert (row.status, row.followers) == ("error", None)
    assert "500" in (row.last_error or "")
    insight.daily_sync(svc.db, svc.line, NOW, sleep=lambda _s: None)
    assert rows(svc)[date(2026, 12, 1)].followers == 20_200


def test_a_failure_never_replaces_figures_already_stored(svc, line_api):
    line_api.set_followers(20_300)
    insight.backfill(svc.db, svc.line, NOW)
    line_api.fail_next(3, status=503, path_contains="/insight/followers")
    [result] = insight.backfill(svc.db, svc.line, NOW, sleep=lambda _s: None)
    assert result.status == "error"
    assert rows(svc)[date(2026, 12, 1)].followers == 20_300


def test_backfill_with_a_gap_and_a_snapshot_that_goes_down(svc, line_api, runner):
    for day, followers in [("20261125", 20_000), ("20261126", 20_010), ("20261128", 19_990)]:
        line_api.set_followers(followers, date=day, blocks=10)
    line_api.set_followers_status("out_of_service", date="20261127")
    line_api.set_followers_status("unready", date="20261129")
    result = runner.invoke(args=["friends", "sync", "--date", "2026-11-29", "--days", "5"])
    assert result.exit_code == 0, result.output
    assert insight_dates(line_api) == [f"202611{d}" for d in range(25, 30)]
    assert "5 day(s): 4 settled, 1 unready" in result.output
    report = runner.invoke(args=["friends", "report", "--json"])
    api = json.loads(report.output)
    assert (api["followers"], api["reachable"], api["as_of"]) == (19_990, 19_980, "2026-11-28")
    text = runner.invoke(args=["friends", "report"]).output
    assert "提供なし（LINE）" in text  # 11-27 out_of_service
    assert "集計中（LINE）" in text  # 11-29 unready
    assert "未取得" in text  # 11-30, 12-01 never fetched
    assert "20,010人 → 19,990人" in text  # the drop


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-12-02"], "has not ended yet in Japan"),
        (["--date", "2026/12/01"], "is not a date like"),
        (["--days", "0"], "0 is not in the range"),
    ],
)
def test_sync_refuses_bad_input_clearly(svc, line_api, runner, args, message):
    result = runner.invoke(args=["friends", "sync", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert insight_dates(line_api) == []


def test_report_in_a_terminal_with_no_data_and_with_figures(svc, line_api, runner):
    empty = runner.invoke(args=["friends", "report"])
    assert empty.exit_code == 0, empty.output
    assert "まだスナップショットがありません" in empty.output
    line_api.set_followers(21_000, date="20261201", blocks=1_500)
    line_api.set_followers(20_100, date="20260331", blocks=1_200)
    runner.invoke(args=["friends", "sync"])
    runner.invoke(args=["friends", "sync", "--date", "2026-03-31"])
    out = runner.invoke(args=["friends", "report"]).output
    assert "21,000" in out and "19,500" in out  # followers and reachable
    assert "計画のすべての目標期限が過ぎています" in out
    assert "令和7年度" in out and "達成" in out
    assert "判定不可" in out  # 令和5・6年度: no snapshot near those deadlines


def test_sample_data_only_in_development_and_marked_as_sample(svc, line_api, runner, app):
    refused = runner.invoke(args=["friends", "sample"])
    assert refused.exit_code == 1 and "development mode only" in refused.output
    svc.settings = replace(svc.settings, development=True)
    done = runner.invoke(args=["friends", "sample"])
    assert "365 sample snapshot(s) added" in done.output
    stored = rows(svc)
    assert len(stored) == 365 and all(r.sample for r in stored.values())
    assert max(stored) == date(2026, 12, 1)
    assert "開発用のサンプルデータです" in runner.invoke(args=["friends", "report"]).output
    # Real figures replace the sample of their day; after that no more samples are added.
    line_api.set_followers(20_480, date="20261201", blocks=1_700)
    runner.invoke(args=["friends", "sync"])
    assert rows(svc)[date(2026, 12, 1)].sample is False
    again = runner.invoke(args=["friends", "sample"])
    assert "0 sample snapshot(s) added" in again.output
