"""Persistence models (SQLAlchemy 2, typed). Schema changes go through Alembic (bot/migrations).

Personal data kept: the LINE user id and friend state of each user the bot hears from, and
the moment they followed/unfollowed. Message text is kept only until the event is answered.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Stable constraint names so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class FriendState(enum.StrEnum):
    FRIEND = "friend"  # followed (or spoke to us without a follow event on record)
    BLOCKED = "blocked"  # unfollowed / blocked the account


class Friend(Base):
    """A LINE user the bot has heard from."""

    __tablename__ = "friends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=FriendState.FRIEND)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    followed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unfollowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FriendEventKind(enum.StrEnum):
    FOLLOW = "follow"
    REFOLLOW = "refollow"  # follow with isUnblocked: a blocked user came back
    UNFOLLOW = "unfollow"


class FriendEvent(Base):
    """The follow/unfollow ledger. Anonymous on purpose: counts per day need no user id."""

    __tablename__ = "friend_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class EventStatus(enum.StrEnum):
    PENDING = "pending"  # recorded by the webhook, not yet handled
    PROCESSING = "processing"  # claimed by a worker until `locked_until` (lease_token says whose)
    DONE = "done"
    FAILED = "failed"  # the handler failed after all attempts (an apology was queued if possible)


class WebhookEvent(Base):
    """One webhook event as LINE delivered it; the unique id makes redeliveries harmless."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_status_id", "status", "id"),
        Index("ix_webhook_events_user_key_status", "user_key", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(32))
    # Who sent it, for per-user ordering; NULL for events without a user (group w/o userId).
    user_key: Mapped[str | None] = mapped_column(String(64))
    # The raw event JSON; pruned of message text once handled (see bot/pipeline/inbox.py).
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A fresh random token per claim: every write after a claim checks it, so a worker whose
    # lease was taken over changes nothing.
    lease_token: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # LINE's own timestamp of the event: the reply window is measured from it.
    event_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redelivery: Mapped[bool] = mapped_column(Boolean, default=False)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handler: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)


class OutboxKind(enum.StrEnum):
    REPLY = "reply"
    PUSH = "push"
    MULTICAST = "multicast"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting to be sent (or retried at next_attempt_at)
    SENDING = "sending"  # claimed by a worker until `locked_until` (lease_token says whose)
    SENT = "sent"  # LINE accepted it (or answered 409: this retry key was already accepted)
    FAILED = "failed"  # LINE refused it (4xx other than 429): not retried
    EXPIRED = "expired"  # a reply whose window closed while LINE kept failing
    REFUSED = "refused"  # push/multicast not sent: the month's message quota is spent


SETTLED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.EXPIRED, OutboxStatus.REFUSED)
UNSETTLED = (OutboxStatus.PENDING, OutboxStatus.SENDING)


class OutboxMessage(Base):
    """The outbox: every message to LINE (reply, push, multicast), sent off the request path,
    retried on 429/5xx/timeouts, settled once. See bot/pipeline/outbox.py."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_user_key_status", "user_key", "status"),
        Index("ix_outbox_origin", "origin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Who asked for it: "reply", "fallback", "broadcast:42"... (outbox.outcomes() groups by it).
    origin: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="SET NULL"), index=True
    )
    # The person whose conversation this belongs to (replies and their push fallback): their
    # next event waits until this row is settled, so answers reach them in order.
    user_key: Mapped[str | None] = mapped_column(String(64))
    reply_token: Mapped[str | None] = mapped_column(String(255))
    recipients: Mapped[list[str] | None] = mapped_column(JSON)  # push: [to]; multicast: to
    fallback_to: Mapped[str | None] = mapped_column(String(64))  # reply: push here if it fails
    messages: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # None once pruned
    retry_key: Mapped[str | None] = mapped_column(String(36))  # X-Line-Retry-Key (push/multicast)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The previous attempt's outcome is unknown (its worker died mid-send).
    in_doubt: Mapped[bool] = mapped_column(Boolean, default=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # replies only
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    event_time: Mapped[datetime | None] = mapped_column(UTCDateTime)  # LINE's, for latency
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    latency_ms: Mapped[int | None] = mapped_column(Integer)  # event_time -> accepted by LINE
    last_error: Mapped[str | None] = mapped_column(Text)


class PipelineWorker(Base):
    """A live worker process (heartbeat), so /healthz and /metrics can tell whether any run."""

    __tablename__ = "pipeline_workers"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)  # host:pid
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PipelineTotal(Base):
    """What `events prune` deleted, counted per metric and labels: /metrics adds these to what
    the remaining rows count, so a counter never goes down (Prometheus would read a reset)."""

    __tablename__ = "pipeline_totals"

    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    labels: Mapped[str] = mapped_column(String(255), primary_key=True)  # values joined by "|"
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class SnapshotStatus(enum.StrEnum):
    READY = "ready"  # LINE's figures for the day are stored
    UNREADY = "unready"  # LINE has not finished counting the day yet: asked again later
    OUT_OF_SERVICE = "out_of_service"  # LINE has no figures for the day (and never will)
    ERROR = "error"  # LINE failed (429, 5xx, no answer) after the retries: asked again later


class FollowerSnapshot(Base):
    """LINE's Insight follower statistics for one day (Asia/Tokyo), as LINE answered.

    One row per day that was asked about; a day with no row was never fetched (a gap). The
    figures are NULL unless the status is ready. `sample` marks development sample data.
    """

    __tablename__ = "follower_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    status: Mapped[str] = mapped_column(String(16))
    followers: Mapped[int | None] = mapped_column(Integer)
    targeted_reaches: Mapped[int | None] = mapped_column(Integer)
    blocks: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)


class FriendAlert(Base):
    """An alert already sent to the operators, so each one goes out once (unique key)."""

    __tablename__ = "friend_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Counting the ledger per kind (the /metrics counters) reads this index, not the table.
Index("ix_friend_events_kind_occurred_at", FriendEvent.kind, FriendEvent.occurred_at)


class AnswerCount(Base):
    """How many questions the answer engine answered per day (Asia/Tokyo), confident or not.

    Anonymous counters (no text, no user) for the /metrics answers counter, incremented in
    the transaction that handles the question. Each day and outcome is split over a few
    `shard` rows picked at random, so concurrent workers rarely wait on one row's lock.
    """

    __tablename__ = "answer_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    confident: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer, default=0)


class FriendEventDay(Base):
    """The follow ledger counted per Tokyo day and kind, for days long closed (see
    bot/friendcount/ledger.py:rollup), so the /metrics counters need not count every row."""

    __tablename__ = "friend_event_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
