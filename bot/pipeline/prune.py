"""Retention: handled events and settled outbox rows older than N days are deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from bot.models import SETTLED, EventStatus, OutboxMessage, PipelineWorker, WebhookEvent

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
        outbox = session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status.in_(SETTLED), OutboxMessage.created_at < cutoff
            )
        ).rowcount
        events = session.execute(
            delete(WebhookEvent).where(
                WebhookEvent.status.in_((EventStatus.DONE, EventStatus.FAILED)),
                WebhookEvent.processed_at < cutoff,
            )
        ).rowcount
        session.execute(
            delete(PipelineWorker).where(
                PipelineWorker.seen_at < services.now(session) - timedelta(days=1)
            )
        )
    return Pruned(events=events, outbox=outbox)
