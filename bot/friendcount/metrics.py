"""Friend-count metrics for GET /metrics, read from the database at scrape time.

Values come from the database (the latest ready snapshot, the current target, the ledger),
so they survive restarts and every gunicorn worker answers the same. Registered with
`bot.metrics.register` when this module is imported (web/metrics.py imports it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import metrics
from bot.models import FollowerSnapshot, SnapshotStatus

from . import ledger
from .clock import tokyo_today
from .targets import cached_targets

if TYPE_CHECKING:
    from bot.services import Services


@metrics.register
def friend_count_metrics(services: Services, session: Session) -> Iterator[Metric]:
    """line_followers, line_targeted_reaches, line_blocks, line_followers_target,
    line_follow_events_total{kind}, line_unfollow_events_total."""
    latest = session.execute(
        select(
            FollowerSnapshot.followers, FollowerSnapshot.targeted_reaches, FollowerSnapshot.blocks
        )
        .where(FollowerSnapshot.status == SnapshotStatus.READY)
        .order_by(FollowerSnapshot.day.desc())
        .limit(1)
    ).first()
    figures = (
        ("line_followers", "Friends of the LINE account (LINE Insight, latest day)", 0),
        ("line_targeted_reaches", "Friends reachable by targeted messages (LINE Insight)", 1),
        ("line_blocks", "Friends who block the account (LINE Insight, latest day)", 2),
    )
    for name, doc, i in figures:
        # No snapshot yet: no made-up zero.
        if latest is not None and latest[i] is not None:
            yield GaugeMetricFamily(name, doc, value=latest[i])
    target = cached_targets().current(tokyo_today(services.clock()))
    yield GaugeMetricFamily(
        "line_followers_target",
        "The plan's friend-count target of the fiscal year in progress (or the last one)",
        value=target.followers,
    )
    totals = ledger.totals(session)
    follows = CounterMetricFamily(
        "line_follow_events",
        "Follow events received by the webhook (kind=refollow: unblocked)",
        labels=["kind"],
    )
    follows.add_metric(["follow"], totals["follow"])
    follows.add_metric(["refollow"], totals["refollow"])
    yield follows
    yield CounterMetricFamily(
        "line_unfollow_events",
        "Unfollow (block) events received by the webhook",
        value=totals["unfollow"],
    )
