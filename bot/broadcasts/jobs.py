"""Scheduler jobs for broadcasts: send whatever is due, every few seconds."""

from __future__ import annotations

from apscheduler.triggers.interval import IntervalTrigger

from bot import scheduler

DUE_EVERY_SECONDS = 15


def run_due_job() -> None:
    """Send every broadcast that is due (idempotent; see bot.broadcasts.delivery)."""
    from bot.broadcasts.delivery import run_due

    run_due(scheduler.services())


scheduler.register(
    "broadcasts.run_due",
    "bot.broadcasts.jobs:run_due_job",
    IntervalTrigger(seconds=DUE_EVERY_SECONDS, timezone=scheduler.TZ),
)
