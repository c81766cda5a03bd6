"""Sending broadcasts: due → recipients fixed → chunks in the outbox → counts settled.

1. `start(services, id)`: for a due broadcast, check the month's message quota (refuse with
   a clear message when it would be exceeded), then in ONE transaction claim it (a
   conditional UPDATE, so two runners never both start it), fix its recipients
   (INSERT … SELECT, numbered into chunks of ≤ 500) and queue one outbox multicast per chunk
   with origin "broadcast:<id>" (the outbox stores each chunk's X-Line-Retry-Key before its
   first try). A repeating broadcast stays scheduled: each due time makes an occurrence row.
2. The outbox sends the chunks (any `worker` process, or `drive` here): 429 and 5xx are
   retried with backoff, 409 for an accepted retry key counts as sent, other 4xx fail
   with LINE's message. A crash anywhere re-sends with the same key, so nobody gets a
   broadcast twice.
3. `settle(services, id)`: delivered and failed counts from the chunks' outbox status;
   when every chunk is settled the broadcast is sent (or failed, with LINE's message).

`run_due` does all three and is idempotent: run it twice, or beside the scheduler, and
nothing is sent twice.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from linebot.v3.messaging import TextMessage
from sqlalchemy import case, func, literal, select, update
from sqlalchemy.orm import Session

from bot.broadcasts import timing
from bot.broadcasts.models import (
    Broadcast,
    BroadcastChunk,
    BroadcastRecipient,
    BroadcastStatus,
    Repeat,
)
from bot.line import LineApiError
from bot.models import Friend, OutboxMessage, OutboxStatus
from bot.pipeline import outbox
from bot.segments import query
from bot.services import Services

log = logging.getLogger(__name__)

CHUNK = outbox.MAX_MULTICAST  # LINE: at most 500 user ids per multicast
FAILED_STATES = (OutboxStatus.FAILED, OutboxStatus.REFUSED, OutboxStatus.EXPIRED)
Progress = Callable[[int, int], None]  # (recipients settled, recipients in all) → None


def origin(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}"


def messages_for(text: str) -> list[dict[str, Any]]:
    """The LINE message of a broadcast (validated by the SDK's model)."""
    return [TextMessage(text=text).to_dict()]


# --- 1. start ----------------------------------------------------------------------------


def due_ids(services: Services) -> list[int]:
    with services.db.session() as session:
        now = services.now(session)
        return list(
            session.scalars(
                select(Broadcast.id)
                .where(Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.send_at <= now)
                .order_by(Broadcast.send_at, Broadcast.id)
            )
        )


class QuotaExceeded(Exception):
    """The month's message quota cannot cover the broadcast (message for staff)."""


def check_quota(services: Services, recipients: int) -> None:
    """Raise QuotaExceeded when LINE's quota would be exceeded; pass when unlimited."""
    quota = services.line.quota()
    if quota.limit is not None and quota.used + recipients > quota.limit:
        raise QuotaExceeded(
            f"今月の送信可能数を超えるため送信しませんでした（上限 {quota.limit:,}通、"
            f"使用済み {quota.used:,}通、この配信 {recipients:,}通）。"
        )


def start(services: Services, broadcast_id: int) -> int | None:
    """Start a due broadcast; returns the id being sent (an occurrence for a repeating one),
    or None when it is not due, was started by someone else, or was refused."""
    with services.db.session() as session:
        row = session.get(Broadcast, broadcast_id)
        if row is None or row.status != BroadcastStatus.SCHEDULED:
            return None
        segment, due_at, repeat = dict(row.segment), row.send_at, row.repeat
        expected = query.count(session, segment)
    try:
        check_quota(services, expected)
    except QuotaExceeded as e:
        return _refuse(services, broadcast_id, due_at, repeat, str(e))
    except LineApiError as e:
        # Without the quota we do not send blind; the next run tries again.
        log.warning("broadcast %s: quota unavailable (%s); left scheduled", broadcast_id, e)
        return None
    with services.db.session() as session:
        now = services.now(session)
        target = _claim(session, broadcast_id, due_at, repeat, now)
        if target is None:
            return None
        _fix_recipients(session, target, segment, now)
        return target.id


def _claim(
    session: Session, broadcast_id: int, due_at: datetime, repeat: str, now: datetime
) -> Broadcast | None:
    """The row to send, claimed with a conditional UPDATE (exactly one runner wins)."""
    if repeat == Repeat.ONCE:
        won = session.execute(
            update(Broadcast)
            .where(
                Broadcast.id == broadcast_id,
                Broadcast.status == BroadcastStatus.SCHEDULED,
                Broadcast.send_at <= now,
            )
            .values(status=BroadcastStatus.SENDING, started_at=now)
        ).rowcount
        return session.get(Broadcast, broadcast_id) if won == 1 else None
    following = timing.following(due_at, repeat)
    won = session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status == BroadcastStatus.SCHEDULED,
            Broadcast.send_at == due_at,
            Broadcast.send_at <= now,
        )
        .values(send_at=following)
    ).rowcount
    if won != 1:
        return None
    series = session.get(Broadcast, broadcast_id)
    assert series is not None
    occurrence = Broadcast(
        text=series.text,
        segment=series.segment,
        status=BroadcastStatus.SENDING,
        repeat=Repeat.ONCE,
        send_at=due_at,
        parent_id=series.id,
        created_by=series.created_by,
        created_at=now,
        started_at=now,
    )
    session.add(occurrence)
    session.flush()
    return occurrence


