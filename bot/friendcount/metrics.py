"""Prometheus gauges and counters of the friend count, read from the database at scrape time.

Values come from the database (the latest ready snapshot, the current target, the ledger),
so they survive restarts and every gunicorn worker answers the same. Register
`FriendCountCollector(services)` on the registry /metrics serves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bot.models import FollowerSnapshot, SnapshotStatus

from . import ledger
from .clock import tokyo_today
from .targets import cached_targets

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


class FriendCountCollector(Collector):
    """line_followers, line_targeted_reaches, line_blocks, line_followers_target,
    line_follow_events_total{kind}, line_unfollow_events_total."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        svc = self.services
        try:
            with svc.db.session() as session:
                latest = session.execute(
                    select(
                        FollowerSnapshot.followers,
                        FollowerSnapshot.targeted_reaches,
                        FollowerSnapshot.blocks,
                    )
                    .where(FollowerSnapshot.status == SnapshotStatus.READY)
                    .order_by(FollowerSnapshot.day.desc())
                    .limit(1)
                ).first()
                totals = ledger.totals(session)
        except SQLAlchemyError as e:  # a scrape must not fail the whole /metrics page
            log.warning("friend-count metrics unavailable: %s", type(e).__name__)
            return
        target = cached_targets().current(tokyo_today(svc.clock()))
        figures = (
            ("line_followers", "Friends of the LINE account (LINE Insight, latest day)", 0),
            ("line_targeted_reaches", "Friends reachable by targeted messages (LINE Insight)", 1),
            ("line_blocks", "Friends who block the account (LINE Insight, latest day)", 2),
        )
        for name, doc, i in figures:
            if latest is not None and latest[i] is not None:
                yield GaugeMetricFamily(name, doc, value=latest[i])
        yield GaugeMetricFamily(
            "line_followers_target",
            "The plan's friend-count target of the fiscal year in progress (or the last one)",
            value=target.followers,
        )
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


def collectors(services: Services) -> list[Collector]:
    """Every collector of this feature (and the answers counter), for the /metrics registry."""
    from bot.answer_stats import AnswerCollector

    return [FriendCountCollector(services), AnswerCollector(services)]
