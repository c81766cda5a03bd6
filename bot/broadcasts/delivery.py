"""Sending broadcasts: due → recipients fixed → chunks queued while sent → counts settled.

1. `start(services, id)`: for a due broadcast, in ONE transaction claim it (a conditional
   UPDATE, so two runners never both start it) and fix its recipients (INSERT … SELECT,
   numbered into chunks of ≤ 500: the audience is decided at one moment); the month's
   message quota is read from LINE meanwhile and the transaction commits only if it covers
   them (else the broadcast is refused with a clear message). A repeating broadcast stays
   scheduled: each due time makes an occurrence row.
2. `chunk_batches`: one outbox multicast per chunk with origin "broadcast:<id>" (its
   X-Line-Retry-Key stored before its first try), a batch of chunks per transaction,
   resumable after a crash; the chunk table's primary key stops a second runner.
3. `drive` queues the batches and sends what is queued in between (or any `worker`
   sends): 429 and 5xx are retried with backoff, 409 for an accepted retry key counts as
   sent, other 4xx fail with LINE's message. A crash anywhere re-sends with the same key,
   so nobody gets a broadcast twice.
4. `settle(services, id)`: delivered and failed counts from the chunks' outbox status;
   when every chunk is queued and settled the broadcast is sent (or failed).

`run_due` does all of it and is idempotent: run it twice, or beside the scheduler, and
nothing is sent twice.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from queue import Empty, SimpleQueue
from typing import Any

from linebot.v3.messaging import TextMessage
from sqlalchemy import case, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.broadcasts import timing
from bot.broadcasts.models import (
    Broadcast,
    BroadcastChunk,
    BroadcastRecipient,
    BroadcastStatus,
    Repeat,
)
from bot.line import LineApiError, Quota
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


def check_quota(quota: Quota, recipients: int) -> None:
    """Raise QuotaExceeded when LINE's quota would be exceeded; pass when unlimited."""
    if quota.limit is not None and quota.used + recipients > quota.limit:
        raise QuotaExceeded(
            f"今月の送信可能数を超えるため送信しませんでした（上限 {quota.limit:,}通、"
            f"使用済み {quota.used:,}通、この配信 {recipients:,}通）。"
        )


def start(services: Services, broadcast_id: int) -> int | None:
    """Start a due broadcast; returns the id being sent (an occurrence for a repeating one),
    or None when it is not due, was started by someone else, or was refused.

    The month's quota is read from LINE while the database fixes the recipients; the
    transaction commits only when the quota covers them (else it rolls back and the
    broadcast is refused), so the audience is counted once, by the INSERT itself."""
    with services.db.session() as session:
        row = session.get(Broadcast, broadcast_id)
        if row is None or row.status != BroadcastStatus.SCHEDULED:
            return None
        segment, due_at, repeat = dict(row.segment), row.send_at, row.repeat
    with ThreadPoolExecutor(1, thread_name_prefix="broadcast-quota") as pool:
        quota = pool.submit(services.line.quota)
        try:
            with services.db.session() as session:
                now = services.now(session)
                target = _claim(session, broadcast_id, due_at, repeat, now)
                if target is None:
                    return None
                total = _fix_recipients(session, target, segment, now)
                check_quota(quota.result(), total)  # raises: nothing above is kept
                return target.id
        except QuotaExceeded as e:
            return _refuse(services, broadcast_id, due_at, repeat, str(e))
        except LineApiError as e:
            # Without the quota we do not send blind; the next run tries again.
            log.warning("broadcast %s: quota unavailable (%s); left scheduled", broadcast_id, e)
            return None


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
) -> int:
    """Recipients as of now (one INSERT … SELECT: the audience is decided at one moment),
    numbered into chunks of ≤ 500 in friend-id order; returns how many. Their chunks are
    queued afterwards, batch by batch (`queue_chunks`), while the first ones are sent."""
    found = query.recipients(segment).order_by(None).subquery()
    number = (func.row_number().over(order_by=found.c.id) - 1) // CHUNK  # integer division
    total = session.execute(
        BroadcastRecipient.__table__.insert().from_select(
            ["broadcast_id", "friend_id", "chunk"],
            select(literal(row.id), found.c.id, number),
        )
    ).rowcount
    if total < 0:  # the driver did not say (psycopg with an INSERT … SELECT): count them
        total = (
            session.scalar(
                select(func.count())
                .select_from(BroadcastRecipient)
                .where(BroadcastRecipient.broadcast_id == row.id)
            )
            or 0
        )
    row.recipients = total
    if total == 0:
        row.status = BroadcastStatus.SENT
        row.finished_at = now
    return total


