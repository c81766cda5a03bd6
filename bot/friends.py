"""Friend records: who the bot hears from, follow/unfollow state, and the anonymous ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Friend, FriendEvent, FriendEventKind, FriendState


def touch(session: Session, user_id: str, now: datetime) -> Friend:
    """The user spoke to us: create their record if new, update last seen."""
    friend = session.scalar(select(Friend).where(Friend.line_user_id == user_id))
    if friend is None:
        friend = Friend(line_user_id=user_id, first_seen_at=now, last_seen_at=now)
        session.add(friend)
        session.flush()
    elif friend.last_seen_at is None or now > friend.last_seen_at:
        friend.last_seen_at = now
    return friend


def follow(session: Session, user_id: str, now: datetime, unblocked: bool) -> Friend:
    """A follow event; `unblocked` is LINE's isUnblocked (a blocked user came back)."""
    friend = touch(session, user_id, now)
    friend.state = FriendState.FRIEND
    friend.followed_at = now
    kind = FriendEventKind.REFOLLOW if unblocked else FriendEventKind.FOLLOW
    session.add(FriendEvent(kind=kind, occurred_at=now))
    return friend


def unfollow(session: Session, user_id: str, now: datetime) -> Friend:
    """The user blocked or removed the account: nothing more may be sent to them."""
    friend = touch(session, user_id, now)
    friend.state = FriendState.BLOCKED
    friend.unfollowed_at = now
    session.add(FriendEvent(kind=FriendEventKind.UNFOLLOW, occurred_at=now))
    return friend
