"""Broadcast tables: what to send to whom and when, and who was fixed as a recipient."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models import Base, UTCDateTime, utcnow


class BroadcastStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waiting for send_at (a repeating one stays here)
    SENDING = "sending"  # recipients fixed, chunks in the outbox
    SENT = "sent"  # every chunk settled, at least one delivered
    FAILED = "failed"  # refused (quota) or every chunk failed
    CANCELLED = "cancelled"


class Repeat(enum.StrEnum):
    ONCE = "once"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class Broadcast(Base):
    """One broadcast (or a repeating series, whose occurrences are rows with `parent_id`)."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status_send_at", "status", "send_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    segment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=BroadcastStatus.SCHEDULED)
    repeat: Mapped[str] = mapped_column(String(16), default=Repeat.ONCE)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)  # next (or only) time, UTC
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    # Fixed when sending starts; counts settle as chunks do.
    recipients: Mapped[int | None] = mapped_column(Integer)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class BroadcastRecipient(Base):
    """A friend fixed as a recipient when the broadcast started, and their chunk (≤ 500).

    No foreign keys on purpose: a million rows are inserted in one INSERT … SELECT, and
    PostgreSQL checks a foreign key row by row (friends and broadcasts are never deleted).
    Chunks are numbered in friend-id order, so the primary key also orders the chunks.
    """

    __tablename__ = "broadcast_recipients"
    __table_args__ = (Index("ix_broadcast_recipients_friend", "friend_id"),)

    broadcast_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    friend_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer)


class BroadcastChunk(Base):
    """One multicast of ≤ 500 recipients: the outbox row (origin "broadcast:<id>") that
    carries it, with its retry key, status and LINE's error (see bot/pipeline/outbox.py)."""

    __tablename__ = "broadcast_chunks"

    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(Integer, index=True)
    size: Mapped[int] = mapped_column(Integer)
