"""The scheduler's friend-count job: Insight sync every hour from the morning (Asia/Tokyo),
the ledger's daily rollup, then the alerts. The first run of the day fetches yesterday;
later runs only ask again about days LINE had not finished (unready) or failed on, so a
settled day costs no request."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from bot import scheduler
from bot.services import Services

from . import alerts, insight, ledger, progress
from .clock import tokyo_today
from .targets import cached_targets
from .wording import Wording

# 07:10 JST is after LINE usually finishes the previous day; the hourly runs retry unready.
SYNC_HOURS = "7-22"
SYNC_MINUTE = 10


def run(services: Services) -> None:
    """Sync, then queue any due alert (idempotent: safe to run again at any time)."""
    now = services.clock()
    insight.daily_sync(services.db, services.line, now)
    with services.db.session() as session:
        ledger.rollup(session, tokyo_today(now))
    operators = services.settings.friends_alert_user_ids
    if not operators:
        return
    with services.db.session() as session:
        report = progress.report(session, cached_targets(), now)
        alerts.send(session, alerts.due(report, Wording(services.replies), now), operators, now)


def sync_job() -> None:
    run(scheduler.services())


scheduler.register(
    "friends.sync",
    "bot.friendcount.jobs:sync_job",
    lambda _settings: CronTrigger(hour=SYNC_HOURS, minute=SYNC_MINUTE, timezone=scheduler.TZ),
)