def _fix_recipients(
    session: Session, row: Broadcast, segment: query.Segment, now: datetime
) -> None:
    """Recipients as of now, numbered into chunks, and one outbox multicast per chunk."""
    found = query.recipients(segment).order_by(None).subquery()
    number = (func.row_number().over(order_by=found.c.id) - 1) // CHUNK  # integer division
    session.execute(
        BroadcastRecipient.__table__.insert().from_select(
            ["broadcast_id", "friend_id", "chunk"],
            select(literal(row.id), found.c.id, number),
        )
    )
    total = (
        session.scalar(
            select(func.count())
            .select_from(BroadcastRecipient)
            .where(BroadcastRecipient.broadcast_id == row.id)
        )
        or 0
    )
    messages = messages_for(row.text)
    chunks: list[dict[str, int]] = []
    for chunk, ids in _chunk_lists(session, row.id):
        outbox_id = outbox.enqueue_multicast(session, ids, messages, origin=origin(row.id))
        chunks.append(
            {"broadcast_id": row.id, "chunk": chunk, "outbox_id": outbox_id, "size": len(ids)}
        )
    if chunks:
        session.execute(BroadcastChunk.__table__.insert(), chunks)
    row.recipients = total
    if total == 0:
        row.status = BroadcastStatus.SENT
        row.finished_at = now


def _chunk_lists(session: Session, broadcast_id: int) -> Iterator[tuple[int, list[str]]]:
    """(chunk, LINE user ids) for every chunk, aggregated by the database (2,000 rows for a
    million recipients instead of a million through Python)."""
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    agg = func.array_agg if postgres else func.json_group_array
    rows = conn.execute(
        select(BroadcastRecipient.chunk, agg(Friend.line_user_id))
        .join(Friend, Friend.id == BroadcastRecipient.friend_id)
        .where(BroadcastRecipient.broadcast_id == broadcast_id)
        .group_by(BroadcastRecipient.chunk)
        .order_by(BroadcastRecipient.chunk)
        .execution_options(yield_per=20)  # streamed: memory stays flat at any size
    )
    for chunk, ids in rows:
        yield chunk, list(ids) if postgres else json.loads(ids)


def _refuse(
    services: Services, broadcast_id: int, due_at: datetime, repeat: str, message: str
) -> None:
    """Record a refusal (quota): the broadcast (or this occurrence) fails with the reason."""
    with services.db.session() as session:
        now = services.now(session)
        target = _claim(session, broadcast_id, due_at, repeat, now)
        if target is None:
            return None
        target.status = BroadcastStatus.FAILED
        target.recipients = 0
        target.error = message
        target.finished_at = now
    log.warning("broadcast %s refused: quota", broadcast_id)
    return None


# --- 3. settle ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    delivered: int
    failed: int
    unsettled: int
    error: str | None


