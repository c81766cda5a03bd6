"""What the pipeline is doing, from the database: /healthz and the /metrics collector."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot import metrics
from bot.models import (
    UNSETTLED,
    EventStatus,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    PipelineWorker,
    WebhookEvent,
)
from bot.pipeline.outbox import FALLBACK_ORIGIN, _aware

if TYPE_CHECKING:
    from bot.services import Services

ALIVE_WITHIN = timedelta(seconds=15)  # three missed heartbeats
LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
OPEN_EVENTS = (EventStatus.PENDING, EventStatus.PROCESSING)


@dataclass(frozen=True)
class QueueState:
    pending_events: int
    oldest_event_age: float | None  # seconds since the oldest unfinished event was received
    outbox_due: int  # outbox rows pending or being sent
    oldest_outbox_age: float | None
    workers_alive: int

    def stuck(self, after_seconds: float) -> bool:
        """Events wait longer than `after_seconds`: no worker runs, or they cannot keep up."""
        return self.oldest_event_age is not None and self.oldest_event_age > after_seconds


def queue_state(services: Services, session: Session) -> QueueState:
    now = services.now(session)
    events, oldest = session.execute(
        select(func.count(), func.min(WebhookEvent.received_at)).where(
            WebhookEvent.status.in_(OPEN_EVENTS)
        )
    ).one()
    due, oldest_out = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status.in_(UNSETTLED)
        )
    ).one()
    alive = session.scalar(
        select(func.count())
        .select_from(PipelineWorker)
        .where(PipelineWorker.seen_at >= now - ALIVE_WITHIN)
    )
    return QueueState(
        pending_events=int(events),
        oldest_event_age=_age(now, oldest),
        outbox_due=int(due),
        oldest_outbox_age=_age(now, oldest_out),
        workers_alive=int(alive or 0),
    )


def _age(now: datetime, since: datetime | str | None) -> float | None:
    when = _aware(since)
    return None if when is None else max(0.0, (now - when).total_seconds())


@metrics.register
def pipeline_metrics(services: Services, session: Session) -> Iterator[Metric]:
    """Events received, answers, replies, pushes, queue depth/age, workers, answer latency."""
    received = CounterMetricFamily(
        "linebot_events_received", "Webhook events recorded, by LINE event type", labels=["type"]
    )
    for kind, n in session.execute(
        select(WebhookEvent.event_type, func.count()).group_by(WebhookEvent.event_type)
    ):
        received.add_metric([kind], n)
    yield received

    redelivered = session.scalar(
        select(func.count()).select_from(WebhookEvent).where(WebhookEvent.redelivery)
    )
    yield CounterMetricFamily(
        "linebot_events_redelivered",
        "Events LINE marked isRedelivery (answered by push when past the reply window)",
        value=redelivered or 0,
    )

    handled = CounterMetricFamily(
        "linebot_events_handled",
        "Events handled, by outcome (done, failed, expired: past the reply window, not run)",
        labels=["outcome"],
    )
    outcome = case((WebhookEvent.handler == "expired", "expired"), else_=WebhookEvent.status)
    for name, n in session.execute(
        select(outcome, func.count())
        .where(WebhookEvent.status.in_((EventStatus.DONE, EventStatus.FAILED)))
        .group_by(outcome)
    ):
        handled.add_metric([str(name)], n)
    yield handled

    answered = session.scalar(
        select(func.count(func.distinct(OutboxMessage.event_id))).where(
            OutboxMessage.event_id.is_not(None), OutboxMessage.status == OutboxStatus.SENT
        )
    )
    yield CounterMetricFamily(
        "linebot_events_answered",
        "Events whose answer LINE accepted (by reply or by the push fallback)",
        value=answered or 0,
    )

    replies = CounterMetricFamily(
        "linebot_replies",
        "Replies by status: sent, failed (LINE refused), expired (window passed), "
        "pending/sending (not settled yet)",
        labels=["status"],
    )
    pushes = CounterMetricFamily(
        "linebot_pushes",
        "Pushes and multicasts by origin (fallback: a reply LINE would not take; other "
        "origins are the part of `origin` before ':') and status",
        labels=["kind", "origin", "status"],
    )
    origin = OutboxMessage.origin
    for kind, org, status, n in session.execute(
        select(OutboxMessage.kind, origin, OutboxMessage.status, func.count()).group_by(
            OutboxMessage.kind, origin, OutboxMessage.status
        )
    ):
        if kind == OutboxKind.REPLY:
            replies.add_metric([status], n)
        else:
            family = FALLBACK_ORIGIN if org == FALLBACK_ORIGIN else str(org).split(":", 1)[0]
            pushes.add_metric([kind, family, status], n)
    yield replies
    yield pushes

    state = queue_state(services, session)
    depth = GaugeMetricFamily(
        "linebot_queue_depth",
        "Unfinished rows: events to handle, outbox rows to send",
        labels=["queue"],
    )
    depth.add_metric(["events"], state.pending_events)
    depth.add_metric(["outbox"], state.outbox_due)
    yield depth
    age = GaugeMetricFamily(
        "linebot_queue_oldest_age_seconds",
        "Age of the oldest unfinished row (0 when empty)",
        labels=["queue"],
    )
    age.add_metric(["events"], state.oldest_event_age or 0.0)
    age.add_metric(["outbox"], state.oldest_outbox_age or 0.0)
    yield age
    yield GaugeMetricFamily(
        "linebot_workers_alive",
        "Worker processes with a heartbeat in the last 15 s",
        value=state.workers_alive,
    )
    yield _latency(session)


def _latency(session: Session) -> Metric:
    """Histogram of LINE's event timestamp → LINE accepting the answer (reply or push)."""
    ms = OutboxMessage.latency_ms
    columns = [func.sum(case((ms <= int(b * 1000), 1), else_=0)) for b in LATENCY_BUCKETS]
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(ms), 0), *columns).where(
            ms.is_not(None), OutboxMessage.event_id.is_not(None)
        )
    ).one()
    count, total = int(row[0]), float(row[1]) / 1000
    buckets = [(str(b), int(n or 0)) for b, n in zip(LATENCY_BUCKETS, row[2:], strict=True)]
    buckets.append(("+Inf", count))
    return HistogramMetricFamily(
        "linebot_answer_latency_seconds",
        "From the event's timestamp (LINE's) to LINE accepting its answer",
        buckets=buckets,
        sum_value=total,
    )
