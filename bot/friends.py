"""Friend records: who the bot hears from, follow/unfollow state, and the anonymous ledger."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.models import Friend, FriendEvent, FriendEventKind, FriendState, UTCDateTime


def touch(session: Session, user_id: str, now: datetime) -> Friend:
    """The user spoke to us: create their record if new, update last seen.

    INSERT … ON CONFLICT DO NOTHING, so two workers meeting a new user at once (several
    processes share the queue) do not collide on the unique LINE user id.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(Friend)
        .values(
            line_user_id=user_id,
            state=FriendState.FRIEND,
            first_seen_at=now,
            last_seen_at=now,
        )
        .on_conflict_do_nothing(index_elements=["line_user_id"])
    )
    friend = session.scalars(select(Friend).where(Friend.line_user_id == user_id)).one()
    if friend.last_seen_at is None or now > friend.last_seen_at:
        friend.last_seen_at = now
    return friend


def seen(session: Session, user_id: str, when: datetime) -> None:
    """The user spoke to us at `when`: one statement (insert, or move last_seen forward),
    for the hot path of every message; `touch` is the ORM version for follow/unfollow."""
    dialect = session.get_bind().dialect.name
    session.execute(seen_statement(dialect), {"user": user_id, "when": when})


@functools.cache
def seen_statement(dialect: str) -> Any:
    """Built once per dialect: building an upsert costs more than running it."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    when = bindparam("when", type_=UTCDateTime)
    stmt = insert(Friend).values(
        line_user_id=bindparam("user"),
        state=FriendState.FRIEND,
        first_seen_at=when,
        last_seen_at=when,
    )
    return stmt.on_conflict_do_update(
        index_elements=["line_user_id"],
        set_={"last_seen_at": stmt.excluded.last_seen_at},
        where=Friend.last_seen_at < stmt.excluded.last_seen_at,
    )


def follow(session: Session, user_id: str, now: datetime, unblocked: bool) -> Friend:
    """A follow event at `now` (LINE's event timestamp); `unblocked` is LINE's isUnblocked.

    The state follows the newest event: a follow that arrives after a newer unfollow (LINE
    delivers late, workers run in parallel) is recorded in the ledger but changes nothing."""
    friend = touch(session, user_id, now)
    if _is_newest(friend, now):
        friend.state = FriendState.FRIEND
        friend.followed_at = now
    kind = FriendEventKind.REFOLLOW if unblocked else FriendEventKind.FOLLOW
    session.add(FriendEvent(kind=kind, occurred_at=now))
    return friend


def unfollow(session: Session, user_id: str, now: datetime) -> Friend:
    """The user blocked or removed the account: nothing more may be sent to them (unless a
    newer follow is already on record)."""
    friend = touch(session, user_id, now)
    if _is_newest(friend, now):
        friend.state = FriendState.BLOCKED
        friend.unfollowed_at = now
    session.add(FriendEvent(kind=FriendEventKind.UNFOLLOW, occurred_at=now))
    return friend


def _is_newest(friend: Friend, when: datetime) -> bool:
    changes = [t for t in (friend.followed_at, friend.unfollowed_at) if t is not None]
    return not changes or when >= max(changes)
