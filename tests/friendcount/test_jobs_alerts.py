"""The scheduler's friend-count job and the operators' alerts: the job syncs yesterday (and
nothing more once settled), pushes through the outbox when the pace falls behind or blocks
spike after a broadcast, and each alert goes out once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot import scheduler
from bot.broadcasts.models import Broadcast
from bot.friendcount import jobs
from bot.models import FollowerSnapshot, FriendEvent
from bot.pipeline.worker import run_until_idle

OPERATOR = "U" + "0" * 31 + "1"
NOW = datetime(2025, 11, 2, 22, 10, tzinfo=UTC)  # 07:10 JST on 3 November 2025


@pytest.fixture
def svc(services):
    services.clock = lambda: NOW
    services.settings = replace(services.settings, friends_alert_user_ids=(OPERATOR,))
    return services


def slow_history(svc, per_day: int = 5) -> None:
    """30 days up to 2025-11-01 at `per_day` (令和7年度 needs ~24/day to reach 20,000)."""
    with svc.db.session() as session:
        for n in range(30):
            day = date(2025, 10, 3) + timedelta(days=n)
            session.add(
                FollowerSnapshot(day=day, status="ready", followers=16_000 + per_day * n,
                                 targeted_reaches=0, blocks=0, attempts=1, fetched_at=NOW,
                                 sample=False)
            )  # fmt: skip


def pushed_texts(line_api) -> list[str]:
    return [m["text"] for body in line_api.pushes() for m in body["messages"]]


def test_the_job_is_registered_hourly_from_the_morning_in_tokyo(svc):
    trigger = scheduler.registered()["friends.sync"].trigger(svc.settings)
    assert isinstance(trigger, CronTrigger)
    fire = trigger.get_next_fire_time(None, datetime(2025, 11, 2, 20, 0, tzinfo=UTC))
    assert fire.astimezone(scheduler.TZ).strftime("%H:%M") == "07:10"


def test_the_scheduler_process_starts_with_every_registered_job(svc):
    from apscheduler.schedulers.background import BackgroundScheduler

    sched = scheduler.build(svc, BackgroundScheduler)
    assert {"friends.sync", "events.prune"} <= {job.id for job in sched.get_jobs()}


def test_the_job_syncs_and_alerts_once_when_the_pace_falls_behind(svc, line_api):
    slow_history(svc)
    line_api.set_followers(16_150, date="20251102")
    jobs.run(svc)
    with svc.db.session() as session:
        assert session.get(FollowerSnapshot, 31).followers == 16_150
    run_until_idle(svc)
    [text] = pushed_texts(line_api)
    assert "令和7年度末の目標20,000人" in text and "必要なペース" in text
    assert line_api.pushes()[0]["to"] == OPERATOR
    # The next hourly run: nothing to fetch, the same alert is not sent again.
    line_api.clear()
    jobs.run(svc)
    run_until_idle(svc)
    assert line_api.pushes() == []
    assert [r.path for r in line_api.requests] == []


def test_no_alert_while_on_track_or_without_operators(svc, line_api):
    slow_history(svc, per_day=30)
    line_api.set_followers(16_900)
    jobs.run(svc)
    run_until_idle(svc)
    assert line_api.pushes() == []
    svc.settings = replace(svc.settings, friends_alert_user_ids=())
    with svc.db.session() as session:
        session.query(FollowerSnapshot).delete()
    slow_history(svc, per_day=1)
    jobs.run(svc)
    run_until_idle(svc)
    assert line_api.pushes() == []


def test_a_block_spike_after_a_broadcast_is_reported(svc, line_api):
    slow_history(svc, per_day=30)  # on track: only the spike alerts
    line_api.set_followers(16_900)
    sent = datetime(2025, 11, 1, 3, 0, tzinfo=UTC)
    with svc.db.session() as session:
        session.add(
            Broadcast(text="【お知らせ】年末年始の窓口", segment={}, status="sent", send_at=sent,
                      started_at=sent, created_by="sato")
        )  # fmt: skip
        session.add(FriendEvent(kind="unfollow", occurred_at=sent - timedelta(hours=5)))
        session.add_all(
            FriendEvent(kind="unfollow", occurred_at=sent + timedelta(minutes=10 * i))
            for i in range(12)
        )
    jobs.run(svc)
    run_until_idle(svc)
    [text] = pushed_texts(line_api)
    assert "配信「【お知らせ】年末年始の窓口」" in text
    assert "ブロックが12件" in text and "配信前24時間：1件" in text
