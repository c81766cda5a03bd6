"""Answers per day, confident or not: anonymous counters in the database, for /metrics.

`record` runs in the handler's transaction (an upsert, so workers in any number of processes
add to the same row); `answer_metrics` exposes `line_answers_total{confident}`.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client.core import CounterMetricFamily, Metric
from sqlalchemy import Boolean, Date, Integer, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import metrics
from bot.friendcount.clock import tokyo_today
from bot.models import AnswerCount

if TYPE_CHECKING:
    from bot.services import Services


# Rows per day and outcome: workers updating the same counter at once rarely meet.
SHARDS = 8


def record(session: Session, confident: bool, now: datetime) -> None:
    """Count one answered question for its Tokyo day."""
    # On the session's connection, a statement built once: this runs for every question.
    conn = session.connection()
    conn.execute(
        _upsert(conn.dialect.name),
        {"day": tokyo_today(now), "confident": confident, "shard": random.randrange(SHARDS)},
    )


@functools.cache
def _upsert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = AnswerCount.__table__
    statement = insert(table).values(
        day=bindparam("day", type_=Date),
        confident=bindparam("confident", type_=Boolean),
        shard=bindparam("shard", type_=Integer),
        count=1,
    )
    return statement.on_conflict_do_update(
        index_elements=["day", "confident", "shard"], set_={"count": table.c.count + 1}
    )


def totals(session: Session) -> dict[bool, int]:
    rows = session.execute(
        select(AnswerCount.confident, func.sum(AnswerCount.count)).group_by(AnswerCount.confident)
    ).all()
    found = {bool(c): int(n or 0) for c, n in rows}
    return {True: found.get(True, 0), False: found.get(False, 0)}


@metrics.register
def answer_metrics(services: Services, session: Session) -> Iterator[Metric]:
    """line_answers_total{confident="true"|"false"} from the database."""
    counts = totals(session)
    metric = CounterMetricFamily(
        "line_answers",
        "Questions answered by the answer engine (confident: a clear answer; "
        "false: 「もしかして」 candidates or the fallback)",
        labels=["confident"],
    )
    metric.add_metric(["true"], counts[True])
    metric.add_metric(["false"], counts[False])
    yield metric
