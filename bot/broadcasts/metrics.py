"""/metrics for broadcasts: broadcasts by status, and recipients (messages) by outcome."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import metrics
from bot.broadcasts.models import Broadcast

if TYPE_CHECKING:
    from bot.services import Services


@metrics.register
def broadcast_metrics(services: Services, session: Session) -> Iterator[Metric]:
    """linebot_broadcasts{status}; linebot_broadcast_messages{outcome=delivered|failed}."""
    by_status = GaugeMetricFamily(
        "linebot_broadcasts", "Broadcasts (and repeat occurrences) by status", labels=["status"]
    )
    for status, count in session.execute(
        select(Broadcast.status, func.count()).group_by(Broadcast.status)
    ):
        by_status.add_metric([status], count)
    yield by_status
    delivered, failed = session.execute(
        select(
            func.coalesce(func.sum(Broadcast.delivered), 0),
            func.coalesce(func.sum(Broadcast.failed), 0),
        )
    ).one()
    messages = GaugeMetricFamily(
        "linebot_broadcast_messages",
        "Broadcast messages by outcome (one per recipient)",
        labels=["outcome"],
    )
    messages.add_metric(["delivered"], int(delivered))
    messages.add_metric(["failed"], int(failed))
    yield messages
