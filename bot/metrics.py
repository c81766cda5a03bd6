"""Prometheus metrics, read from the database at scrape time.

Every value comes from the database when /metrics is scraped, through custom collectors, so
all gunicorn workers and worker processes agree and nothing resets when a process restarts.

A feature adds its own metrics by registering a collector function at import time:

    from bot import metrics
    from prometheus_client.core import GaugeMetricFamily

    @metrics.register
    def friend_metrics(services, session):
        g = GaugeMetricFamily("linebot_friends", "Friends by state", labels=["state"])
        ...
        yield g

(the module must be imported by the app; web/metrics.py imports the built-in ones).
Collector functions get the Services and a read-only session, and yield metric families.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

CollectorFn = Callable[["Services", Session], Iterable[Metric]]
_collectors: list[CollectorFn] = []


def register(collector: CollectorFn) -> CollectorFn:
    """Add a collector function (usable as a decorator); registering twice is a no-op."""
    if collector not in _collectors:
        _collectors.append(collector)
    return collector


class _DatabaseCollector(Collector):
    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        with self.services.db.session() as session:
            for collector in list(_collectors):
                yield from collector(self.services, session)


def render(services: Services) -> tuple[bytes, str]:
    """The Prometheus text exposition of every registered collector, and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DatabaseCollector(services))
    return generate_latest(registry), CONTENT_TYPE_LATEST
