"""Answers per day, confident or not: anonymous counters in the database, for /metrics.

`record` counts in the handler's transaction, written when it commits (an upsert, so workers
in any number of processes add to the same rows); `answer_metrics` exposes
`line_answers_total{confident}`.
"""

from __future__ import annotations

import functools
import random
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client.core import CounterMetricFamily, Metric
from sqlalchemy import Boolean, Date, Integer, bindparam, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import metrics
from bot.friendcount.clock import tokyo_today
from bot.models import AnswerCount

if TYPE_CHECKING:
    from bot.services import Services


# Rows per day and outcome: workers updating the same counter at once rarely meet.
SHARDS = 8
_PENDING = "answer_stats.pending"  # Session.info key: counts not written yet


def record(session: Session, confident: bool, now: datetime) -> None:
    """Count one answered question for its Tokyo day, written when the session commits.

    A worker handles a batch of questions in one transaction: one upsert per day and outcome
    at the end, rather than one per question held from the middle of the batch, keeps the
    counter rows locked for the shortest time, always in the same order (two workers each
    holding a row the other wants would deadlock on PostgreSQL)."""
    pending: Counter[tuple[date, bool]] = session.info.setdefault(_PENDING, Counter())
    pending[(tokyo_today(now), confident)] += 1


def discard(session: Session) -> None:
    """Forget counts not written yet (their transaction was rolled back)."""
    session.info.pop(_PENDING, None)


def pending(session: Session) -> Counter[tuple[date, bool]]:
    """A copy of the counts not written yet: `restore` it when a savepoint is rolled back."""
    return Counter(session.info.get(_PENDING, ()))


def restore(session: Session, counts: Counter[tuple[date, bool]]) -> None:
    session.info[_PENDING] = Counter(counts)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    conn = session.connection()
    shard = random.randrange(SHARDS)
    conn.execute(
        _upsert(conn.dialect.name),
        [
            {"day": day, "confident": confident, "shard": shard, "count": count}
            for (day, confident), count in sorted(pending.items())
        ],
    )


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    discard(session)


@functools.cache
def _upsert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = AnswerCount.__table__
    statement = insert(table).values(
        day=bindparam("day", type_=Date),
        confident=bindparam("confident", type_=Boolean),
        shard=bindparam("shard", type_=Integer),
        count=bindparam("count", type_=Integer),
    )
    return statement.on_conflict_do_update(
        index_elements=["day", "confident", "shard"],
        set_={"count": table.c.count + statement.excluded.count},
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