def tally(session: Session, broadcast_id: int) -> Tally:
    """Recipients per outcome, from the chunks' outbox rows."""
    status = OutboxMessage.status
    rows = session.execute(
        select(
            func.coalesce(func.sum(case((status == OutboxStatus.SENT, BroadcastChunk.size))), 0),
            func.coalesce(func.sum(case((status.in_(FAILED_STATES), BroadcastChunk.size))), 0),
            func.coalesce(
                func.sum(
                    case(
                        (
                            status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                            BroadcastChunk.size,
                        )
                    )
                ),
                0,
            ),
            func.max(case((status.in_(FAILED_STATES), OutboxMessage.last_error))),
        )
        .select_from(BroadcastChunk)
        .join(OutboxMessage, OutboxMessage.id == BroadcastChunk.outbox_id)
        .where(BroadcastChunk.broadcast_id == broadcast_id)
    ).one()
    return Tally(int(rows[0]), int(rows[1]), int(rows[2]), rows[3])


def settle(services: Services, broadcast_id: int) -> Tally:
    """Write delivered/failed counts; finish the broadcast once every chunk is settled."""
    with services.db.session() as session:
        row = session.get(Broadcast, broadcast_id)
        result = tally(session, broadcast_id)
        if row is None or row.status != BroadcastStatus.SENDING:
            return result
        row.delivered, row.failed = result.delivered, result.failed
        if result.unsettled == 0:
            row.status = (
                BroadcastStatus.SENT
                if result.delivered or not row.recipients
                else BroadcastStatus.FAILED
            )
            row.error = result.error
            row.finished_at = services.now(session)
        return result


def sending_ids(services: Services) -> list[int]:
    with services.db.session() as session:
        return list(
            session.scalars(
                select(Broadcast.id)
                .where(Broadcast.status == BroadcastStatus.SENDING)
                .order_by(Broadcast.id)
            )
        )


# --- 2. drive the outbox, and the whole run ------------------------------------------------


# LINE's rate limit for multicast (requests per second); the driver paces itself below it
# rather than bouncing off 429s.
MULTICAST_PER_SECOND = 200
PACE = MULTICAST_PER_SECOND * 0.95
SETTLE_EVERY_SECONDS = 0.5


def drive(
    services: Services, ids: list[int], progress: Progress | None, max_seconds: float
) -> None:
    """Send due outbox rows (several in flight, paced under LINE's multicast rate limit)
    until the broadcasts' chunks are settled."""
    started = time.monotonic()
    deadline = started + max_seconds
    slots = max(1, services.settings.send_concurrency)
    sent = 0
    next_settle = 0.0
    with ThreadPoolExecutor(slots, thread_name_prefix="broadcast-send") as pool:
        while time.monotonic() < deadline:
            # A small burst, then a steady pace just under LINE's limit (sliding window).
            elapsed = time.monotonic() - started
            allowed = int(elapsed * PACE) + slots - sent
            claimed = outbox.claim(services, min(slots * 2, allowed)) if allowed > 0 else []
            list(pool.map(lambda item: outbox.send(services, item), claimed))
            sent += len(claimed)
            if claimed and time.monotonic() < next_settle:
                continue
            next_settle = time.monotonic() + SETTLE_EVERY_SECONDS
            tallies = [settle(services, i) for i in ids]
            if progress:
                total = sum(t.delivered + t.failed + t.unsettled for t in tallies)
                progress(sum(t.delivered + t.failed for t in tallies), total)
            if all(t.unsettled == 0 for t in tallies):
                return
            if not claimed:
                time.sleep(0.02)  # chunks waiting for their retry time (backoff) or the pace


@dataclass(frozen=True)
class Report:
    started: list[int]
    settled: dict[int, str]  # id -> status after the run


def run_due(
    services: Services,
    *,
    progress: Progress | None = None,
    send: bool = True,
    max_seconds: float = 600.0,
) -> Report:
    """Start every due broadcast, send their chunks (unless `send` is False: then the
    outbox workers send them) and settle the counts. Safe to run anywhere, any number of
    times: claims are conditional and chunks carry their retry keys."""
    started = [sid for bid in due_ids(services) if (sid := start(services, bid)) is not None]
    ids = sending_ids(services)
    if send and ids:
        drive(services, ids, progress, max_seconds)
    for bid in ids:
        settle(services, bid)
    with services.db.session() as session:
        statuses = {
            bid: session.get(Broadcast, bid).status  # type: ignore[union-attr]
            for bid in ids
        }
    return Report(started=started, settled=statuses)
