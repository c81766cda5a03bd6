"""Delivery history per citizen: who was fixed as a recipient of which broadcast."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.broadcasts.models import BroadcastChunk, BroadcastRecipient
from bot.models import SETTLED, Friend, OutboxMessage


def erase_history(session: Session, user_id: str) -> int:
    """Delete the citizen's delivery history and take their id out of sent chunks;
    returns the broadcasts they had been a recipient of."""
    friend_id = session.scalar(select(Friend.id).where(Friend.line_user_id == user_id))
    if friend_id is None:
        return 0
    chunks = session.execute(
        select(OutboxMessage.id, OutboxMessage.recipients)
        .join(BroadcastChunk, BroadcastChunk.outbox_id == OutboxMessage.id)
        .join(
            BroadcastRecipient,
            (BroadcastRecipient.broadcast_id == BroadcastChunk.broadcast_id)
            & (BroadcastRecipient.chunk == BroadcastChunk.chunk),
        )
        .where(BroadcastRecipient.friend_id == friend_id, OutboxMessage.status.in_(SETTLED))
    ).all()
    for outbox_id, recipients in chunks:
        kept = [r for r in recipients or [] if r != user_id]
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(recipients=kept)
        )
    return session.execute(
        delete(BroadcastRecipient).where(BroadcastRecipient.friend_id == friend_id)
    ).rowcount
