"""Scheduler jobs for broadcasts: send whatever is due (every BROADCAST_POLL_SECONDS)."""

from __future__ import annotations

from apscheduler.triggers.interval import IntervalTrigger

from bot import scheduler


def run_due_job() -> None:
    """Send every broadcast that is due (idempotent; see bot.broadcasts.delivery)."""
    from bot.broadcasts.delivery import run_due

    run_due(scheduler.services())


scheduler.register(
    "broadcasts.run_due",
    "bot.broadcasts.jobs:run_due_job",
    lambda settings: IntervalTrigger(
        seconds=settings.broadcast_poll_seconds, timezone=scheduler.TZ
    ),
)
