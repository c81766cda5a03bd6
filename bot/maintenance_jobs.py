"""Scheduler jobs that keep the database small: `events prune` once a day at 03:30 Tokyo."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from bot import scheduler


def prune_job() -> None:
    """Delete event records and settled outbox rows older than PRUNE_DAYS (idempotent)."""
    from bot.pipeline.prune import prune

    services = scheduler.services()
    prune(services, services.settings.prune_days)


scheduler.register(
    "events.prune",
    "bot.maintenance_jobs:prune_job",
    lambda settings: CronTrigger(hour=3, minute=30, timezone=scheduler.TZ),
)
