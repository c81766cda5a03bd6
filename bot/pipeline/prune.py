"""Retention: handled events and settled outbox rows older than N days are deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, or_, select

from bot.models import SETTLED, EventStatus, OutboxMessage, PipelineWorker, WebhookEvent
from bot.pipeline import stats

if TYPE_CHECKING:
    from bot.services import Services


@dataclass(frozen=True)
class Pruned:
    events: int
    outbox: int


def prune(services: Services, days: int) -> Pruned:
    """Delete events handled (done/failed) and outbox rows settled more than `days` ago, and
    heartbeats of processes gone for a day. Unfinished work is never touched."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    with services.db.session() as session:
        cutoff = services.now(session) - timedelta(days=days)
        old_events = and_(
            WebhookEvent.status.in_((EventStatus.DONE, EventStatus.FAILED)),
            WebhookEvent.processed_at < cutoff,
        )
        # A settled row of an event deleted now goes with it: left behind, it would lose its
        # event id (ON DELETE SET NULL) and drop out of the answered and latency counters.
        old_rows = and_(
            OutboxMessage.status.in_(SETTLED),
            or_(
                OutboxMessage.created_at < cutoff,
                OutboxMessage.event_id.in_(select(WebhookEvent.id).where(old_events)),
            ),
        )
        # What the deleted rows counted stays in /metrics' counters (in the same transaction).
        stats.add_to_totals(session, stats.counter_values(session, old_events, old_rows))
        outbox = session.execute(delete(OutboxMessage).where(old_rows)).rowcount
        events = session.execute(delete(WebhookEvent).where(old_events)).rowcount
        session.execute(
            delete(PipelineWorker).where(
                PipelineWorker.seen_at < services.now(session) - timedelta(days=1)
            )
        )
    return Pruned(events=events, outbox=outbox)
