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
from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import metrics
from bot.models import (
    UNSETTLED,
    EventStatus,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    PipelineTotal,
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


Counts = dict[tuple[str, str], float]  # (metric, label values joined by "|") -> value


def counter_values(
    session: Session,
    events: ColumnElement[bool] | None = None,
    rows: ColumnElement[bool] | None = None,
) -> Counts:
    """The pipeline's counters over the webhook events matching `events` and the outbox rows
    matching `rows` (all rows by default). /metrics reads them over every row; `events prune`
    over the rows it is about to delete, and keeps the result in `pipeline_totals`."""
    ev = true() if events is None else events
    ob = true() if rows is None else rows
    found: Counts = {}

    def add(metric: str, labels: str, value: float) -> None:
        found[(metric, labels)] = found.get((metric, labels), 0) + value

    for kind, n in session.execute(
        select(WebhookEvent.event_type, func.count()).where(ev).group_by(WebhookEvent.event_type)
    ):
        add("events_received", str(kind), n)
    redelivered = session.scalar(
        select(func.count()).select_from(WebhookEvent).where(ev, WebhookEvent.redelivery)
    )
    add("events_redelivered", "", redelivered or 0)
    outcome = case((WebhookEvent.handler == "expired", "expired"), else_=WebhookEvent.status)
    for name, n in session.execute(
        select(outcome, func.count())
        .where(ev, WebhookEvent.status.in_((EventStatus.DONE, EventStatus.FAILED)))
        .group_by(outcome)
    ):
        add("events_handled", str(name), n)
    answered = session.scalar(
        select(func.count(func.distinct(OutboxMessage.event_id))).where(
            ob, OutboxMessage.event_id.is_not(None), OutboxMessage.status == OutboxStatus.SENT
        )
    )
    add("events_answered", "", answered or 0)
    for kind, org, status, n in session.execute(
        select(OutboxMessage.kind, OutboxMessage.origin, OutboxMessage.status, func.count())
        .where(ob)
        .group_by(OutboxMessage.kind, OutboxMessage.origin, OutboxMessage.status)
    ):
        if kind == OutboxKind.REPLY:
            add("replies", str(status), n)
        else:
            family = FALLBACK_ORIGIN if org == FALLBACK_ORIGIN else str(org).split(":", 1)[0]
            add("pushes", f"{kind}|{family}|{status}", n)
    ms = OutboxMessage.latency_ms
    columns = [func.sum(case((ms <= int(b * 1000), 1), else_=0)) for b in LATENCY_BUCKETS]
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(ms), 0), *columns).where(
            ob, ms.is_not(None), OutboxMessage.event_id.is_not(None)
        )
    ).one()
    add("latency_count", "", int(row[0]))
    add("latency_sum_ms", "", float(row[1]))
    for bucket, n in zip(LATENCY_BUCKETS, row[2:], strict=True):
        add("latency_le", str(bucket), int(n or 0))
    return found


def pruned_totals(session: Session) -> Counts:
    table = PipelineTotal.__table__
    return {
        (m, labels): float(v)
        for m, labels, v in session.execute(select(table.c.metric, table.c.labels, table.c.value))
    }


def add_to_totals(session: Session, counts: Counts) -> None:
    """Add `counts` (of rows about to be deleted) to `pipeline_totals`, in the caller's
    transaction, so the deletion and the totals commit together."""
    values = [
        {"metric": m, "labels": labels, "value": round(v)}
        for (m, labels), v in counts.items()
        if v
    ]
    if not values:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = PipelineTotal.__table__
    statement = insert(table)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["metric", "labels"],
            set_={"value": table.c.value + statement.excluded.value},
        ),
        values,
    )


@metrics.register
def pipeline_metrics(services: Services, session: Session) -> Iterator[Metric]:
    """Events received, answers, replies, pushes, queue depth/age, workers, answer latency.
    Counters are what the rows count plus what `events prune` deleted (pipeline_totals)."""
    counts = counter_values(session)
    for key, value in pruned_totals(session).items():
        counts[key] = counts.get(key, 0) + value

    def labelled(metric: str) -> list[tuple[str, float]]:
        return sorted((labels, v) for (m, labels), v in counts.items() if m == metric)

    def single(metric: str) -> float:
        return counts.get((metric, ""), 0)

    received = CounterMetricFamily(
        "linebot_events_received", "Webhook events recorded, by LINE event type", labels=["type"]
    )
    for kind, n in labelled("events_received"):
        received.add_metric([kind], n)
    yield received
    yield CounterMetricFamily(
        "linebot_events_redelivered",
        "Events LINE marked isRedelivery (answered by push when past the reply window)",
        value=single("events_redelivered"),
    )
    handled = CounterMetricFamily(
        "linebot_events_handled",
        "Events handled, by outcome (done, failed, expired: past the reply window, not run)",
        labels=["outcome"],
    )
    for name, n in labelled("events_handled"):
        handled.add_metric([name], n)
    yield handled
    yield CounterMetricFamily(
        "linebot_events_answered",
        "Events whose answer LINE accepted (by reply or by the push fallback)",
        value=single("events_answered"),
    )
    replies = CounterMetricFamily(
        "linebot_replies",
        "Replies by status: sent, failed (LINE refused), expired (window passed), "
        "pending/sending (not settled yet)",
        labels=["status"],
    )
    for status, n in labelled("replies"):
        replies.add_metric([status], n)
    yield replies
    pushes = CounterMetricFamily(
        "linebot_pushes",
        "Pushes and multicasts by origin (fallback: a reply LINE would not take; other "
        "origins are the part of `origin` before ':') and status",
        labels=["kind", "origin", "status"],
    )
    for labels, n in labelled("pushes"):
        pushes.add_metric(labels.split("|"), n)
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
    count = int(single("latency_count"))
    buckets = [(str(b), int(counts.get(("latency_le", str(b)), 0))) for b in LATENCY_BUCKETS]
    buckets.append(("+Inf", count))
    yield HistogramMetricFamily(
        "linebot_answer_latency_seconds",
        "From the event's timestamp (LINE's) to LINE accepting its answer",
        buckets=buckets,
        sum_value=single("latency_sum_ms") / 1000,
    )