# --- 2. queue the chunks (in batches, between sends) ---------------------------------------

# Chunks per transaction: a few first so sending starts at once, then more per batch, up
# to a size that keeps each write transaction short (on SQLite it holds the write lock).
FIRST_BATCH = 4
LARGEST_BATCH = 32


def expected_chunks(recipients: int | None) -> int:
    return -(-(recipients or 0) // CHUNK)


def queue_chunks(services: Services, broadcast_id: int) -> int:
    """Queue every chunk of a sending broadcast not queued yet; returns how many this call
    queued (see `chunk_batches`)."""
    return sum(chunk_batches(services, broadcast_id))


def chunk_batches(services: Services, broadcast_id: int) -> Iterator[int]:
    """Queue the chunks of a sending broadcast not queued yet, one outbox multicast per
    chunk (its X-Line-Retry-Key stored with it), one batch per transaction, yielding the
    chunks each committed batch queued (the driver sends between batches).

    Resumable: after a crash the next run carries on after the last committed batch. Two
    runners never queue a chunk twice: the chunk table's primary key (broadcast, chunk)
    rolls the second one's batch back, and it stops."""
    with services.db.session() as session:
        row = session.get(Broadcast, broadcast_id)
        if row is None or row.status != BroadcastStatus.SENDING:
            return
        expected = expected_chunks(row.recipients)
        messages = messages_for(row.text)
        done = session.scalar(
            select(func.max(BroadcastChunk.chunk)).where(
                BroadcastChunk.broadcast_id == broadcast_id
            )
        )
        next_chunk = 0 if done is None else done + 1
        last_friend = -1
        if 0 < next_chunk < expected:  # resuming: after the last queued chunk's recipients
            last_friend = session.scalar(
                select(func.max(BroadcastRecipient.friend_id)).where(
                    BroadcastRecipient.broadcast_id == broadcast_id,
                    BroadcastRecipient.chunk < next_chunk,
                )
            )
            last_friend = -1 if last_friend is None else last_friend
    batch = FIRST_BATCH
    while next_chunk < expected:
        try:
            with services.db.session() as session:
                next_chunk, last_friend, count = _queue_batch(
                    session, broadcast_id, messages, next_chunk, last_friend, batch, expected
                )
        except IntegrityError:
            log.info("broadcast %s: another runner is queueing its chunks", broadcast_id)
            return
        yield count
        batch = min(batch * 2, LARGEST_BATCH)


def _queue_batch(
    session: Session,
    broadcast_id: int,
    messages: list[dict[str, Any]],
    next_chunk: int,
    last_friend: int,
    batch: int,
    expected: int,
) -> tuple[int, int, int]:
    """Queue up to `batch` chunks from `next_chunk` on (recipients after friend id
    `last_friend`); returns the next chunk, the last friend id queued and the chunks queued.

    Rows are read in primary-key order (broadcast, friend), so each batch reads only its own
    recipients. A chunk whose recipients were all erased meanwhile (データ削除) is recorded
    with size 0 and no outbox row, so the broadcast still knows it is fully queued."""
    conn = session.connection()
    mine = (BroadcastRecipient.broadcast_id == broadcast_id) & (
        BroadcastRecipient.friend_id > last_friend
    )
    # The batch's last friend: an index-only walk of `batch * CHUNK` primary-key entries.
    upper = conn.execute(
        select(BroadcastRecipient.friend_id)
        .where(mine)
        .order_by(BroadcastRecipient.friend_id)
        .limit(1)
        .offset(batch * CHUNK - 1)
    ).scalar()
    within = mine if upper is None else mine & (BroadcastRecipient.friend_id <= upper)
    postgres = conn.dialect.name == "postgresql"
    agg = func.array_agg if postgres else func.json_group_array
    # Each chunk's LINE ids aggregated by the database: one row per chunk, not per person.
    rows = conn.execute(
        select(
            BroadcastRecipient.chunk,
            func.max(BroadcastRecipient.friend_id),
            agg(Friend.line_user_id),
        )
        .join(Friend, Friend.id == BroadcastRecipient.friend_id)
        .where(within)
        .group_by(BroadcastRecipient.chunk)
        .order_by(BroadcastRecipient.chunk)
    ).all()
    groups = [
        (chunk, friend_id, list(ids) if postgres else json.loads(ids))
        for chunk, friend_id, ids in rows
    ]
    final = upper is None
    if not final:
        groups.pop()  # may continue past the limit: read again with the next batch
    chunks: list[dict[str, int]] = []

    def empty_until(stop: int) -> None:
        nonlocal next_chunk
        while next_chunk < stop:
            chunks.append(
                {"broadcast_id": broadcast_id, "chunk": next_chunk, "outbox_id": 0, "size": 0}
            )
            next_chunk += 1

    for chunk, friend_id, ids in groups:
        empty_until(chunk)
        outbox_id = outbox.enqueue_multicast(session, ids, messages, origin=origin(broadcast_id))
        chunks.append(
            {
                "broadcast_id": broadcast_id,
                "chunk": chunk,
                "outbox_id": outbox_id,
                "size": len(ids),
            }
        )
        next_chunk, last_friend = chunk + 1, friend_id
    if final:
        empty_until(expected)
    if chunks:
        session.execute(BroadcastChunk.__table__.insert(), chunks)
    return next_chunk, last_friend, len(chunks)


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
    unsettled: int  # recipients in chunks not settled, or not queued yet
    error: str | None
    queued: bool = True  # every chunk is in the outbox


def tally(session: Session, broadcast_id: int, recipients: int | None = None) -> Tally:
    """Recipients per outcome, from the chunks' outbox rows; with the broadcast's number of
    recipients, those whose chunk is not queued yet count as unsettled."""
    status = OutboxMessage.status
    size = BroadcastChunk.size
    rows = session.execute(
        select(
            func.coalesce(func.sum(case((status == OutboxStatus.SENT, size))), 0),
            func.coalesce(func.sum(case((status.in_(FAILED_STATES), size))), 0),
            func.coalesce(
                func.sum(case((status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]), size))),
                0,
            ),
            func.max(case((status.in_(FAILED_STATES), OutboxMessage.last_error))),
            func.count(BroadcastChunk.chunk),
            func.coalesce(func.sum(size), 0),
        )
        .select_from(BroadcastChunk)
        .outerjoin(OutboxMessage, OutboxMessage.id == BroadcastChunk.outbox_id)
        .where(BroadcastChunk.broadcast_id == broadcast_id)
    ).one()
    delivered, failed, unsettled = int(rows[0]), int(rows[1]), int(rows[2])
    queued = recipients is None or int(rows[4]) >= expected_chunks(recipients)
    if not queued:
        unsettled += max(1, (recipients or 0) - int(rows[5]))
    return Tally(delivered, failed, unsettled, rows[3], queued)


