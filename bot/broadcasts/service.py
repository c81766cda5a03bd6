"""Create, list, show and cancel broadcasts (what the staff API and the console call).

Roles: an editor may create broadcasts to a segment; a broadcast to every friend (an empty
segment) needs an approver. Times are ISO 8601; a time without an offset is Asia/Tokyo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.broadcasts.models import Broadcast, BroadcastRecipient, BroadcastStatus, Repeat
from bot.replies.limits import TEXT_MAX, utf16_len
from bot.scheduler import TZ
from bot.segments import query
from bot.segments.vocabulary import Vocabulary
from bot.staff.accounts import Staff

PAST_GRACE = timedelta(minutes=5)  # a send_at this far in the past is a mistake, not "now"
BLOCK_WINDOW = timedelta(hours=24)


class BroadcastError(ValueError):
    """A request staff can fix; the message says what (Japanese)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Draft:
    text: str
    segment: query.Segment
    send_at: datetime | None  # None: now
    repeat: Repeat


def parse_time(value: Any) -> datetime:
    """ISO 8601 → aware UTC datetime; without an offset the time is Asia/Tokyo."""
    if not isinstance(value, str) or not value.strip():
        raise BroadcastError("send_at は ISO 8601 の日時（例 2026-12-24T09:00:00+09:00）です。")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as e:
        raise BroadcastError(f"send_at「{value}」は ISO 8601 の日時として読めません。") from e
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=TZ)
    return parsed.astimezone(UTC)


def validate(body: Any, vocabulary: Vocabulary, now: datetime) -> Draft:
    """A Draft from a JSON body; BroadcastError naming the bad field otherwise."""
    if not isinstance(body, dict):
        raise BroadcastError("JSON オブジェクトを送ってください。")
    unknown = set(body) - {"text", "segment", "send_at", "repeat"}
    if unknown:
        raise BroadcastError(f"知らない項目です：{', '.join(sorted(unknown))}")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BroadcastError("text（本文）を入力してください。")
    if utf16_len(text) > TEXT_MAX:
        raise BroadcastError(f"text は {TEXT_MAX:,} 文字までです（LINE の上限）。")
    try:
        segment = query.validate(body.get("segment"), vocabulary)
    except query.SegmentError as e:
        raise BroadcastError(str(e)) from e
    raw_repeat = body.get("repeat", Repeat.ONCE.value)
    if raw_repeat not in {r.value for r in Repeat}:
        raise BroadcastError("repeat は once / weekly / monthly のどれかです。")
    repeat = Repeat(raw_repeat)
    send_at = None if body.get("send_at") in (None, "") else parse_time(body["send_at"])
    if send_at is not None and send_at < now - PAST_GRACE:
        raise BroadcastError("send_at が過去の日時です。")
    if repeat != Repeat.ONCE and send_at is None:
        raise BroadcastError("繰り返し配信には send_at（初回の日時）が必要です。")
    return Draft(text=text, segment=segment, send_at=send_at, repeat=repeat)


def create(session: Session, staff: Staff, draft: Draft, now: datetime) -> Broadcast:
    """Store a scheduled broadcast (due at once when send_at is None)."""
    if not draft.segment and not staff.is_approver:
        raise BroadcastError("友だち全員への配信には承認者（approver）の権限が必要です。", 403)
    row = Broadcast(
        text=draft.text,
        segment=draft.segment,
        status=BroadcastStatus.SCHEDULED,
        repeat=draft.repeat,
        send_at=draft.send_at or now,
        created_by=staff.name,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def cancel(session: Session, broadcast_id: int, staff: Staff) -> Broadcast:
    row = session.get(Broadcast, broadcast_id)
    if row is None:
        raise BroadcastError("その配信はありません。", 404)
    if row.status != BroadcastStatus.SCHEDULED:
        raise BroadcastError(
            "予約中の配信だけ取り消せます（送信中・送信済みは取り消せません）。", 409
        )
    row.status = BroadcastStatus.CANCELLED
    row.cancelled_by = staff.name
    return row


def listing(session: Session, limit: int = 200) -> list[Broadcast]:
    return list(session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)))


def unfollows_after(session: Session, row: Broadcast, now: datetime) -> int | None:
    """Recipients who blocked the account within 24 h after sending (None before sending)."""
    if row.started_at is None:
        return None
    from bot.models import Friend

    end = row.started_at + BLOCK_WINDOW
    return (
        session.scalar(
            select(func.count())
            .select_from(BroadcastRecipient)
            .join(Friend, Friend.id == BroadcastRecipient.friend_id)
            .where(
                BroadcastRecipient.broadcast_id == row.id,
                Friend.unfollowed_at >= row.started_at,
                Friend.unfollowed_at <= end,
            )
        )
        or 0
    )


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(TZ).isoformat() if value else None


def as_json(
    session: Session, row: Broadcast, vocabulary: Vocabulary, now: datetime
) -> dict[str, Any]:
    """The API's view of one broadcast (times in Asia/Tokyo)."""
    recipients = row.recipients
    if recipients is None:  # not sent yet: who it would reach now
        recipients = query.count(session, row.segment)
    return {
        "id": row.id,
        "status": row.status,
        "text": row.text,
        "segment": row.segment,
        "segment_label": query.describe(row.segment, vocabulary),
        "repeat": row.repeat,
        "send_at": _iso(row.send_at),
        "parent_id": row.parent_id,
        "recipients": recipients,
        "delivered": row.delivered,
        "failed": row.failed,
        "unfollows_24h": unfollows_after(session, row, now),
        "created_by": row.created_by,
        "created_at": _iso(row.created_at),
        "started_at": _iso(row.started_at),
        "finished_at": _iso(row.finished_at),
        "error": row.error,
    }