def settle(services: Services, broadcast_id: int) -> Tally:
    """Write delivered/failed counts; finish the broadcast once every chunk is queued and
    settled."""
    with services.db.session() as session:
        row = session.get(Broadcast, broadcast_id)
        if row is None or row.status != BroadcastStatus.SENDING:
            return tally(session, broadcast_id)
        result = tally(session, broadcast_id, row.recipients)
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


# --- 4. drive the outbox, and the whole run ------------------------------------------------


# LINE's rate limit for multicast: requests per second. LINE counts requests as they
# arrive; the driver counts each send until one second after its answer came back (never
# earlier than LINE's own count), in flight included, so it may burst up to the limit and
# never over it.
MULTICAST_PER_SECOND = 200
WINDOW_SECONDS = 1.0
SETTLE_EVERY_SECONDS = 0.25


class _Window:
    """Sends in flight plus sends answered within the last second (a sliding window)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self._answered: deque[float] = deque()

    def room(self) -> int:
        horizon = time.monotonic() - WINDOW_SECONDS
        while self._answered and self._answered[0] <= horizon:
            self._answered.popleft()
        return self.limit - self.in_flight - len(self._answered)

    def answered(self, count: int) -> None:
        now = time.monotonic()
        self.in_flight -= count
        self._answered.extend([now] * count)


def drive(
    services: Services,
    ids: list[int],
    progress: Progress | None,
    max_seconds: float,
    *,
    queue: bool = True,
) -> None:
    """Queue the broadcasts' chunks batch by batch while sending those queued: up to
    `send_concurrency` in flight, never more than LINE's multicast limit per second,
    outcomes settled in batches. This thread does every database write (queue, claim,
    settle), so they never wait for each other's locks; the pool threads only talk to LINE.
    Returns once every chunk is settled (or after `max_seconds`)."""
    deadline = time.monotonic() + max_seconds
    slots = max(1, services.settings.send_concurrency)
    window = _Window(MULTICAST_PER_SECOND)
    answers: SimpleQueue[tuple[outbox.Claimed, outbox.Outcome] | None] = SimpleQueue()
    queuers = {bid: chunk_batches(services, bid) for bid in ids} if queue else {}
    ahead = 0  # chunks queued and not claimed yet (as far as this driver knows)
    next_settle = 0.0

    def send(item: outbox.Claimed) -> None:
        try:
            answers.put((item, outbox.attempt(services, item)))
        except Exception:
            # Left claimed: its lease runs out and it is attempted again.
            log.exception("outbox %s: send failed", item.id)
            answers.put(None)

    with ThreadPoolExecutor(slots, thread_name_prefix="broadcast-send") as pool:
        while time.monotonic() < deadline:
            if queuers and ahead < MULTICAST_PER_SECOND // 2:
                bid, batches = next(iter(queuers.items()))
                queued = next(batches, None)
                if queued is None:
                    del queuers[bid]
                else:
                    ahead += queued
            room = min(window.room(), slots - window.in_flight)
            # Claim in batches (half the slots free, or all that is left): one claim
            # transaction per few sends rather than one per send.
            batch_ready = room >= max(1, slots // 2) or (room > 0 and not window.in_flight)
            claimed = outbox.claim(services, room) if batch_ready else []
            ahead = max(0, ahead - len(claimed))
            window.in_flight += len(claimed)
            for item in claimed:
                pool.submit(send, item)
            _settle_answers(services, answers, window, wait=not claimed)
            if time.monotonic() < next_settle:
                continue
            next_settle = time.monotonic() + SETTLE_EVERY_SECONDS
            tallies = [settle(services, i) for i in ids]
            if progress:
                total = sum(t.delivered + t.failed + t.unsettled for t in tallies)
                progress(sum(t.delivered + t.failed for t in tallies), total)
            if all(t.unsettled == 0 for t in tallies) and not window.in_flight:
                return
            for bid, t in zip(ids, tallies, strict=True):
                if queue and not t.queued and bid not in queuers:
                    # Another runner stopped half-way (or died): carry on where it was.
                    queuers[bid] = chunk_batches(services, bid)
        log.warning("broadcasts %s: not settled after %.0f s", ids, max_seconds)


def _settle_answers(
    services: Services,
    answers: SimpleQueue[tuple[outbox.Claimed, outbox.Outcome] | None],
    window: _Window,
    *,
    wait: bool,
) -> None:
    """Write the outcomes of the sends answered so far in one transaction (waiting a moment
    for the first when there was nothing to claim)."""
    batch: list[tuple[outbox.Claimed, outbox.Outcome]] = []
    answered = 0
    try:
        first = answers.get(timeout=0.005) if wait else answers.get_nowait()
    except Empty:
        return
    pending = [first]
    while True:
        for got in pending:
            answered += 1
            if got is not None:
                batch.append(got)
        try:
            pending = [answers.get_nowait()]
        except Empty:
            break
    window.answered(answered)
    if batch:
        outbox.settle_many(services, batch)


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
    """Start every due broadcast, queue and send their chunks (unless `send` is False: then
    the chunks are queued and the outbox workers send them) and settle the counts. Safe to
    run anywhere, any number of times: claims are conditional, chunks are queued once
    (primary key) and carry their retry keys."""
    started = [sid for bid in due_ids(services) if (sid := start(services, bid)) is not None]
    ids = sending_ids(services)
    if send and ids:
        drive(services, ids, progress, max_seconds)
    elif ids:
        for bid in ids:
            queue_chunks(services, bid)
    for bid in ids:
        settle(services, bid)
    with services.db.session() as session:
        statuses = {
            bid: session.get(Broadcast, bid).status  # type: ignore[union-attr]
            for bid in ids
        }
    return Report(started=started, settled=statuses)
